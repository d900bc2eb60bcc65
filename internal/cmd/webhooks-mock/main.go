// Command webhooks-mock runs the in-repo mock of the Sellfern and SelSup
// webhook APIs on a loopback address, for people trying the provider and for
// benchmarks that run the mock in another process.
//
// It prints the settings a shell can eval, one per line:
//
//	MOCK_URL=http://127.0.0.1:PORT
//	SELLFERN_BASE_URL=http://127.0.0.1:PORT/sellfern
//	SELLFERN_TOKEN=sk_test_mock_demo
//	SELSUP_BASE_URL=http://127.0.0.1:PORT/selsup
//	SELSUP_API_KEY=mock-selsup-demo-key
//	MOCK_PID=12345
//
// and then serves until SIGINT or SIGTERM (kill "$MOCK_PID" stops it).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		// -h: usage was printed; not an error.
	case errors.Is(err, errUsage):
		os.Exit(2) // the flag package already explained the problem
	default:
		fmt.Fprintln(os.Stderr, "webhooks-mock:", err)
		os.Exit(1)
	}
}

// errUsage marks a command-line error that has already been reported.
var errUsage = errors.New("usage error")

// run parses args, starts the mock, prints its settings to stdout and serves
// until ctx is done. It is separate from main so that it can be tested.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	srv := mockserver.New(f.options())
	// Start first: it refuses a non-loopback -addr before any work is done.
	if err := srv.Start(f.addr); err != nil {
		return err
	}
	defer srv.Close()
	f.configure(srv)

	// Printed only once the listener is up and the seed data is in place, so
	// that a reader can start as soon as it has these lines; MOCK_PID comes
	// last, so a reader that waits for it has them all.
	fmt.Fprintf(stdout, "MOCK_URL=%s\nSELLFERN_BASE_URL=%s\nSELLFERN_TOKEN=%s\nSELSUP_BASE_URL=%s\nSELSUP_API_KEY=%s\nMOCK_PID=%d\n",
		srv.URL(), srv.SellfernBaseURL(), mockserver.DemoSellfernToken, srv.SelSupBaseURL(), mockserver.DemoSelSupKey, os.Getpid())

	<-ctx.Done()
	return nil
}

// flags are the command line's settings. A new switch is a field, its declaration in parseFlags, its check (if
// any) in problems, and its use in options (a mockserver.Options field) or configure (a Server method).
type flags struct {
	addr                     string
	latency, retryAfter      time.Duration
	faultRate, afterCommit   float64
	faultKinds               []mockserver.FaultKind
	shuffle, omitTypes       bool
	seed                     int64
	seedSellfern, seedSelSup int
	failingEndpoints         []endpointFailure
	rateLimit                mockserver.RateLimit
	ignoreKeys               bool
	lateCommits              int
	lateCommitDelay          time.Duration
	deliverTo                string
	addedEvents, addedTypes  []string
}

// endpointFailure is one -sellfern-failing-endpoint: test events sent to url get status.
type endpointFailure struct {
	url    string
	status int
}

