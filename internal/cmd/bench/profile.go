package main

// -profile: where the time of one no-change plan goes.
//
// Three views of a Sellfern plan at -profile-n webhooks, after the table:
//
//  1. As users run it (Terraform launches the provider): wall time and CPU of Terraform core and of the provider,
//     for the plan and for its -refresh=false floor, medians of -rounds; the difference is what the refresh costs.
//     The same again with the provider's logging off (TF_LOG_SDK=off, TF_LOG_PROVIDER_WEBHOOKS=off): by default
//     the SDK logs every RPC at TRACE, as JSON on stderr, whatever Terraform's TF_LOG says, and Terraform reads
//     every line and drops it, so the difference is what that logging costs both processes.
//  2. The provider served from this process and reattached (TF_REATTACH_PROVIDERS), wrapped so that every RPC is
//     timed on the provider's side: how many calls of each kind, how long they took in the provider in total, and
//     when (from the start of the command) the first began and the last ended. What is not inside an RPC is
//     Terraform core, the gRPC hop, and (only when launched) the plugin's start-up.
//  3. A CPU profile of that in-process provider over several plans (100 Hz), with its default logging and with
//     it off, its samples sorted into components by their stacks: the provider's own logging
//     (terraform-plugin-log, go-hclog), gRPC and protobuf, msgpack and tftypes, the Plugin Framework, the
//     provider's resources, the API client (HTTP, JSON, the shared list), the Go runtime and GC.
//
// One list call is also timed directly with the Sellfern client: the API's share of the plan.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/provider"
	"github.com/seed/terraform-provider-webhooks/internal/sellfern"
	"github.com/seed/terraform-provider-webhooks/internal/tfrun"
)

// profiledPlans is how many reattached plans each CPU profile covers, for enough samples at 100 Hz.
const profiledPlans = 10

