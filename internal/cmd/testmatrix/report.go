package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

const (
	maxLinesPerFailure = 60
	maxFailureLines    = 400
)

// report prints what failed, the table and the verdict; it reports whether the run passed.
func (m *matrix) report(w io.Writer, everyTestRuns bool) bool {
	var problems []string
	other := 0 // problems that are not a failed test: a skip not allowed, a test that ran nowhere, a build failure
	printed := 0
	for _, l := range m.legs {
		for _, pkg := range sortedKeys(l.packages) {
			p := l.packages[pkg]
			if p.outcome == failed && !l.anyTestFailed(pkg) {
				problems = append(problems, fmt.Sprintf("%s failed in %s outside any test", shortPkg(pkg), l.label))
				other++
				printed += printOutput(w, fmt.Sprintf("%s, package %s", l.label, pkg), p.output, printed)
			}
		}
		for _, id := range l.order {
			r := l.tests[id]
			switch r.outcome {
			case failed:
				if !strings.Contains(id.name, "/") {
					problems = append(problems, fmt.Sprintf("%s failed in %s", id.name, l.label))
				}
				printed += printOutput(w, fmt.Sprintf("%s, %s %s", l.label, shortPkg(id.pkg), id.name), r.output, printed)
			case skippedOther:
				problems = append(problems, fmt.Sprintf("%s was skipped in %s, not by a CLI version check: %s", id.name, l.label, skipReason(r.output)))
				other++
			}
		}
		if l.runErr != nil && len(problems) == 0 {
			problems = append(problems, fmt.Sprintf("go test in %s: %v", l.label, l.runErr))
			other++
		}
	}
	if everyTestRuns {
		never := m.neverRan()
		problems = append(problems, never...)
		other += len(never)
	}

	m.table(w)
	for _, p := range problems {
		fmt.Fprintln(w, "PROBLEM:", p)
	}
	var pass, fail, skip int
	for _, l := range m.legs {
		for _, r := range l.tests {
			switch r.outcome {
			case passed:
				pass++
			case failed:
				fail++
			case skippedByVersion, skippedOther:
				skip++
			}
		}
	}
	if len(problems) > 0 {
		fmt.Fprintf(w, "The run failed; the full logs are %s.\n", m.logPaths())
		fmt.Fprintln(w, "A test may skip only through a plugin-testing version check (TerraformVersionChecks) for a feature its CLI lacks, and must run in at least one leg.")
	}
	// Tests and subtests over every leg; a problem that is no failed test counts as one failure.
	fmt.Fprintf(w, "matrix: %d passed, %d failed, %d skipped\n", pass, fail+other, skip)
	return len(problems) == 0
}

// neverRan lists the tests (subtests included) that some leg skipped by version and no leg ran.
func (m *matrix) neverRan() []string {
	ran := map[testID]bool{}
	skipped := map[testID][]string{}
	var order []testID
	for _, l := range m.legs {
		for _, id := range l.order {
			switch l.tests[id].outcome {
			case passed, failed:
				ran[id] = true
			case skippedByVersion:
				if _, ok := skipped[id]; !ok {
					order = append(order, id)
				}
				skipped[id] = append(skipped[id], l.label)
			}
		}
	}
	var out []string
	for _, id := range order {
		if !ran[id] {
			out = append(out, fmt.Sprintf("%s ran in no leg: skipped by version in %s", id.name, strings.Join(skipped[id], ", ")))
		}
	}
	return out
}

