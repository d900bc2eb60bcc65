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
//
// and then serves until SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

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
	fs := flag.NewFlagSet("webhooks-mock", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		addr         = fs.String("addr", "127.0.0.1:0", "listen address; the host must be loopback (127.0.0.1, ::1, localhost)")
		latency      = fs.Duration("latency", 0, "delay added to every API request, e.g. 50ms")
		faultRate    = fs.Float64("fault-rate", 0, "fraction (0..1) of API requests that fail")
		faultKinds   = fs.String("fault-kinds", "", "comma-separated fault kinds to inject: 503,429,drop (default all)")
		afterCommit  = fs.Float64("fault-after-commit", 0, "fraction (0..1) of faults on creates that happen after the webhook is stored")
		retryAfter   = fs.Duration("retry-after", 0, "Retry-After sent with injected 429s (whole seconds, rounded up)")
		shuffle      = fs.Bool("shuffle", false, "return lists and event arrays in random order")
		omitTypes    = fs.Bool("selsup-omit-types", false, `omit "types" from the SelSup list`)
		seed         = fs.Int64("seed", 0, "seed for ids, secrets, faults and shuffling (0 = time-based)")
		seedSellfern = fs.Int("seed-sellfern", 0, "pre-create N Sellfern webhooks (https://example.com/seed/<i>)")
		seedSelSup   = fs.Int("seed-selsup", 0, "pre-create N SelSup webhooks (https://example.com/seed/<i>)")
	)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	var usageProblems []string
	if fs.NArg() > 0 {
		usageProblems = append(usageProblems, fmt.Sprintf("unexpected arguments: %q", fs.Args()))
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"-fault-rate", *faultRate}, {"-fault-after-commit", *afterCommit}} {
		if f.v < 0 || f.v > 1 {
			usageProblems = append(usageProblems, fmt.Sprintf("%s must be between 0 and 1, got %v", f.name, f.v))
		}
	}
	if *seedSellfern < 0 || *seedSelSup < 0 {
		usageProblems = append(usageProblems, "-seed-sellfern and -seed-selsup must not be negative")
	}
	kinds, err := parseFaultKinds(*faultKinds)
	if err != nil {
		usageProblems = append(usageProblems, err.Error())
	}
	if len(usageProblems) > 0 {
		for _, p := range usageProblems {
			fmt.Fprintln(stderr, p)
		}
		fs.Usage()
		return errUsage
	}

	srv := mockserver.New(mockserver.Options{
		Latency: *latency,
		Faults: mockserver.FaultOptions{
			Rate:             *faultRate,
			Kinds:            kinds,
			AfterCommitRatio: *afterCommit,
			RetryAfter:       *retryAfter,
		},
		Seed:            *seed,
		Shuffle:         *shuffle,
		SelSupOmitTypes: *omitTypes,
	})
	// Start first: it refuses a non-loopback -addr before any work is done.
	if err := srv.Start(*addr); err != nil {
		return err
	}
	defer srv.Close()
	seedWebhooks(srv, *seedSellfern, *seedSelSup)

	// Printed only once the listener is up and the seed data is in place, so
	// that a reader can start as soon as it has these lines.
	fmt.Fprintf(stdout, "MOCK_URL=%s\nSELLFERN_BASE_URL=%s\nSELLFERN_TOKEN=%s\nSELSUP_BASE_URL=%s\nSELSUP_API_KEY=%s\n",
		srv.URL(), srv.SellfernBaseURL(), mockserver.DemoSellfernToken, srv.SelSupBaseURL(), mockserver.DemoSelSupKey)

	<-ctx.Done()
	return nil
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
