// Command testmatrix runs the tests once per CLI ("leg") and ends with a table of each test against each CLI:
// ran, skipped by version, or failed, with each leg's time. `make test` runs every leg, `make testacc` one.
//
// A leg is named by the CLI it runs:
//
//	terraform          the Terraform on PATH: every test of every package (unit tests, fuzz seed corpora,
//	                   acceptance and end-to-end tests), with TF_ACC=1
//	terraform-newest   Terraform and OpenTofu at the versions pinned in internal/tfrun, built from their Go
//	tofu               modules when not cached (go run ./internal/cmd/clis): the tests that drive a CLI
//	a path             any Terraform or OpenTofu binary, likewise
//
// The tests that drive a CLI are the TestAcc… tests, run in every package that has one; unit tests need no CLI
// and run once, in the terraform leg. Each leg sets TF_ACC=1 and TF_ACC_TERRAFORM_PATH to its CLI (plugin-testing
// and internal/tfrun both run that binary), and an OpenTofu leg sets TF_ACC_PROVIDER_HOST=registry.opentofu.org,
// the registry OpenTofu resolves "seed/webhooks" to.
//
// The run fails when a test fails and when a test is skipped for any reason but a plugin-testing version check
// (tfversion, in TerraformVersionChecks) for a feature that CLI lacks; with -every-test-runs it also fails when a
// test ran in no leg. Each leg's full log is written to -logdir as test-LEG.log. Legs run one after another, or
// -jobs of them at once.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/seed/terraform-provider-webhooks/internal/tfrun"
)

// accTest names the tests that drive a CLI, and so run in every leg.
var accTest = regexp.MustCompile(`(?m)^func (TestAcc\w*)\(`)

// versionSkip matches the line plugin-testing logs when a check of TerraformVersionChecks (package tfversion) skips
// a test, located at the test's own TestCase: "Terraform CLI version 1.11.4 is below minimum version 1.14.0:
// skipping test", and the other checks' wordings. The version it names must be the leg's.
var versionSkip = regexp.MustCompile(`^\s*[\w.-]+\.go:\d+: Terraform CLI version (\S+) is (?:below minimum version \S+|above maximum version \S+|between \S+ and \S+|not an alpha build|not a prerelease build): skipping test\.?\s*$`)

func main() {
	legs := flag.String("legs", "terraform", "comma-separated legs: terraform, terraform-newest, tofu, or the path of a Terraform or OpenTofu binary")
	everyTestRuns := flag.Bool("every-test-runs", false, "fail when a test ran in no leg (every one skipped it by version)")
	parallel := flag.Int("parallel", 4, "go test -parallel")
	jobs := flag.Int("jobs", 1, "legs run at once, in the order given")
	timeout := flag.String("timeout", "30m", "go test -timeout, per leg")
	logDir := flag.String("logdir", "bin", "where each leg's full log goes")
	echo := flag.String("echo", "CHAOS FIGURES", "also print test output lines matching this regular expression")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	m := &matrix{console: os.Stdout, jobs: max(*jobs, 1), parallel: *parallel, timeout: *timeout, logDir: *logDir, echo: regexp.MustCompile(*echo)}
	ok, err := m.run(ctx, strings.Split(*legs, ","), *everyTestRuns)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testmatrix:", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

type matrix struct {
	jobs     int // legs run at once
	parallel int
	timeout  string
	logDir   string
	echo     *regexp.Regexp
	legs     []*leg
	elapsed  time.Duration // all legs
	console  io.Writer     // progress lines go here
	out      sync.Mutex    // the console, which legs running at once share
}

// say prints a line about a leg: prefixed with the leg's name when legs run at once.
func (m *matrix) say(l *leg, format string, args ...any) {
	m.out.Lock()
	defer m.out.Unlock()
	prefix := "   "
	if m.jobs > 1 {
		prefix = fmt.Sprintf("   [%s] ", l.key)
	}
	for line := range strings.Lines(fmt.Sprintf(format, args...)) {
		fmt.Fprint(m.console, prefix+strings.TrimRight(line, "\n")+"\n")
	}
}

type outcome int

const (
	notRun outcome = iota
	passed
	skippedByVersion
	skippedOther
	failed
)

// leg is one CLI's run.
type leg struct {
	key, binary, label string
	version            string // the CLI's version number, as plugin-testing's version checks write it
	all                bool   // every test, or only the tests that drive a CLI
	env                []string
	elapsed            time.Duration
	logPath            string
	tests              map[testID]*result
	order              []testID
	packages           map[string]*result // each package's own result and output (build errors, panics)
	runErr             error
}

type testID struct{ pkg, name string }

type result struct {
	outcome outcome
	output  []string
	ended   bool
}

func (m *matrix) run(ctx context.Context, keys []string, everyTestRuns bool) (bool, error) {
	if err := os.MkdirAll(m.logDir, 0o755); err != nil {
		return false, err
	}
	for _, key := range keys {
		l, err := newLeg(ctx, strings.TrimSpace(key))
		if err != nil {
			return false, err
		}
		m.legs = append(m.legs, l)
	}
	accPkgs, err := accPackages(ctx)
	if err != nil {
		return false, err
	}
	start := time.Now()
	var g errgroup.Group
	g.SetLimit(m.jobs)
	for _, l := range m.legs {
		g.Go(func() error { return m.runLeg(ctx, l, accPkgs) })
	}
	if err := g.Wait(); err != nil {
		return false, err
	}
	m.elapsed = time.Since(start)
	return m.report(os.Stdout, everyTestRuns), nil
}

// newLeg finds the leg's CLI (building a pinned one if needed) and what it is.
func newLeg(ctx context.Context, key string) (*leg, error) {
	l := &leg{key: key, tests: map[testID]*result{}, packages: map[string]*result{}}
	binary, err := tfrun.ResolveCLI(ctx, key, os.Stderr)
	if err != nil {
		return nil, err
	}
	l.binary = binary
	_, pinned := tfrun.LookupCLI(key)
	switch {
	case key == "terraform":
		l.all = true
	case !pinned:
		l.key = "cli-" + filepath.Base(key)
	}
	version, err := tfrun.VersionOf(ctx, l.binary)
	if err != nil {
		return nil, err
	}
	l.label = strings.Replace(version, " v", " ", 1)
	_, l.version, _ = strings.Cut(version, " v")
	l.env = []string{"TF_ACC=1", tfrun.EnvCLI + "=" + l.binary, "CHECKPOINT_DISABLE=1"}
	if strings.HasPrefix(version, tfrun.OpenTofu.Product+" ") {
		l.env = append(l.env, "TF_ACC_PROVIDER_HOST="+tfrun.OpenTofu.ProviderHost)
	}
	return l, nil
}

// accPackages lists the packages with a TestAcc… test.
func accPackages(ctx context.Context) ([]string, error) {
	out, err := exec.CommandContext(ctx, "go", "list", "-f",
		`{{.ImportPath}}{{range .TestGoFiles}} {{$.Dir}}/{{.}}{{end}}{{range .XTestGoFiles}} {{$.Dir}}/{{.}}{{end}}`, "./...").Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	var pkgs []string
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		for _, f := range fields[1:] {
			src, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			if accTest.Match(src) {
				pkgs = append(pkgs, fields[0])
				break
			}
		}
	}
	if len(pkgs) == 0 {
		return nil, errors.New("no package has a TestAcc… test")
	}
	return pkgs, nil
}