func runProfile(ctx context.Context, o options, providerBinary, dir string, w io.Writer) error {
	c := benchCase{"sellfern", o.profileN}
	fmt.Fprintf(os.Stderr, "profile: %s\n", c)
	mock := mockserver.New(mockserver.Options{Latency: o.latency, Seed: int64(c.n)})
	if err := mock.Start("127.0.0.1:0"); err != nil {
		return err
	}
	defer mock.Close()
	b, err := newBench(o, providerBinary, dir, webhooksConfig(mock, c), mock)
	if err != nil {
		return err
	}
	if _, err := b.must(ctx, "init", "-input=false", "-no-color"); err != nil {
		return err
	}
	if _, err := b.must(ctx, applyArgs...); err != nil {
		return err
	}

	// 1. Launched by Terraform; then the same with the provider's SDK and provider loggers off. By default they log
	// at TRACE whatever Terraform's TF_LOG says, and Terraform reads and drops every line.
	var plans, floors, quietPlans, quietFloors []opResult
	loud := b.ws.Env
	quiet := append(slices.Clone(loud), quietLogging...)
	for round := range o.rounds {
		progress("profile: launched provider, round %d/%d", round+1, o.rounds)
		for _, run := range []struct {
			env  []string
			args []string
			into *[]opResult
		}{{loud, planArgs, &plans}, {loud, floorArgs, &floors}, {quiet, planArgs, &quietPlans}, {quiet, floorArgs, &quietFloors}} {
			b.ws.Env = run.env
			r, err := b.must(ctx, run.args...)
			if err != nil {
				return err
			}
			*run.into = append(*run.into, r)
		}
	}
	b.ws.Env = loud

	// The API's share: one list of N webhooks through the real client, as the refresh makes it.
	client, err := sellfern.New(sellfern.Config{BaseURL: mock.SellfernBaseURL(), Token: mockserver.DemoSellfernToken})
	if err != nil {
		return err
	}
	var listTimes []float64
	for range 5 {
		start := time.Now()
		hooks, err := client.ListWebhooks(ctx)
		if err != nil {
			return err
		}
		if len(hooks) != c.n {
			return fmt.Errorf("listed %d webhooks, want %d", len(hooks), c.n)
		}
		listTimes = append(listTimes, time.Since(start).Seconds())
		client, _ = sellfern.New(sellfern.Config{BaseURL: mock.SellfernBaseURL(), Token: mockserver.DemoSellfernToken})
	}
	slices.Sort(listTimes)

	// 2 and 3. Served from this process. It logs at TRACE, as a launched provider does, to os.Stderr, which is
	// swapped for a pipe drained here, as Terraform drains a launched provider's.
	restore, err := drainStderr()
	if err != nil {
		return err
	}
	defer restore()
	srv, err := startInProcess(ctx)
	if err != nil {
		return err
	}
	defer srv.close()
	b.ws.Env = append(b.ws.Env, "TF_REATTACH_PROVIDERS="+srv.reattach)

	progress("profile: reattached provider, timed RPCs")
	srv.reset()
	planIn, err := b.must(ctx, planArgs...)
	if err != nil {
		return err
	}
	planRPCs := srv.snapshot(planIn)
	srv.reset()
	floorIn, err := b.must(ctx, floorArgs...)
	if err != nil {
		return err
	}
	floorRPCs := srv.snapshot(floorIn)

	loudProf, err := profilePlans(ctx, b, filepath.Join(dir, "provider-plan.pprof"), nil, o.keep)
	if err != nil {
		return err
	}
	quietProf, err := profilePlans(ctx, b, filepath.Join(dir, "provider-plan-logging-off.pprof"), quietLogging, o.keep)
	if err != nil {
		return err
	}

	// Report.
	fmt.Fprintf(w, "\nWhere a no-change plan's time goes: %s webhooks, mock latency %s\n", c, o.latency)
	fmt.Fprintf(w, "\n1. Launched by Terraform, as users run it (median of %d):\n", o.rounds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\twall s\tCPU s, Terraform core\tCPU s, provider\tprovider processes\tAPI requests\t")
	row := func(name string, rs []opResult) (wall, core, prov float64) {
		wall = median(rs, wallS)
		prov = median(rs, provCPUS)
		core = median(rs, cpuS) - prov
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%d\t%d\t\n", name, wall, core, prov,
			maxOf(rs, func(r opResult) int { return r.procs.Processes }), maxOf(rs, func(r opResult) int { return r.requests.Total }))
		return
	}
	pw, pc, pp := row("plan", plans)
	fw, fc, fp := row("plan -refresh=false", floors)
	fmt.Fprintf(tw, "the refresh (difference)\t%+.3f\t%+.3f\t%+.3f\t\t\t\n", pw-fw, pc-fc, pp-fp)
	qw, qc, qp := row("plan, provider logging off", quietPlans)
	qfw, qfc, qfp := row("plan -refresh=false, provider logging off", quietFloors)
	fmt.Fprintf(tw, "the refresh, logging off (difference)\t%+.3f\t%+.3f\t%+.3f\t\t\t\n", qw-qfw, qc-qfc, qp-qfp)
	fmt.Fprintf(tw, "plan: cost of the provider's logging\t%+.3f\t%+.3f\t%+.3f\t\t\t\n", pw-qw, pc-qc, pp-qp)
	tw.Flush()
	fmt.Fprintf(w, "   \"provider logging off\" = %s in Terraform's environment, which it passes to the provider.\n",
		strings.Join(quietLogging, " "))
	fmt.Fprintf(w, "   plan / floor: %.2fx with the provider's default logging, %.2fx with it off.\n", pw/fw, qw/qfw)
	fmt.Fprintf(w, "   One list of %d webhooks through the Sellfern client: %.1f ms (median of %d; the mock adds %s of it).\n",
		c.n, listTimes[len(listTimes)/2]*1000, len(listTimes), o.latency)

	fmt.Fprintln(w, "\n2. Provider in this process (reattached; no plugin start-up), time inside each RPC on the provider's side:")
	printRPCs(w, "plan", planRPCs)
	printRPCs(w, "plan -refresh=false", floorRPCs)

	fmt.Fprintf(w, "\n3. CPU profile of the in-process provider, %d plans each, by component (ms of CPU per plan):\n", profiledPlans)
	if loudProf.err != nil || quietProf.err != nil {
		fmt.Fprintf(w, "   (could not read the profiles with `go tool pprof`: %v %v)\n", loudProf.err, quietProf.err)
		return nil
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "component\tdefault logging\tshare\tlogging off\tshare\t")
	loudTotal, quietTotal := loudProf.providerTotal(), quietProf.providerTotal()
	perPlan := func(d time.Duration) float64 { return d.Seconds() * 1000 / profiledPlans }
	share := func(cmp *component, total time.Duration) string {
		if cmp.notProvider || total == 0 {
			return "-"
		}
		return fmt.Sprintf("%.0f%%", 100*cmp.d.Seconds()/total.Seconds())
	}
	for i, cmp := range loudProf.components {
		q := quietProf.components[i]
		fmt.Fprintf(tw, "%s\t%.1f\t%s\t%.1f\t%s\t\n", cmp.name, perPlan(cmp.d), share(cmp, loudTotal), perPlan(q.d), share(q, quietTotal))
	}
	fmt.Fprintf(tw, "provider, all components\t%.1f\t\t%.1f\t\t\n", perPlan(loudTotal), perPlan(quietTotal))
	fmt.Fprintf(tw, "wall time of a plan (reattached)\t%.1f\t\t%.1f\t\t\n", perPlan(loudProf.wall), perPlan(quietProf.wall))
	tw.Flush()
	return nil
}

