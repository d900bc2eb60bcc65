// Command bench is `make bench`: the refresh-cost benchmark recorded in BENCHMARKS.md.
//
// It starts the bundled mock (in this process) with a fixed latency on every API call, installs the built provider
// through a filesystem mirror (internal/tfrun), and for each case (a service and a number N of webhooks) runs real
// Terraform: an apply of N creates, then, in alternating rounds, a no-change `terraform plan`, the same plan with
// -refresh=false (the floor: the same Terraform, provider and plan work without the refresh), and a no-change plan
// of N terraform_data resources (built into Terraform: no plugin, no RPC). API requests come from the mock's
// counters; the provider's peak memory is its VmHWM, sampled from /proc. It prints one table, then the targets of
// issue 6 with PASS or FAIL, and exits non-zero if a plan that should be empty is not or a count target fails.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/tfrun"
)

// applyConstant is the "small constant" of the apply target: requests beyond one create per webhook. Today it is
// one list, taken before the first create so that a create whose answer is lost can be reconciled.
const applyConstant = 5

// planFloorTarget is the target ratio of a no-change plan to the -refresh=false floor, at targetN.
const (
	planFloorTarget = 1.3
	targetN         = 200
)

type benchCase struct {
	service string // "sellfern" or "selsup"
	n       int
}

func (c benchCase) String() string { return fmt.Sprintf("%s:%d", c.service, c.n) }

func parseCases(s string) ([]benchCase, error) {
	var out []benchCase
	for _, part := range strings.Split(s, ",") {
		svc, num, ok := strings.Cut(strings.TrimSpace(part), ":")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n < 1 || (svc != "sellfern" && svc != "selsup") {
			return nil, fmt.Errorf("bad case %q: want service:N, service being sellfern or selsup, N >= 1", part)
		}
		out = append(out, benchCase{svc, n})
	}
	return out, nil
}

type options struct {
	provider, version string
	cases             []benchCase
	latency           time.Duration
	rounds            int
	keep              bool
	verbose           bool
	env               []string
}

// envFlags collects repeated -env KEY=VALUE flags.
type envFlags []string

func (e *envFlags) String() string { return strings.Join(*e, " ") }

func (e *envFlags) Set(v string) error {
	if k, _, ok := strings.Cut(v, "="); !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", v)
	}
	*e = append(*e, v)
	return nil
}

func main() {
	var o options
	sizes := flag.String("sizes", "sellfern:50,sellfern:200,sellfern:1000,selsup:200",
		"cases to run, service:N separated by commas (a quick run: -sizes sellfern:50 -rounds 1)")
	flag.StringVar(&o.provider, "provider", "bin/terraform-provider-webhooks", "the built provider binary")
	flag.StringVar(&o.version, "version", "0.1.0", "the version the provider was built as")
	flag.DurationVar(&o.latency, "latency", 20*time.Millisecond, "latency the mock adds to every API call")
	flag.IntVar(&o.rounds, "rounds", 5, "rounds of (plan, plan -refresh=false, terraform_data plan) per case; the table shows medians")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directories")
	flag.BoolVar(&o.verbose, "v", false, "echo every Terraform command's output")
	var env envFlags
	flag.Var(&env, "env", "KEY=VALUE added to every Terraform command's environment (and so the provider's); repeatable, "+
		"e.g. -env TF_LOG_SDK=off to measure the provider with its SDK logging off")
	flag.Parse()
	o.env = env
	var err error
	if o.cases, err = parseCases(*sizes); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if o.rounds < 1 {
		o.rounds = 1
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "\nbench:", err)
		os.Exit(1)
	}
}

var stderr = os.Stderr