// environ is the environment less the variables a leg sets itself.
func environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "TF_ACC", tfrun.EnvCLI, "TF_ACC_PROVIDER_HOST", "TF_ACC_TERRAFORM_VERSION":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// event is one line of `go test -json`.
type event struct {
	Action     string
	Package    string
	ImportPath string // build-output and build-fail events name the package here
	Test       string
	Output     string
}

func (m *matrix) runLeg(ctx context.Context, l *leg, accPkgs []string) error {
	args := []string{"test", "-json", "-count=1", "-parallel", fmt.Sprint(m.parallel), "-timeout", m.timeout}
	if l.all {
		args = append(args, "./...")
	} else {
		args = append(append(args, "-run", "^TestAcc"), accPkgs...)
	}
	l.logPath = filepath.Join(m.logDir, "test-"+l.key+".log")
	logFile, err := os.Create(l.logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	m.say(l, "leg %s: %s (%s)\n%s go %s", l.key, l.label, l.binary, strings.Join(l.env, " "), strings.Join(args, " "))

	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Env = append(environ(), l.env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = io.MultiWriter(logFile, os.Stderr) // the go command's own messages
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	scanner := bufio.NewScanner(stdout)
	scanner.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for scanner.Scan() {
		m.handle(l, logFile, scanner.Bytes())
	}
	scanErr := scanner.Err()
	l.runErr = cmd.Wait()
	l.elapsed = time.Since(start)
	if scanErr != nil {
		return fmt.Errorf("reading go test -json: %w", scanErr)
	}
	l.finish()
	m.say(l, "leg %s finished in %s; full log %s", l.key, l.elapsed.Round(time.Second), l.logPath)
	return nil
}

func (m *matrix) handle(l *leg, log io.Writer, line []byte) {
	var e event
	if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
		fmt.Fprintf(log, "%s\n", line)
		return
	}
	if e.Package == "" {
		e.Package = e.ImportPath
	}
	switch e.Action {
	case "build-output", "build-fail":
		p := l.pkg(e.Package)
		p.output = append(p.output, e.Output)
		if e.Action == "build-fail" {
			p.outcome, p.ended = failed, true
		}
		_, _ = io.WriteString(log, e.Output)
		return
	case "output":
		_, _ = io.WriteString(log, e.Output)
		if e.Test != "" && m.echo.MatchString(e.Output) {
			m.say(l, "%s", strings.TrimSpace(e.Output))
		}
	}
	if e.Test == "" {
		p := l.pkg(e.Package)
		switch e.Action {
		case "output":
			p.output = append(p.output, e.Output)
		case "pass", "fail", "skip":
			p.ended = true
			p.outcome = map[string]outcome{"pass": passed, "fail": failed, "skip": passed}[e.Action]
			if e.Action != "skip" { // skip: no test files
				m.say(l, "%s", strings.TrimSpace(lastLine(p.output)))
			}
		}
		return
	}
	id := testID{e.Package, e.Test}
	r, seen := l.tests[id]
	if !seen {
		r = &result{}
		l.tests[id] = r
		l.order = append(l.order, id)
	}
	switch e.Action {
	case "output":
		r.output = append(r.output, e.Output)
	case "pass":
		r.outcome, r.ended = passed, true
	case "fail":
		r.outcome, r.ended = failed, true
	case "skip":
		r.outcome, r.ended = skippedOther, true
		for _, o := range r.output {
			if m := versionSkip.FindStringSubmatch(o); m != nil && m[1] == l.version {
				r.outcome = skippedByVersion
			}
		}
	}
}

// finish marks as failed every test that started but never ended: it died with its package (a panic, a timeout).
func (l *leg) finish() {
	for _, id := range l.order {
		if r := l.tests[id]; !r.ended {
			r.outcome = failed
		}
	}
}

func (l *leg) pkg(name string) *result {
	p, ok := l.packages[name]
	if !ok {
		p = &result{}
		l.packages[name] = p
	}
	return p
}

func lastLine(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		if s := strings.TrimSpace(lines[i]); s != "" {
			return s
		}
	}
	return ""
}