type cpuProfile struct {
	wall       time.Duration
	components []*component
	err        error
}

func (p cpuProfile) providerTotal() time.Duration {
	var total time.Duration
	for _, c := range p.components {
		if !c.notProvider {
			total += c.d
		}
	}
	return total
}

// profilePlans profiles this process (the reattached provider, and the mock) over profiledPlans plans, with env
// set in this process (which the in-process provider reads at every RPC) for the time.
func profilePlans(ctx context.Context, b *bench, path string, env []string, keep bool) (cpuProfile, error) {
	progress("profile: reattached provider, CPU profile over %d plans %s", profiledPlans, strings.Join(env, " "))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
		defer os.Unsetenv(k)
	}
	f, err := os.Create(path)
	if err != nil {
		return cpuProfile{}, err
	}
	defer f.Close()
	// The default 100 Hz: a higher rate is not honoured here (CPU-time timers fire on the kernel's tick, so at 1 kHz
	// most samples are lost and the totals come out about four times too low).
	if err := pprof.StartCPUProfile(f); err != nil {
		return cpuProfile{}, err
	}
	var out cpuProfile
	for range profiledPlans {
		r, err := b.must(ctx, planArgs...)
		if err != nil {
			pprof.StopCPUProfile()
			return out, err
		}
		out.wall += r.wall
	}
	pprof.StopCPUProfile()
	if err := f.Close(); err != nil {
		return out, err
	}
	if keep {
		progress("CPU profile kept at %s", path)
	}
	out.components, _, out.err = categorize(ctx, path)
	return out, nil
}

// quietLogging turns off the provider's SDK (framework, protocol) and provider loggers.
// TF_LOG_SDK covers the framework's and the protocol's subsystems; TF_LOG_PROVIDER_WEBHOOKS the provider's own tflog
// (its name comes from the provider's address).
var quietLogging = []string{"TF_LOG_SDK=off", "TF_LOG_PROVIDER_WEBHOOKS=off"}

// drainStderr points os.Stderr at a pipe whose other end is read and discarded, until restore is called.
func drainStderr() (restore func(), err error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	saved := os.Stderr
	os.Stderr = w
	done := make(chan struct{})
	go drain(r, done)
	return func() {
		os.Stderr = saved
		w.Close()
		<-done
		r.Close()
	}, nil
}

