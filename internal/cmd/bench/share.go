package main

// Several runs on one account. CI runners, Atlantis, agents and workspaces apply against one account at once, and
// the account's rate limit is shared by all of them. Three runs start together against a mock that admits R
// requests per second per credential (a token bucket of R), each applying its own webhooks and then destroying
// them; the floor is the calls the service accepted (of the busier service) divided by R. The runs share one
// machine (one cache directory, where the provider processes on a machine share each account's pace), or each
// has a machine of its own (a cache directory each: they share the limit only by adapting to the service's
// answers); and requests_per_second may be set in each run, to measure the docs' advice.

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

// shareCase is one row pair (apply and destroy) of the section.
type shareCase struct {
	name             string
	perSecond        float64
	runs             int
	sellfern, selsup int     // webhooks per run
	machines         bool    // each run has its own cache directory, as on a machine of its own
	ceiling          float64 // requests_per_second in each run; 0: unset
	targets          bool    // the targets apply to this row (the others measure advice)
}

// shareCases are the section's rows: the scenarios of the targets first, then the advice's.
func shareCases(runs int) []shareCase {
	return []shareCase{
		{name: "one machine", perSecond: 5, runs: runs, sellfern: 30, selsup: 10, targets: true},
		{name: "one machine, 1/s", perSecond: 1, runs: runs, sellfern: 20, targets: true},
		{name: "a machine each", perSecond: 5, runs: runs, sellfern: 30, selsup: 10, machines: true},
		{name: "a machine each, 1/s", perSecond: 1, runs: runs, sellfern: 20, machines: true},
		{name: "a machine each, requests_per_second = R/N", perSecond: 5, runs: runs, sellfern: 30, selsup: 10,
			machines: true, ceiling: 5 / float64(runs)},
		{name: "a machine each, requests_per_second = R", perSecond: 5, runs: runs, sellfern: 30, selsup: 10,
			machines: true, ceiling: 5},
	}
}

// Targets: every run succeeds with no 429 shown and the refusals stay at most a tenth of the requests (counts,
// which fail the run); the slowest run within 1.25 times the floor (a time, reported).
const (
	shareWallTarget    = 1.25
	shareRefusalsShare = 0.10
)

func shareCost(ctx context.Context, b *bench, runs int, only string) (section, error) {
	s := section{
		title: fmt.Sprintf("Several runs on one account: %d runs at once against R requests/s per service", runs),
		legend: []string{
			"The mock admits R requests per second per credential and service (a token bucket of R); the surplus gets 429 with Retry-After, and nothing is done.",
			"Each run applies its own N Sellfern + M SelSup webhooks (then destroys them) at once with the others, with one token: one account.",
			"one machine: the runs share a cache directory, where the provider processes on a machine share each account's pace; a machine each: one each, so the runs share the limit only by adapting to the service's answers.",
			"floor s = the requests the service accepted, of the busier service, / R. slowest = the slowest run's wall time; ratio = slowest / floor.",
			"refused = requests answered 429 (their share of all requests); load = the 1-minute load average as the command began.",
		},
		header: []string{"runs", "command", "result", "slowest s", "floor s", "ratio", "requests", "refused", "load"},
	}
	for _, c := range shareCases(runs) {
		if only != "" && !strings.Contains(c.name, only) {
			continue
		}
		rows, checks, err := shareRun(ctx, b, c)
		if err != nil {
			return section{}, err
		}
		s.rows = append(s.rows, rows...)
		s.checks = append(s.checks, checks...)
	}
	return s, nil
}