func progress(format string, args ...any) {
	fmt.Fprintf(stderr, "  %s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// loadAverage is the 1-minute load average: other work on the machine skews the timings, not the counts.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Fields(string(data))[0]
}

func run(ctx context.Context, o options, stdout io.Writer) error {
	started := time.Now()
	loadBefore := loadAverage()
	provider, err := filepath.Abs(o.provider)
	if err != nil {
		return err
	}
	if _, err := os.Stat(provider); err != nil {
		return fmt.Errorf("the provider binary: %w (run `make build` first, or use `make bench`)", err)
	}
	root, err := os.MkdirTemp("", "webhooks-bench-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintf(os.Stderr, "work directory kept at %s\n", root)
	} else {
		defer os.RemoveAll(root)
	}

	fmt.Fprintf(os.Stderr, "bench: %d case(s), mock latency %s per API call, %d round(s) of plans each\n",
		len(o.cases), o.latency, o.rounds)
	var results []*caseResult
	for i, c := range o.cases {
		r, err := runCase(ctx, o, provider, filepath.Join(root, fmt.Sprintf("case%d-%s-%d", i, c.service, c.n)), c)
		if err != nil {
			return fmt.Errorf("%s: %w", c, err)
		}
		results = append(results, r)
	}

	failed := printTable(stdout, o, results)
	fmt.Fprintf(stdout, "\nbench took %s; 1-minute load average %s at the start, %s at the end (%d cores)\n",
		time.Since(started).Round(time.Second), loadBefore, loadAverage(), runtime.NumCPU())

	if failed {
		return errors.New("a count target was missed (see above)")
	}
	return nil
}

// opResult is one Terraform command.
type opResult struct {
	wall     time.Duration
	cpu      time.Duration // Terraform's own CPU plus that of the children it waited for (the provider)
	requests mockserver.Stats
	procs    procStats
	exit     int
}

func (r opResult) lists() int {
	return r.requests.Requests["sellfern.list"] + r.requests.Requests["selsup.list"]
}

type caseResult struct {
	c         benchCase
	apply     opResult
	plans     []opResult
	floors    []opResult
	dataApply opResult
	dataPlans []opResult
}

// bench is a workspace with its own mock and configuration.
type bench struct {
	ws   *tfrun.Workspace
	mock *mockserver.Server
	echo io.Writer
}

// terraform runs one command, sampling the provider processes below it, and returns what the mock saw during it.
func (b *bench) terraform(ctx context.Context, args ...string) (opResult, string, error) {
	if b.mock != nil {
		b.mock.ResetStats()
	}
	var out strings.Builder
	var sink io.Writer = &out
	if b.echo != nil {
		sink = io.MultiWriter(&out, b.echo)
	}
	start := time.Now()
	cmd, err := b.ws.Start(ctx, sink, args...)
	if err != nil {
		return opResult{}, "", err
	}
	s := startSampler(cmd.Process.Pid, "terraform-provider-webhooks")
	werr := cmd.Wait()
	res := opResult{wall: time.Since(start), procs: s.Stop()}
	if cmd.ProcessState != nil {
		res.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		res.exit = cmd.ProcessState.ExitCode()
	}
	if b.mock != nil {
		res.requests = b.mock.Stats()
	}
	var exitErr *exec.ExitError
	if werr != nil && !errors.As(werr, &exitErr) {
		return res, out.String(), fmt.Errorf("terraform %s: %w", strings.Join(args, " "), werr)
	}
	return res, out.String(), nil
}

// must runs a command that has to succeed (for a plan with -detailed-exitcode: with no changes).
func (b *bench) must(ctx context.Context, args ...string) (opResult, error) {
	res, out, err := b.terraform(ctx, args...)
	if err != nil {
		return res, err
	}
	if res.exit != 0 {
		return res, fmt.Errorf("terraform %s exited with %d, want 0:\n%s", strings.Join(args, " "), res.exit, tail(out, 40))
	}
	return res, nil
}

func tail(s string, lines int) string {
	all := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

func newBench(o options, provider, dir, config string, mock *mockserver.Server) (*bench, error) {
	ws, err := tfrun.NewWorkspace(dir, provider, o.version)
	if err != nil {
		return nil, err
	}
	// Whatever the caller's environment says, no Terraform or provider logging: the bench measures the default.
	ws.Env = append([]string{"TF_LOG=", "TF_LOG_PATH=", "TF_LOG_PROVIDER=", "TF_LOG_CORE="}, o.env...)
	if err := os.WriteFile(filepath.Join(ws.ConfigDir, "main.tf"), []byte(config), 0o644); err != nil {
		return nil, err
	}
	b := &bench{ws: ws, mock: mock}
	if o.verbose {
		b.echo = stderr
	}
	return b, nil
}

// Plan and apply arguments: Terraform's defaults (parallelism 10, locking, refresh), no colour, no prompts.
var (
	applyArgs = []string{"apply", "-auto-approve", "-input=false", "-no-color"}
	planArgs  = []string{"plan", "-input=false", "-no-color", "-detailed-exitcode"}
	floorArgs = append(slices.Clone(planArgs), "-refresh=false")
)

func runCase(ctx context.Context, o options, provider, dir string, c benchCase) (*caseResult, error) {
	mock := mockserver.New(mockserver.Options{Latency: o.latency, Seed: int64(c.n)})
	if err := mock.Start("127.0.0.1:0"); err != nil {
		return nil, err
	}
	defer mock.Close()

	ours, err := newBench(o, provider, filepath.Join(dir, "webhooks"), webhooksConfig(mock, c), mock)
	if err != nil {
		return nil, err
	}
	data, err := newBench(o, provider, filepath.Join(dir, "terraform_data"), terraformDataConfig(c), nil)
	if err != nil {
		return nil, err
	}
	progress("%s: terraform init (twice: the provider's configuration and the terraform_data one)", c)
	if _, err := ours.must(ctx, "init", "-input=false", "-no-color"); err != nil {
		return nil, err
	}
	if _, err := data.must(ctx, "init", "-input=false", "-no-color"); err != nil {
		return nil, err
	}

	r := &caseResult{c: c}
	progress("%s: apply of %d creates", c, c.n)
	if r.apply, err = ours.must(ctx, applyArgs...); err != nil {
		return nil, err
	}
	if held := held(mock, c.service); held != c.n {
		return nil, fmt.Errorf("after the apply the mock holds %d %s webhooks, want %d", held, c.service, c.n)
	}
	if r.dataApply, err = data.must(ctx, applyArgs...); err != nil {
		return nil, err
	}

	for round := range o.rounds {
		progress("%s: round %d/%d: plan, plan -refresh=false, terraform_data plan", c, round+1, o.rounds)
		// A no-change plan exits 0 with -detailed-exitcode; 2 would mean the provider sees a difference.
		plan, err := ours.must(ctx, planArgs...)
		if err != nil {
			return nil, fmt.Errorf("the plan after apply is not empty: %w", err)
		}
		floor, err := ours.must(ctx, floorArgs...)
		if err != nil {
			return nil, err
		}
		dataPlan, err := data.must(ctx, planArgs...)
		if err != nil {
			return nil, err
		}
		r.plans = append(r.plans, plan)
		r.floors = append(r.floors, floor)
		r.dataPlans = append(r.dataPlans, dataPlan)
	}
	return r, nil
}

func held(m *mockserver.Server, service string) int {
	if service == "sellfern" {
		return len(m.SellfernWebhooks())
	}
	return len(m.SelSupWebhooks())
}

// providerBlock points both services at the mock with its demo credentials.
func providerBlock(m *mockserver.Server) string {
	return tfrun.Services{
		SellfernToken: mockserver.DemoSellfernToken, SellfernURL: m.SellfernBaseURL(),
		SelSupKey: mockserver.DemoSelSupKey, SelSupURL: m.SelSupBaseURL(),
	}.Config("")
}

// webhooksConfig is N webhooks of one service with distinct URLs, the way a real configuration would use count.
func webhooksConfig(m *mockserver.Server, c benchCase) string {
	if c.service == "sellfern" {
		return providerBlock(m) + fmt.Sprintf(`
resource "sellfern_webhook" "bench" {
  provider = webhooks
  count    = %d
  url      = "https://hooks.example.com/bench/${count.index}"
  events   = ["order.created", "order.status_changed"]
}
`, c.n)
	}
	return providerBlock(m) + fmt.Sprintf(`
resource "selsup_webhook" "bench" {
  provider = webhooks
  count    = %d
  name     = "bench ${count.index}"
  url      = "https://hooks.example.com/bench/${count.index}"
  types    = ["ORDER", "ORDER_STATUS"]
}
`, c.n)
}

// terraformDataConfig holds the same values in terraform_data, which Terraform plans without any plugin.
func terraformDataConfig(c benchCase) string {
	return fmt.Sprintf(`
resource "terraform_data" "bench" {
  count = %d
  input = {
    url    = "https://hooks.example.com/bench/${count.index}"
    events = ["order.created", "order.status_changed"]
  }
}
`, c.n)
}

func median(rs []opResult, f func(opResult) float64) float64 {
	vals := make([]float64, 0, len(rs))
	for _, r := range rs {
		vals = append(vals, f(r))
	}
	slices.Sort(vals)
	if len(vals) == 0 {
		return 0
	}
	if len(vals)%2 == 1 {
		return vals[len(vals)/2]
	}
	return (vals[len(vals)/2-1] + vals[len(vals)/2]) / 2
}

func maxOf(rs []opResult, f func(opResult) int) int {
	m := 0
	for _, r := range rs {
		m = max(m, f(r))
	}
	return m
}

func wallS(r opResult) float64 { return r.wall.Seconds() }
func cpuS(r opResult) float64  { return r.cpu.Seconds() }
func provCPUS(r opResult) float64 {
	return r.procs.CPU
}

func printTable(w io.Writer, o options, results []*caseResult) (failed bool) {
	fmt.Fprintf(w, "Refresh cost: mock API latency %s per call, Terraform defaults (parallelism 10), median of %d round(s).\n",
		o.latency, o.rounds)
	if len(o.env) > 0 {
		fmt.Fprintf(w, "Extra environment for Terraform and the provider: %s\n", strings.Join(o.env, " "))
	}
	fmt.Fprintln(w, "req = API requests the mock counted during the command; lists = list calls among them (sellfern.list + selsup.list).")
	fmt.Fprintln(w, "floor = the same plan with -refresh=false. tf_data = the same N as terraform_data (no plugin).")
	fmt.Fprintln(w, "CPU = user+system seconds of Terraform and the provider together / of the provider alone (sampled from /proc).")
	fmt.Fprintln(w, "peak RSS = VmHWM of the provider process, sampled every 20 ms from /proc/<pid>/status: in the apply / the largest over the plans.")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "service\tN\tapply s\tapply req\tplan s\tplan req\tplan lists\tfloor s\tplan/floor\ttf_data apply s\ttf_data plan s\tplan/tf_data\tplan CPU s\tpeak RSS MiB apply / plan\t")
	for _, r := range results {
		plan, floor, dataPlan := median(r.plans, wallS), median(r.floors, wallS), median(r.dataPlans, wallS)
		planPeak := int64(0)
		for _, p := range r.plans {
			planPeak = max(planPeak, p.procs.PeakKB)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%d\t%.2f\t%d\t%d\t%.2f\t%.2fx\t%.2f\t%.2f\t%.1fx\t%.2f / %.2f\t%.0f / %.0f\t\n",
			r.c.service, r.c.n,
			r.apply.wall.Seconds(), r.apply.requests.Total,
			plan, maxOf(r.plans, func(r opResult) int { return r.requests.Total }), maxOf(r.plans, opResult.lists),
			floor, plan/floor,
			r.dataApply.wall.Seconds(), dataPlan, plan/dataPlan,
			median(r.plans, cpuS), median(r.plans, provCPUS),
			float64(r.apply.procs.PeakKB)/1024, float64(planPeak)/1024)
	}
	tw.Flush()

	fmt.Fprintln(w, "\nTargets (issue 6; a missed count target makes the exit status non-zero, a missed time target does not):")
	// Counts are exact; times depend on whatever else the machine is doing, so a time target is reported only.
	check := func(count, ok bool, format string, args ...any) {
		verdict := "PASS"
		if !ok {
			verdict = "FAIL"
			failed = failed || count
		}
		fmt.Fprintf(w, "  %s  %s\n", verdict, fmt.Sprintf(format, args...))
	}
	for _, r := range results {
		lists := maxOf(r.plans, opResult.lists)
		minLists := lists
		for _, p := range r.plans {
			minLists = min(minLists, p.lists())
		}
		check(true, lists == 1 && minLists == 1, "%s N=%d: list requests during a no-change plan = %d (want 1)", r.c.service, r.c.n, lists)
	}
	for _, r := range results {
		want := r.c.n + applyConstant
		check(true, r.apply.requests.Total <= want, "%s N=%d: API requests during the apply of %d creates = %d (creates %d, lists %d; want <= N + %d = %d)",
			r.c.service, r.c.n, r.c.n, r.apply.requests.Total,
			r.apply.requests.Requests[r.c.service+".create"], r.apply.lists(), applyConstant, want)
	}
	for _, r := range results {
		if r.c.n != targetN {
			continue
		}
		ratio := median(r.plans, wallS) / median(r.floors, wallS)
		check(false, ratio <= planFloorTarget, "%s N=%d: no-change plan / -refresh=false floor = %.2fx (want <= %.1fx)",
			r.c.service, r.c.n, ratio, planFloorTarget)
	}
	return failed
}