func drain(r io.Reader, done chan struct{}) {
	defer close(done)
	_, _ = io.Copy(io.Discard, r)
}

// --- an in-process provider with timed RPCs ---

type rpcStat struct {
	calls       int
	total       time.Duration
	first, last time.Time
}

type inProcess struct {
	reattach string
	cancel   context.CancelFunc
	closed   chan struct{}

	mu    sync.Mutex
	since time.Time
	stats map[string]*rpcStat
}

func startInProcess(ctx context.Context) (*inProcess, error) {
	// The in-process provider must log exactly as a launched one does by default: not at all.
	for _, env := range []string{"TF_LOG", "TF_LOG_PATH", "TF_LOG_PROVIDER", "TF_LOG_SDK", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_SDK_PROTO"} {
		os.Unsetenv(env)
	}
	p := &inProcess{closed: make(chan struct{}), stats: map[string]*rpcStat{}}
	sctx, cancel := context.WithCancel(ctx)
	p.cancel = cancel
	reattachCh := make(chan *plugin.ReattachConfig)
	inner := providerserver.NewProtocol6(provider.New("bench")())
	factory := func() tfprotov6.ProviderServer { return &timedServer{ProviderServer: inner(), p: p} }
	go func() {
		_ = tf6server.Serve(tfrun.ProviderSource, factory,
			tf6server.WithDebug(sctx, reattachCh, p.closed),
			tf6server.WithGoPluginLogger(hclog.NewNullLogger()),
			// Log to os.Stderr as it is when each RPC starts (the drained pipe), not as it was at start-up.
			tf6server.WithoutLogStderrOverride())
	}()
	var rc *plugin.ReattachConfig
	select {
	case rc = <-reattachCh:
	case <-time.After(10 * time.Second):
		cancel()
		return nil, fmt.Errorf("the in-process provider did not start")
	}
	type addr struct{ Network, String string }
	type reattach struct {
		Protocol        string
		ProtocolVersion int
		Pid             int
		Test            bool
		Addr            addr
	}
	data, err := json.Marshal(map[string]reattach{tfrun.ProviderSource: {
		Protocol: string(rc.Protocol), ProtocolVersion: rc.ProtocolVersion, Pid: rc.Pid, Test: true,
		Addr: addr{rc.Addr.Network(), rc.Addr.String()},
	}})
	if err != nil {
		cancel()
		return nil, err
	}
	p.reattach = string(data)
	return p, nil
}

func (p *inProcess) close() {
	p.cancel()
	select {
	case <-p.closed:
	case <-time.After(5 * time.Second):
	}
}

func (p *inProcess) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats = map[string]*rpcStat{}
	p.since = time.Now()
}

type rpcReport struct {
	wall  time.Duration
	since time.Time
	stats map[string]rpcStat
}

func (p *inProcess) snapshot(r opResult) rpcReport {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := rpcReport{wall: r.wall, since: p.since, stats: map[string]rpcStat{}}
	for k, v := range p.stats {
		out.stats[k] = *v
	}
	return out
}

func (p *inProcess) record(name string, start time.Time) {
	end := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats[name]
	if s == nil {
		s = &rpcStat{first: start}
		p.stats[name] = s
	}
	s.calls++
	s.total += end.Sub(start)
	if start.Before(s.first) {
		s.first = start
	}
	if end.After(s.last) {
		s.last = end
	}
}

