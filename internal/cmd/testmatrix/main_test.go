package main

import (
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"testing"
)

const pkg = "github.com/seed/terraform-provider-webhooks/internal/provider"

func newTestLeg(key, version string) *leg {
	return &leg{key: key, label: "Terraform " + version, version: version, tests: map[testID]*result{}, packages: map[string]*result{}}
}

func newTestMatrix(legs ...*leg) *matrix {
	return &matrix{console: io.Discard, jobs: 1, echo: regexp.MustCompile("CHAOS FIGURES"), legs: legs}
}

// feed gives the leg `go test -json` events for one top-level test: its output lines, then its end action.
func feed(t *testing.T, m *matrix, l *leg, test, action string, output ...string) {
	t.Helper()
	events := []event{{Action: "run", Package: pkg, Test: test}}
	for _, o := range output {
		events = append(events, event{Action: "output", Package: pkg, Test: test, Output: o + "\n"})
	}
	if action != "" {
		events = append(events, event{Action: action, Package: pkg, Test: test})
	}
	for _, e := range events {
		line, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		m.handle(l, io.Discard, line)
	}
}

func versionSkipLine(version string) string {
	return "    generate_config_test.go:30: Terraform CLI version " + version + " is below minimum version 1.14.0: skipping test"
}

func TestSkipClassification(t *testing.T) {
	l := newTestLeg("terraform", "1.11.4")
	m := newTestMatrix(l)
	feed(t, m, l, "TestAccGated", "skip", versionSkipLine("1.11.4"), "--- SKIP: TestAccGated (0.33s)")
	feed(t, m, l, "TestAccOther", "skip", "    x_test.go:6: other reason", "--- SKIP: TestAccOther (0.00s)")
	feed(t, m, l, "TestAccOtherCLI", "skip", versionSkipLine("1.16.4"), "--- SKIP: TestAccOtherCLI (0.00s)")
	feed(t, m, l, "TestAccNoFile", "skip", "Terraform CLI version 1.11.4 is below minimum version 1.14.0: skipping test")
	feed(t, m, l, "TestAccPassed", "pass")
	feed(t, m, l, "TestAccDied", "")
	l.finish()
	for name, want := range map[string]outcome{
		"TestAccGated":    skippedByVersion,
		"TestAccOther":    skippedOther,
		"TestAccOtherCLI": skippedOther, // a version check's words, but about another CLI than the leg's
		"TestAccNoFile":   skippedOther, // not logged by a check at a test's TestCase
		"TestAccPassed":   passed,
		"TestAccDied":     failed, // started, never ended: its package died
	} {
		if got := l.tests[testID{pkg, name}].outcome; got != want {
			t.Errorf("%s: outcome %d, want %d", name, got, want)
		}
	}
}

func TestReportPassesOnlyWhenEveryTestRanSomewhere(t *testing.T) {
	old, newest := newTestLeg("terraform", "1.11.4"), newTestLeg("terraform-newest", "1.16.4")
	m := newTestMatrix(old, newest)
	feed(t, m, old, "TestAccGated", "skip", versionSkipLine("1.11.4"))
	feed(t, m, newest, "TestAccGated", "pass")
	feed(t, m, old, "TestAccLifecycle", "pass")
	feed(t, m, newest, "TestAccLifecycle", "pass")
	feed(t, m, old, "TestUnit", "pass")

	var out strings.Builder
	if !m.report(&out, true) {
		t.Fatalf("the run failed:\n%s", out.String())
	}
	for _, want := range []string{
		"TestAccGated      skipped (version)  ran",
		"TestAccLifecycle  ran                ran",
		"other tests       ran (1 test)       -",
		"matrix: 4 passed, 0 failed, 1 skipped",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, out.String())
		}
	}

	// Skipped by version in every leg: it ran nowhere.
	feed(t, m, newest, "TestAccTooNew", "skip", versionSkipLine("1.16.4"))
	feed(t, m, old, "TestAccTooNew", "skip", versionSkipLine("1.11.4"))
	out.Reset()
	if m.report(&out, true) || !strings.Contains(out.String(), "PROBLEM: TestAccTooNew ran in no leg") {
		t.Errorf("a test no leg ran passed the run:\n%s", out.String())
	}
	out.Reset()
	if !m.report(&out, false) {
		t.Errorf("without -every-test-runs a version skip failed the run:\n%s", out.String())
	}
}

func TestReportFailsOnOtherSkipAndFailure(t *testing.T) {
	for _, tc := range []struct {
		action, output, problem string
	}{
		{"skip", "    x_test.go:6: other reason", "PROBLEM: TestAccX was skipped in Terraform 1.16.4, not by a CLI version check: x_test.go:6: other reason"},
		{"fail", "    x_test.go:9: boom", "PROBLEM: TestAccX failed in Terraform 1.16.4"},
	} {
		l := newTestLeg("terraform-newest", "1.16.4")
		m := newTestMatrix(l)
		feed(t, m, l, "TestAccX", tc.action, tc.output)
		var out strings.Builder
		if m.report(&out, false) {
			t.Errorf("%s: the run passed:\n%s", tc.action, out.String())
		}
		if !strings.Contains(out.String(), tc.problem) || !strings.Contains(out.String(), "matrix: 0 passed, 1 failed") {
			t.Errorf("%s: the report does not say so:\n%s", tc.action, out.String())
		}
	}
}