// table prints one row per test that drives a CLI or did not simply pass, one row per package for the rest (unit
// tests and fuzz seed corpora, which pass in the one leg that runs them), and each leg's time.
func (m *matrix) table(w io.Writer) {
	type row struct {
		pkg, name string
		cells     []string
	}
	individual := map[testID]bool{}
	pkgs := map[string]bool{}
	for _, l := range m.legs {
		for _, id := range l.order {
			if strings.Contains(id.name, "/") {
				continue
			}
			pkgs[id.pkg] = true
			if strings.HasPrefix(id.name, "TestAcc") || l.tests[id].outcome != passed {
				individual[id] = true
			}
		}
	}
	var rows []row
	for _, pkg := range sortedKeys(pkgs) {
		var names []string
		for id := range individual {
			if id.pkg == pkg {
				names = append(names, id.name)
			}
		}
		slices.Sort(names)
		for _, name := range names {
			r := row{pkg: pkg, name: name}
			for _, l := range m.legs {
				r.cells = append(r.cells, l.cell(testID{pkg, name}))
			}
			rows = append(rows, r)
		}
		r := row{pkg: pkg}
		others := false
		for _, l := range m.legs {
			n := 0
			for _, id := range l.order {
				if id.pkg == pkg && !strings.Contains(id.name, "/") && !individual[id] {
					n++
				}
			}
			if n == 0 {
				r.cells = append(r.cells, "-")
				continue
			}
			others = true
			r.cells = append(r.cells, fmt.Sprintf("ran (%s)", plural(n, "test")))
		}
		if others {
			if len(names) == 0 {
				r.name = "all tests"
			} else {
				r.name = "other tests"
			}
			rows = append(rows, r)
		}
	}

	fmt.Fprintln(w, "\n== test matrix (ran = passed; skipped (version) = a plugin-testing version check for a feature that CLI lacks; - = not in that leg)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := "test"
	for _, l := range m.legs {
		header += "\t" + l.label
	}
	fmt.Fprintln(tw, header)
	last := ""
	for _, r := range rows {
		if r.pkg != last {
			fmt.Fprintf(tw, "%s%s\n", shortPkg(r.pkg), strings.Repeat("\t", len(m.legs)))
			last = r.pkg
		}
		fmt.Fprintf(tw, "  %s\t%s\n", r.name, strings.Join(r.cells, "\t"))
	}
	timeRow := "time"
	for _, l := range m.legs {
		timeRow += "\t" + l.elapsed.Round(time.Second).String()
	}
	fmt.Fprintln(tw, timeRow)
	_ = tw.Flush()
	if m.jobs > 1 {
		fmt.Fprintf(w, "(up to %d legs at once: %s for all)\n", m.jobs, m.elapsed.Round(time.Second))
	}
}

// cell is a top-level test's outcome in this leg.
func (l *leg) cell(id testID) string {
	r, ok := l.tests[id]
	if !ok {
		return "-"
	}
	switch r.outcome {
	case passed:
		n := 0
		for _, sub := range l.order {
			if sub.pkg == id.pkg && strings.HasPrefix(sub.name, id.name+"/") && l.tests[sub].outcome == skippedByVersion {
				n++
			}
		}
		if n > 0 {
			return fmt.Sprintf("ran (%s skipped (version))", plural(n, "subtest"))
		}
		return "ran"
	case skippedByVersion:
		return "skipped (version)"
	case skippedOther:
		return "SKIPPED (not allowed)"
	default:
		return "FAILED"
	}
}

func (l *leg) anyTestFailed(pkg string) bool {
	for _, id := range l.order {
		if id.pkg == pkg && l.tests[id].outcome == failed {
			return true
		}
	}
	return false
}

func (m *matrix) logPaths() string {
	var paths []string
	for _, l := range m.legs {
		paths = append(paths, l.logPath)
	}
	return strings.Join(paths, ", ")
}

// printOutput prints the end of a failure's output, within an overall budget of lines.
func printOutput(w io.Writer, title string, output []string, printedSoFar int) int {
	if printedSoFar >= maxFailureLines {
		return 0
	}
	lines := strings.Split(strings.TrimRight(strings.Join(output, ""), "\n"), "\n")
	if len(lines) > maxLinesPerFailure {
		lines = append([]string{fmt.Sprintf("… (%d lines before these; see the full log)", len(lines)-maxLinesPerFailure)}, lines[len(lines)-maxLinesPerFailure:]...)
	}
	fmt.Fprintf(w, "\n--- FAIL %s\n%s\n", title, strings.Join(lines, "\n"))
	return len(lines) + 2
}

// skipReason is what a skipped test logged, without the --- SKIP line itself.
func skipReason(output []string) string {
	var parts []string
	for _, o := range output {
		s := strings.TrimSpace(o)
		if s == "" || strings.HasPrefix(s, "=== ") || strings.HasPrefix(s, "--- SKIP") {
			continue
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "(no message)"
	}
	return strings.Join(parts, " / ")
}

func shortPkg(pkg string) string {
	return strings.TrimPrefix(pkg, "github.com/seed/terraform-provider-webhooks/")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