func parseFlags(args []string, stderr io.Writer) (*flags, error) {
	f := &flags{}
	fs := flag.NewFlagSet("webhooks-mock", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:0", "listen address; the host must be loopback (127.0.0.1, ::1, localhost)")
	fs.DurationVar(&f.latency, "latency", 0, "delay added to every API request, e.g. 50ms")
	fs.Float64Var(&f.faultRate, "fault-rate", 0, "fraction (0..1) of API requests that fail")
	faultKinds := fs.String("fault-kinds", "", "comma-separated fault kinds to inject: 503,429,drop (default all)")
	fs.Float64Var(&f.afterCommit, "fault-after-commit", 0, "fraction (0..1) of faults on creates that happen after the webhook is stored")
	fs.DurationVar(&f.retryAfter, "retry-after", 0, "Retry-After sent with injected 429s and 503s (whole seconds, rounded up)")
	fs.BoolVar(&f.shuffle, "shuffle", false, "return lists and event arrays in random order")
	fs.BoolVar(&f.omitTypes, "selsup-omit-types", false, `omit "types" from the SelSup list`)
	fs.Int64Var(&f.seed, "seed", 0, "seed for ids, secrets, faults and shuffling (0 = time-based)")
	fs.IntVar(&f.seedSellfern, "seed-sellfern", 0, "pre-create N Sellfern webhooks (https://example.com/seed/<i>)")
	fs.IntVar(&f.seedSelSup, "seed-selsup", 0, "pre-create N SelSup webhooks (https://example.com/seed/<i>)")
	fs.Float64Var(&f.rateLimit.PerSecond, "rate-limit", 0, "requests per second each service admits per credential "+
		"(a token bucket); the surplus gets 429 with Retry-After and nothing is done (0: no limit)")
	fs.IntVar(&f.rateLimit.Burst, "rate-burst", 0, "the token bucket's size with -rate-limit (0: the rate, rounded up)")
	fs.BoolVar(&f.rateLimit.Headers, "rate-headers", false, "with -rate-limit or -rate-quota, answer with RateLimit-Limit, -Remaining and -Reset headers")
	fs.DurationVar(&f.rateLimit.NeighbourHold, "rate-neighbour-hold", 0, "with -rate-limit, a neighbour on the same "+
		"credential takes every token for this long from the credential's first request (e.g. 8s): every request "+
		"meanwhile gets 429")
	fs.DurationVar(&f.rateLimit.NeighbourAfter, "rate-neighbour-after", 0, "with -rate-neighbour-hold, the hold begins this long after the credential's first request")
	fs.IntVar(&f.rateLimit.Quota, "rate-quota", 0, "requests each credential may make per -rate-quota-window; past it "+
		"429 with Retry-After until the window ends (0: no quota)")
	fs.DurationVar(&f.rateLimit.QuotaWindow, "rate-quota-window", 24*time.Hour, "the window of -rate-quota, from the credential's first request")
	fs.BoolVar(&f.ignoreKeys, "ignore-idempotency-keys", false, "Sellfern ignores Idempotency-Key, as a proxy that drops "+
		"the header would: a re-sent create makes a second webhook")
	fs.IntVar(&f.lateCommits, "late-commits", 0, "the first N creates (of either service; -1: every create) are answered "+
		"504 at once, as by a gateway, and stored -late-commit-delay later")
	fs.DurationVar(&f.lateCommitDelay, "late-commit-delay", 2*time.Second, "how long after its 504 a create of -late-commits is stored")
	fs.StringVar(&f.deliverTo, "deliver-to", "", "http://127.0.0.1:PORT: make Sellfern's deliveries (test events, and "+
		"events emitted with POST /_mock/sellfern/emit), signed, to this loopback address plus each webhook URL's path "+
		"and query, and record the receiver's answers (default: deliveries are recorded, not made)")
	fs.Func("sellfern-added-events", "comma-separated events Sellfern has added besides the documented eight "+
		"(e.g. product.created): it accepts them in webhooks and emits them; repeatable", func(v string) error {
		names, err := parseNames(v)
		f.addedEvents = append(f.addedEvents, names...)
		return err
	})
	fs.Func("selsup-added-types", "comma-separated types SelSup has added besides the documented four (e.g. "+
		"NEW_TYPE): it accepts them in webhooks; repeatable", func(v string) error {
		names, err := parseNames(v)
		f.addedTypes = append(f.addedTypes, names...)
		return err
	})
	fs.Func("sellfern-failing-endpoint", "URL=STATUS: Sellfern's deliveries to the webhook URL get HTTP STATUS "+
		"(0: unreachable) and are recorded as failed, when they are not made (no -deliver-to); repeatable", func(v string) error {
		e, err := parseEndpointFailure(v)
		if err == nil {
			f.failingEndpoints = append(f.failingEndpoints, e)
		}
		return err
	})
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, errUsage
	}
	kinds, err := parseFaultKinds(*faultKinds)
	f.faultKinds = kinds
	problems := f.problems()
	if err != nil {
		problems = append(problems, err.Error())
	}
	if fs.NArg() > 0 {
		problems = append(problems, fmt.Sprintf("unexpected arguments: %q", fs.Args()))
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stderr, p)
		}
		fs.Usage()
		return nil, errUsage
	}
	return f, nil
}

// problems lists what is wrong with values the flag package accepted.
func (f *flags) problems() []string {
	var out []string
	for _, v := range []struct {
		name string
		v    float64
	}{{"-fault-rate", f.faultRate}, {"-fault-after-commit", f.afterCommit}} {
		if v.v < 0 || v.v > 1 {
			out = append(out, fmt.Sprintf("%s must be between 0 and 1, got %v", v.name, v.v))
		}
	}
	if f.seedSellfern < 0 || f.seedSelSup < 0 {
		out = append(out, "-seed-sellfern and -seed-selsup must not be negative")
	}
	if f.rateLimit.PerSecond < 0 || f.rateLimit.Burst < 0 || f.rateLimit.Quota < 0 || f.rateLimit.NeighbourHold < 0 ||
		f.rateLimit.NeighbourAfter < 0 {
		out = append(out, "-rate-limit, -rate-burst, -rate-quota and -rate-neighbour-* must not be negative")
	}
	if f.rateLimit.NeighbourHold > 0 && f.rateLimit.PerSecond == 0 {
		out = append(out, "-rate-neighbour-hold needs -rate-limit: the neighbour holds the rate's tokens")
	}
	if f.rateLimit.Quota > 0 && f.rateLimit.QuotaWindow <= 0 {
		out = append(out, "-rate-quota needs a -rate-quota-window above 0")
	}
	if f.lateCommits < -1 {
		out = append(out, "-late-commits must be -1 (every create), 0 (none) or more")
	}
	if f.lateCommitDelay <= 0 {
		out = append(out, "-late-commit-delay must be more than 0")
	}
	if f.deliverTo != "" {
		if err := mockserver.CheckDeliverTo(f.deliverTo); err != nil {
			out = append(out, "-deliver-to: "+err.Error())
		}
	}
	return out
}