func printRPCs(w io.Writer, title string, r rpcReport) {
	fmt.Fprintf(w, "   %s: %.3f s wall\n", title, r.wall.Seconds())
	names := make([]string, 0, len(r.stats))
	for k := range r.stats {
		names = append(names, k)
	}
	slices.SortFunc(names, func(a, b string) int { return r.stats[a].first.Compare(r.stats[b].first) })
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tRPC\tcalls\tsum of call times s\tmean ms\tfirst began at s\tlast ended at s\t")
	for _, k := range names {
		s := r.stats[k]
		fmt.Fprintf(tw, "\t%s\t%d\t%.3f\t%.2f\t%.3f\t%.3f\t\n", k, s.calls, s.total.Seconds(),
			s.total.Seconds()*1000/float64(s.calls), s.first.Sub(r.since).Seconds(), s.last.Sub(r.since).Seconds())
	}
	tw.Flush()
}

// timedServer times the RPCs a plan makes; every other RPC passes through untimed.
type timedServer struct {
	tfprotov6.ProviderServer
	p *inProcess
}

func timed[Req, Resp any](s *timedServer, name string, f func(context.Context, Req) (Resp, error), ctx context.Context, req Req) (Resp, error) {
	defer s.p.record(name, time.Now())
	return f(ctx, req)
}

func (s *timedServer) GetMetadata(ctx context.Context, r *tfprotov6.GetMetadataRequest) (*tfprotov6.GetMetadataResponse, error) {
	return timed(s, "GetMetadata", s.ProviderServer.GetMetadata, ctx, r)
}

func (s *timedServer) GetProviderSchema(ctx context.Context, r *tfprotov6.GetProviderSchemaRequest) (*tfprotov6.GetProviderSchemaResponse, error) {
	return timed(s, "GetProviderSchema", s.ProviderServer.GetProviderSchema, ctx, r)
}

func (s *timedServer) ValidateProviderConfig(ctx context.Context, r *tfprotov6.ValidateProviderConfigRequest) (*tfprotov6.ValidateProviderConfigResponse, error) {
	return timed(s, "ValidateProviderConfig", s.ProviderServer.ValidateProviderConfig, ctx, r)
}

func (s *timedServer) ConfigureProvider(ctx context.Context, r *tfprotov6.ConfigureProviderRequest) (*tfprotov6.ConfigureProviderResponse, error) {
	return timed(s, "ConfigureProvider", s.ProviderServer.ConfigureProvider, ctx, r)
}

func (s *timedServer) ValidateResourceConfig(ctx context.Context, r *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	return timed(s, "ValidateResourceConfig", s.ProviderServer.ValidateResourceConfig, ctx, r)
}

func (s *timedServer) UpgradeResourceState(ctx context.Context, r *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	return timed(s, "UpgradeResourceState", s.ProviderServer.UpgradeResourceState, ctx, r)
}

func (s *timedServer) ReadResource(ctx context.Context, r *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	return timed(s, "ReadResource", s.ProviderServer.ReadResource, ctx, r)
}

func (s *timedServer) PlanResourceChange(ctx context.Context, r *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	return timed(s, "PlanResourceChange", s.ProviderServer.PlanResourceChange, ctx, r)
}

func (s *timedServer) ApplyResourceChange(ctx context.Context, r *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	return timed(s, "ApplyResourceChange", s.ProviderServer.ApplyResourceChange, ctx, r)
}

func (s *timedServer) ReadDataSource(ctx context.Context, r *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	return timed(s, "ReadDataSource", s.ProviderServer.ReadDataSource, ctx, r)
}

// --- sorting profile samples into components ---

// A sample is charged to the first frame, walking from the leaf towards the root, that belongs to a component;
// frames of the runtime and the standard library belong to none, so they are charged to whoever called them (JSON
// encoding to the logger or to the API client, allocation to whoever allocates). Samples with no such frame at all
// are the runtime's own (GC workers, scheduler).
type component struct {
	name        string
	notProvider bool     // samples of this process that are not the provider's (the mock, the bench itself)
	frames      []string // a frame belongs to the component when it contains one of these
	d           time.Duration
}