// shareRun runs one case: init in every workspace, then the runs' applies at once, then their destroys.
func shareRun(ctx context.Context, b *bench, c shareCase) ([][]string, []check, error) {
	mock := mockserver.New(mockserver.Options{Latency: b.latency, Seed: 27,
		RateLimit: mockserver.RateLimit{PerSecond: c.perSecond}})
	if err := mock.Start("127.0.0.1:0"); err != nil {
		return nil, nil, err
	}
	defer mock.Close()
	label := fmt.Sprintf("%d × (%d + %d) at %g/s, %s", c.runs, c.sellfern, c.selsup, c.perSecond, c.name)
	dir := "share-" + strings.NewReplacer(" ", "-", ",", "", "/", "-", "=", "").Replace(c.name)
	var spaces []*workspace
	for i := range c.runs {
		ws, err := b.workspace(filepath.Join(dir, strconv.Itoa(i)), shareConfig(mock, i, c), mock)
		if err != nil {
			return nil, nil, err
		}
		cache := filepath.Join(b.root, dir, "cache")
		if c.machines {
			cache = filepath.Join(b.root, dir, strconv.Itoa(i), "cache")
		}
		ws.tf.Env = append(ws.tf.Env, "XDG_CACHE_HOME="+cache)
		if _, err := ws.terraform(ctx, initArgs...); err != nil {
			return nil, nil, err
		}
		spaces = append(spaces, ws)
	}
	var rows [][]string
	var checks []check
	for _, command := range []struct {
		name   string
		args   []string
		sf, ss int
	}{
		{"apply", applyArgs, c.sellfern, c.selsup},
		{"destroy", []string{"destroy", "-auto-approve", "-input=false", "-no-color"}, 0, 0},
	} {
		progress("several runs: %s: terraform %s", label, command.name)
		load := strings.Fields(loadAverages())[0]
		mock.ResetStats()
		outs, walls, errs := concurrently(ctx, spaces, command.args)
		api := mock.Stats()
		var slowest time.Duration
		failed, shown := 0, 0
		var firstErr string
		for i := range spaces {
			slowest = max(slowest, walls[i])
			if errs[i] != nil {
				failed++
				if firstErr == "" {
					firstErr = ": " + firstError(errs[i].Error())
				}
			}
			if strings.Contains(outs[i], "HTTP 429") || strings.Contains(outs[i], "Error:") {
				shown++
			}
		}
		floor := shareFloor(api, c.perSecond)
		ratio := slowest.Seconds() / floor.Seconds()
		refused := api.Refused()
		share := float64(refused) / float64(max(api.Total, 1))
		result := "ok"
		if failed > 0 {
			result = fmt.Sprintf("%d FAILED", failed)
		}
		rows = append(rows, []string{c.name, command.name, result, fmt.Sprintf("%.1f", slowest.Seconds()),
			fmt.Sprintf("%.1f", floor.Seconds()), fmt.Sprintf("%.2fx", ratio), strconv.Itoa(api.Total),
			fmt.Sprintf("%d (%.0f%%)", refused, 100*share), load})
		sf, ss := len(mock.SellfernWebhooks()), len(mock.SelSupWebhooks())
		wantSF, wantSS := command.sf*c.runs, command.ss*c.runs
		what := fmt.Sprintf("%s, %s", label, command.name)
		checks = append(checks,
			check{count: true, ok: failed == 0 && shown == 0 && sf == wantSF && ss == wantSS,
				text: fmt.Sprintf("%s: every run succeeds with no 429 shown, the mock then holding %d + %d webhooks "+
					"(%d failed, %d showed an error or a 429, the mock holds %d + %d)%s", what, wantSF, wantSS, failed, shown, sf, ss, firstErr)})
		if c.targets {
			checks = append(checks,
				check{count: true, ok: share <= shareRefusalsShare, text: fmt.Sprintf("%s: requests refused with 429 = "+
					"%d of %d, %.1f%% (want <= %.0f%%)", what, refused, api.Total, 100*share, 100*shareRefusalsShare)},
				check{ok: ratio <= shareWallTarget, text: fmt.Sprintf("%s: the slowest run %.1fs = %.2fx the %.1fs "+
					"floor (want <= %.2fx; load %s)", what, slowest.Seconds(), ratio, floor.Seconds(), shareWallTarget, load)})
		}
	}
	return rows, checks, nil
}

// concurrently runs one command in every workspace at once and returns each one's output, wall time and error.
func concurrently(ctx context.Context, spaces []*workspace, args []string) ([]string, []time.Duration, []error) {
	outs := make([]string, len(spaces))
	walls := make([]time.Duration, len(spaces))
	errs := make([]error, len(spaces))
	var wg sync.WaitGroup
	for i, ws := range spaces {
		wg.Go(func() {
			var out strings.Builder
			start := time.Now()
			cmd, err := ws.tf.Start(ctx, &out, args...)
			if err == nil {
				err = cmd.Wait()
			}
			walls[i], outs[i] = time.Since(start), out.String()
			if err != nil {
				errs[i] = fmt.Errorf("terraform %s: %w\n%s", strings.Join(args, " "), err, lastLines(out.String(), 40))
			}
			if ws.echo != nil {
				fmt.Fprint(ws.echo, out.String())
			}
		})
	}
	wg.Wait()
	return outs, walls, errs
}

// shareFloor is the least time the limit allows for the calls the service accepted: those of the busier service,
// at its rate.
func shareFloor(api mockserver.Stats, perSecond float64) time.Duration {
	accepted := map[string]int{}
	for route, n := range api.Requests {
		service, _, _ := strings.Cut(route, ".")
		accepted[service] += n - api.RateLimited[route]
	}
	most := 0
	for _, n := range accepted {
		most = max(most, n)
	}
	return time.Duration(float64(most) / perSecond * float64(time.Second))
}

// shareConfig is run i's webhooks: URLs and names of its own, on the account every run shares.
func shareConfig(mock *mockserver.Server, i int, c shareCase) string {
	services := mockServices(mock)
	services.RequestsPerSecond = c.ceiling
	head := services.Config("")
	return head + fmt.Sprintf(`
resource "sellfern_webhook" "shared" {
  provider = webhooks
  count    = %[2]d
  url      = "https://hooks.example.com/share/%[1]d/${count.index}"
  events   = ["order.created", "order.status_changed"]
}

resource "selsup_webhook" "shared" {
  provider = webhooks
  count    = %[3]d
  name     = "общий %[1]d ${count.index}"
  url      = "https://hooks.example.com/share/selsup/%[1]d/${count.index}"
  types    = ["ORDER"]
}
`, i, c.sellfern, c.selsup)
}