// options are the settings the mock takes when it is made.
func (f *flags) options() mockserver.Options {
	return mockserver.Options{
		Latency: f.latency,
		Faults: mockserver.FaultOptions{
			Rate:             f.faultRate,
			Kinds:            f.faultKinds,
			AfterCommitRatio: f.afterCommit,
			RetryAfter:       f.retryAfter,
		},
		Seed:            f.seed,
		Shuffle:         f.shuffle,
		SelSupOmitTypes: f.omitTypes,
		RateLimit:       f.rateLimit,
		DeliverTo:       f.deliverTo,
	}
}

// configure applies the settings a started mock takes: its seed data and its switches.
func (f *flags) configure(srv *mockserver.Server) {
	seedWebhooks(srv, f.seedSellfern, f.seedSelSup)
	for _, e := range f.failingEndpoints {
		srv.SetSellfernEndpointFailure(e.url, e.status, "")
	}
	srv.SetIgnoreIdempotencyKeys(f.ignoreKeys)
	srv.SetSellfernAddedEvents(f.addedEvents...)
	srv.SetSelSupAddedTypes(f.addedTypes...)
	if f.lateCommits != 0 {
		srv.SetLateCommits(f.lateCommits, f.lateCommitDelay)
	}
}

// parseEndpointFailure reads URL=STATUS. The URL may itself hold "=" (in its query), so the status is what follows
// the last one.
func parseEndpointFailure(v string) (endpointFailure, error) {
	i := strings.LastIndex(v, "=")
	if i <= 0 {
		return endpointFailure{}, fmt.Errorf("want URL=STATUS, like https://hooks.example.com/orders=500, got %q", v)
	}
	status, err := strconv.Atoi(v[i+1:])
	if err != nil || (status != 0 && (status < 100 || status > 599)) {
		return endpointFailure{}, fmt.Errorf("the status in %q must be an HTTP status (100 to 599) or 0 for an endpoint that cannot be reached", v)
	}
	return endpointFailure{url: v[:i], status: status}, nil
}

// parseNames reads a comma-separated list of event or type names, none of them empty.
func parseNames(v string) ([]string, error) {
	var names []string
	for part := range strings.SplitSeq(v, ",") {
		name := strings.TrimSpace(part)
		if name == "" {
			return nil, fmt.Errorf("want names separated by commas, like product.created,product.updated, got %q", v)
		}
		names = append(names, name)
	}
	return names, nil
}

func parseFaultKinds(s string) ([]mockserver.FaultKind, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var kinds []mockserver.FaultKind
	for part := range strings.SplitSeq(s, ",") {
		switch k := mockserver.FaultKind(strings.TrimSpace(part)); k {
		case mockserver.Fault503, mockserver.Fault429, mockserver.FaultDrop:
			kinds = append(kinds, k)
		default:
			return nil, fmt.Errorf("-fault-kinds: unknown kind %q (want 503, 429 or drop)", part)
		}
	}
	return kinds, nil
}

// seedWebhooks pre-creates webhooks for the demo credentials, for benchmarks
// that need an account with many webhooks.
func seedWebhooks(srv *mockserver.Server, sellfern, selsup int) {
	for i := 1; i <= sellfern; i++ {
		srv.SellfernPut(mockserver.SellfernWebhook{
			URL:     fmt.Sprintf("https://example.com/seed/%d", i),
			Events:  []string{"order.created"},
			Enabled: true,
		})
	}
	for i := 1; i <= selsup; i++ {
		srv.SelSupPut(mockserver.SelSupWebhook{
			Name:     fmt.Sprintf("seed-%d", i),
			URL:      fmt.Sprintf("https://example.com/seed/%d", i),
			ClientID: mockserver.DemoSelSupClientID,
			Types:    []string{"ORDER"},
		})
	}
}