func components() []*component {
	return []*component{
		{name: "provider logging (terraform-plugin-log, go-hclog)", frames: []string{
			"terraform-plugin-log/", "go-hclog", "terraform-plugin-framework/internal/logging.",
			"terraform-plugin-go/internal/logging.", "tf6serverlogging."}},
		{name: "gRPC, go-plugin, protobuf, tf6server", frames: []string{
			"google.golang.org/grpc", "google.golang.org/protobuf", "go-plugin", "yamux", "golang.org/x/net/http2",
			"tfprotov6/internal/toproto", "tfprotov6/internal/fromproto", "tfprotov6/tf6server", "tfprotov6/internal/tfplugin6"}},
		{name: "state values: msgpack, tftypes (terraform-plugin-go)", frames: []string{
			"vmihailenco/msgpack", "terraform-plugin-go/tftypes", "terraform-plugin-go/tfprotov6."}},
		{name: "Plugin Framework (schema, validators, plan modifiers)", frames: []string{"terraform-plugin-framework"}},
		{name: "provider resources and data sources", frames: []string{"/internal/provider."}},
		{name: "API client (HTTP, JSON, shared list)", frames: []string{
			"/internal/transport.", "/internal/sellfern.", "/internal/selsup.", "/internal/inventory.",
			"go-retryablehttp", "go-cleanhttp", "net/http.(*persistConn)", "net/http.(*Transport)", "net/http.(*Client)", "net/http.send"}},
		{name: "mock server (not the provider)", notProvider: true, frames: []string{
			"/internal/mockserver.", "net/http.(*conn)", "net/http.(*Server)", "net/http.(*response)", "net/http.(*chunkWriter)", "net/http.serverHandler"}},
		{name: "bench itself (not the provider)", notProvider: true, frames: []string{
			"main.(*sampler)", "main.descendants", "main.vmHWM", "main.cpuTicks", "main.(*inProcess)", "main.timed",
			"main.(*bench)", "main.drain", "os/exec."}},
	}
}

// categorize reads a CPU profile with `go tool pprof -traces` and sorts its samples into components; the last two
// returned components are the runtime's own samples (GC, and everything else).
func categorize(ctx context.Context, path string) ([]*component, time.Duration, error) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return nil, 0, err
	}
	out, err := exec.CommandContext(ctx, gobin, "tool", "pprof", "-traces", path).Output()
	if err != nil {
		return nil, 0, err
	}
	comps := components()
	gc := &component{name: "Go runtime: GC workers"}
	other := &component{name: "Go runtime: scheduler, idle, other"}
	var total time.Duration
	var value time.Duration
	var stack []string
	flush := func() {
		if value == 0 {
			return
		}
		total += value
		owner := ownerOf(stack, comps)
		switch {
		case owner != nil:
		case matchesAny(stack, []string{"runtime.gcBgMarkWorker", "runtime.bgsweep", "runtime.bgscavenge", "runtime.gcDrain"}):
			owner = gc
		default:
			owner = other
		}
		owner.d += value
		value, stack = 0, nil
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	inTrace := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "-----------+") {
			flush()
			inTrace = true
			continue
		}
		if !inTrace {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		// The first line of a trace is "<value> <leaf function>"; the following lines are its callers.
		if stack == nil {
			if d, err := time.ParseDuration(fields[0]); err == nil && len(fields) >= 2 {
				value = d
				stack = append(stack, strings.Join(fields[1:], " "))
				continue
			}
		}
		stack = append(stack, strings.Join(fields, " "))
	}
	flush()
	return append(comps, gc, other), total, sc.Err()
}

func ownerOf(stack []string, comps []*component) *component {
	for _, frame := range stack {
		for _, c := range comps {
			for _, f := range c.frames {
				if strings.Contains(frame, f) {
					return c
				}
			}
		}
	}
	return nil
}

func matchesAny(stack, subs []string) bool {
	for _, frame := range stack {
		for _, s := range subs {
			if strings.Contains(frame, s) {
				return true
			}
		}
	}
	return false
}
