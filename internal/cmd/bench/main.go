// Command bench is `make bench`: it runs real Terraform against the built provider and the in-repo mock, prints
// what commands cost in API requests and time, and checks those numbers against their targets.
//
// Counts come from the mock's counters and do not depend on the machine, so a missed count target makes the exit
// status non-zero. Times depend on whatever else the machine is running, so a missed time target is printed only.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/tfrun"
)

// bench holds the settings every measurement shares.
type bench struct {
	provider, version string        // the built provider binary and the version it was built as
	latency           time.Duration // added by the mock to every API call
	rounds            int           // how many times each repeated command runs; tables show medians
	env               []string      // extra KEY=VALUE for every Terraform command (and so for the provider)
	root              string        // work directories are created below here
	echo              io.Writer     // where Terraform's output is echoed (-v), or nil
}

// A section is one table of the report, with the targets it checks. Each kind of measurement builds one,
// running its own cases against mocks of its own; another kind is another function that returns a section.
type section struct {
	title  string
	legend []string // what each column measures
	header []string
	rows   [][]string
	checks []check
}

// A check is one target and whether it was met.
type check struct {
	count bool // a count target (a miss fails the run) rather than a time target (a miss is only reported)
	ok    bool
	text  string
}

func main() {
	b := bench{}
	cases := flag.String("sizes", "sellfern:50,sellfern:200,sellfern:1000,selsup:200",
		"refresh-cost cases, service:N separated by commas (a quick run: -sizes sellfern:50 -rounds 1)")
	flag.StringVar(&b.provider, "provider", "bin/terraform-provider-webhooks", "the built provider binary")
	flag.StringVar(&b.version, "version", "0.1.0", "the version the provider was built as")
	flag.DurationVar(&b.latency, "latency", 20*time.Millisecond, "latency the mock adds to every API call")
	flag.IntVar(&b.rounds, "rounds", 5, "rounds of the repeated commands per case; tables show medians")
	only := flag.String("only", "refresh,query,limit,faults,share", "the sections to run, separated by commas: "+
		"refresh, query, limit, faults, share")
	limit := limitCase{}
	flag.Float64Var(&limit.perSecond, "limit-rate", 5, "requests per second the mock admits per service in the limit section")
	flag.IntVar(&limit.sellfern, "limit-sellfern", 100, "Sellfern webhooks in the limit section")
	flag.IntVar(&limit.selsup, "limit-selsup", 30, "SelSup webhooks in the limit section")
	faults := faultsCase{}
	flag.IntVar(&faults.n, "faults-n", 100, "webhooks each row of the faults section creates")
	flag.Float64Var(&faults.rate, "faults-rate", 0.2, "fraction of API calls that fail in the faults section")
	shareRuns := flag.Int("share-runs", 3, "runs at once on one account in the share section")
	shareRows := flag.String("share-rows", "", `only the share section's rows whose name contains this, such as "1/s" or "one machine"`)
	keep := flag.Bool("keep", false, "keep the work directories")
	verbose := flag.Bool("v", false, "echo every Terraform command's output")
	flag.Func("env", "KEY=VALUE added to every Terraform command's environment, and so the provider's (repeatable)",
		func(v string) error {
			if k, _, ok := strings.Cut(v, "="); !ok || k == "" {
				return fmt.Errorf("want KEY=VALUE, got %q", v)
			}
			b.env = append(b.env, v)
			return nil
		})
	flag.Parse()
	refreshCases, err := parseRefreshCases(*cases)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	b.rounds = max(b.rounds, 1)
	if *verbose {
		b.echo = os.Stderr
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, &b, *keep, strings.Split(*only, ","), refreshCases, limit, faults, max(*shareRuns, 1),
		*shareRows); err != nil {
		fmt.Fprintln(os.Stderr, "\nbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, b *bench, keep bool, only []string, refreshCases []refreshCase, limit limitCase,
	faults faultsCase, shareRuns int, shareRows string) error {
	started, loadBefore := time.Now(), loadAverages()
	var err error
	if b.provider, err = filepath.Abs(b.provider); err != nil {
		return err
	}
	if _, err := os.Stat(b.provider); err != nil {
		return fmt.Errorf("the provider binary: %w (run `make build` first, or use `make bench`)", err)
	}
	if b.root, err = os.MkdirTemp("", "webhooks-bench-"); err != nil {
		return err
	}
	if keep {
		fmt.Fprintln(os.Stderr, "work directories kept below", b.root)
	} else {
		defer os.RemoveAll(b.root)
	}

	// One section per kind of measurement, in the order they are printed.
	var sections []section
	for _, kind := range []struct {
		name    string
		measure func() (section, error)
	}{
		{"refresh", func() (section, error) { return refreshCost(ctx, b, refreshCases) }},
		{"query", func() (section, error) { return queryCost(ctx, b) }},
		{"limit", func() (section, error) { return limitCost(ctx, b, limit) }},
		{"faults", func() (section, error) { return faultsCost(ctx, b, faults) }},
		{"share", func() (section, error) { return shareCost(ctx, b, shareRuns, shareRows) }},
	} {
		if !slices.Contains(only, kind.name) {
			continue
		}
		s, err := kind.measure()
		if err != nil {
			return err
		}
		sections = append(sections, s)
	}

	failed := printReport(os.Stdout, b, sections)
	fmt.Printf("\nbench took %s; load averages (1, 5, 15 min) %s at the start, %s at the end; %d cores\n",
		time.Since(started).Round(time.Second), loadBefore, loadAverages(), runtime.NumCPU())
	if failed {
		return fmt.Errorf("a count target was missed (see above)")
	}
	return nil
}

// printReport prints each section's table and targets, and says whether a count target was missed.
func printReport(w io.Writer, b *bench, sections []section) (failed bool) {
	fmt.Fprintf(w, "Mock API latency %s per call; Terraform's defaults (parallelism 10, no TF_LOG); medians of %d round(s).\n",
		b.latency, b.rounds)
	if len(b.env) > 0 {
		fmt.Fprintln(w, "Extra environment for Terraform and the provider:", strings.Join(b.env, " "))
	}
	for _, s := range sections {
		fmt.Fprintf(w, "\n%s\n", s.title)
		for _, l := range s.legend {
			fmt.Fprintln(w, "  "+l)
		}
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, strings.Join(s.header, "\t")+"\t")
		for _, row := range s.rows {
			fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
		}
		tw.Flush()

		fmt.Fprintln(w, "\nTargets (a missed count target makes the exit status non-zero, a missed time target does not):")
		for _, c := range s.checks {
			verdict := "PASS"
			if !c.ok {
				verdict = "FAIL"
				failed = failed || c.count
			}
			fmt.Fprintf(w, "  %s  %s\n", verdict, c.text)
		}
	}
	return failed
}

// loadAverages are the machine's load averages: other work skews the times, never the counts.
func loadAverages() string {
	data, err := os.ReadFile("/proc/loadavg")
	if fields := strings.Fields(string(data)); err == nil && len(fields) >= 3 {
		return strings.Join(fields[:3], " ")
	}
	return "unknown"
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "  %s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// newMock starts a mock of both services on loopback; seed makes its ids reproducible.
// mockServices are both services of the mock m, with its demo credentials.
func mockServices(m *mockserver.Server) tfrun.Services {
	return tfrun.Services{SellfernToken: mockserver.DemoSellfernToken, SellfernURL: m.SellfernBaseURL(),
		SelSupKey: mockserver.DemoSelSupKey, SelSupURL: m.SelSupBaseURL()}
}

func (b *bench) newMock(seed int64) (*mockserver.Server, error) {
	m := mockserver.New(mockserver.Options{Latency: b.latency, Seed: seed})
	return m, m.Start("127.0.0.1:0")
}

// workspace is one Terraform configuration, with the provider installed as a user's Terraform would find it,
// and the mock its requests go to (nil when the configuration uses no provider).
type workspace struct {
	tf   *tfrun.Workspace
	mock *mockserver.Server
	echo io.Writer
}

func (b *bench) workspace(dir, config string, mock *mockserver.Server) (*workspace, error) {
	tf, err := tfrun.NewWorkspace(filepath.Join(b.root, dir), b.provider, b.version)
	if err != nil {
		return nil, err
	}
	// Whatever the caller's environment says, no logging: the bench measures what users get by default.
	tf.Env = append([]string{"TF_LOG=", "TF_LOG_PATH=", "TF_LOG_PROVIDER=", "TF_LOG_CORE="}, b.env...)
	if err := os.WriteFile(filepath.Join(tf.ConfigDir, "main.tf"), []byte(config), 0o644); err != nil {
		return nil, err
	}
	return &workspace{tf: tf, mock: mock, echo: b.echo}, nil
}

// cost is what one Terraform command took.
type cost struct {
	wall time.Duration
	// cpu is the user+system CPU time of terraform and of the provider processes it started: the rusage of a
	// process that has been waited for includes that of the children it waited for itself, as Terraform does for
	// its plugins.
	cpu time.Duration
	api mockserver.Stats // the requests the mock counted during the command
}

// lists is the number of list calls, to either service.
func (c cost) lists() int { return c.api.Requests["sellfern.list"] + c.api.Requests["selsup.list"] }

// terraform runs one command, which must exit 0 (for a plan with -detailed-exitcode: no changes), and returns
// what it cost.
func (w *workspace) terraform(ctx context.Context, args ...string) (cost, error) {
	c, _, err := w.terraformOutput(ctx, args...)
	return c, err
}

// terraformOutput is terraform, and the command's output too.
func (w *workspace) terraformOutput(ctx context.Context, args ...string) (cost, string, error) {
	if w.mock != nil {
		w.mock.ResetStats()
	}
	var out strings.Builder
	sink := io.Writer(&out)
	if w.echo != nil {
		sink = io.MultiWriter(&out, w.echo)
	}
	start := time.Now()
	cmd, err := w.tf.Start(ctx, sink, args...)
	if err != nil {
		return cost{}, "", err
	}
	if err := cmd.Wait(); err != nil {
		return cost{}, "", fmt.Errorf("terraform %s: %w\n%s", strings.Join(args, " "), err, lastLines(out.String(), 40))
	}
	c := cost{wall: time.Since(start), cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
	if w.mock != nil {
		c.api = w.mock.Stats()
	}
	return c, out.String(), nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// median of f over the rounds of one command.
func median(cs []cost, f func(cost) float64) float64 {
	vals := make([]float64, len(cs))
	for i, c := range cs {
		vals[i] = f(c)
	}
	slices.Sort(vals)
	switch n := len(vals); {
	case n == 0:
		return 0
	case n%2 == 1:
		return vals[n/2]
	default:
		return (vals[n/2-1] + vals[n/2]) / 2
	}
}

func wallSeconds(c cost) float64 { return c.wall.Seconds() }
func cpuSeconds(c cost) float64  { return c.cpu.Seconds() }
