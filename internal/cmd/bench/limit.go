package main

// At the service's limit. A service admits R requests per second per credential (a token bucket; the surplus gets
// 429 with Retry-After, and nothing is done). An apply of N webhooks of a service needs N creates and at least one
// list, so it cannot take less than (N + 1) / R seconds; the slower service bounds the run. With Terraform's
// default parallelism the provider should work at that pace: every command succeeds, close to the floor, with
// few refusals and no list per refused create.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/seed/terraform-provider-webhooks/internal/inventory"
	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

// limitCase is the section's one configuration.
type limitCase struct {
	perSecond        float64
	sellfern, selsup int
}

// Targets: the wall time within 1.25 times the floor the limit allows (a time, reported), refusals at most a
// tenth of the webhooks and lists at most one per service plus one per BaselineAge of the command (counts,
// which fail the run).
const (
	limitWallTarget    = 1.25
	limitRefusalsShare = 0.10
)

// floor is the least time the limit allows for a command that sends n+1 requests to each service.
func (c limitCase) floor() time.Duration {
	slowest := max(c.sellfern, c.selsup) + 1
	return time.Duration(float64(slowest) / c.perSecond * float64(time.Second))
}

func limitCost(ctx context.Context, b *bench, c limitCase) (section, error) {
	s := section{
		title: fmt.Sprintf("At the service's limit: %d Sellfern + %d SelSup webhooks against %g requests/s per service",
			c.sellfern, c.selsup, c.perSecond),
		legend: []string{
			"The mock admits R requests per second per credential (a token bucket of R); the surplus gets 429 with Retry-After, and nothing is done.",
			"floor s = (N + 1) / R for the larger N: the least time the limit allows. ratio = wall / floor.",
			"refused = requests answered 429; lists = list calls, per service (Sellfern / SelSup).",
			"Terraform's defaults (parallelism 10), the provider's defaults (no requests_per_second).",
		},
		header: []string{"command", "result", "wall s", "floor s", "ratio", "requests", "refused", "lists"},
	}
	mock := mockserver.New(mockserver.Options{Latency: b.latency, Seed: 5,
		RateLimit: mockserver.RateLimit{PerSecond: c.perSecond}})
	if err := mock.Start("127.0.0.1:0"); err != nil {
		return section{}, err
	}
	defer mock.Close()
	head := mockServices(mock).Config("")
	ws, err := b.workspace("limit", head+fmt.Sprintf(`
resource "sellfern_webhook" "limited" {
  provider = webhooks
  count    = %d
  url      = "https://hooks.example.com/limit/${count.index}"
  events   = ["order.created", "order.status_changed"]
}

resource "selsup_webhook" "limited" {
  provider = webhooks
  count    = %d
  name     = "лимит ${count.index}"
  url      = "https://hooks.example.com/limit/selsup/${count.index}"
  types    = ["ORDER"]
}
`, c.sellfern, c.selsup), mock)
	if err != nil {
		return section{}, err
	}
	if _, err := ws.terraform(ctx, initArgs...); err != nil {
		return section{}, err
	}
	// A command that fails is a row of the table, not the end of the bench: the targets say it failed.
	for _, command := range []struct {
		name string
		args []string
		want func() (int, int)
	}{
		{"apply", applyArgs, func() (int, int) { return c.sellfern, c.selsup }},
		{"destroy", []string{"destroy", "-auto-approve", "-input=false", "-no-color"}, func() (int, int) { return 0, 0 }},
	} {
		progress("at the limit: terraform %s of %d + %d webhooks at %g requests/s", command.name, c.sellfern, c.selsup, c.perSecond)
		start := time.Now()
		_, _, err := ws.terraformOutput(ctx, command.args...)
		wall := time.Since(start)
		api := mock.Stats()
		result := "ok"
		if err != nil {
			result = "FAILED"
		}
		sf, ss := command.want()
		held := len(mock.SellfernWebhooks()) == sf && len(mock.SelSupWebhooks()) == ss
		refused := api.Refused()
		sfLists, ssLists := api.Requests["sellfern.list"], api.Requests["selsup.list"]
		ratio := wall.Seconds() / c.floor().Seconds()
		s.rows = append(s.rows, []string{command.name, result, fmt.Sprintf("%.1f", wall.Seconds()),
			fmt.Sprintf("%.1f", c.floor().Seconds()), fmt.Sprintf("%.2fx", ratio), strconv.Itoa(api.Total),
			strconv.Itoa(refused), fmt.Sprintf("%d / %d", sfLists, ssLists)})
		maxRefused := int(limitRefusalsShare * float64(c.sellfern+c.selsup))
		maxLists := 1 + int(wall/inventory.BaselineAge)
		errLine := ""
		if err != nil {
			errLine = ": " + firstError(err.Error())
		}
		s.checks = append(s.checks,
			check{count: true, ok: err == nil && held, text: fmt.Sprintf("%s: succeeds, the mock then holding %d + %d webhooks "+
				"(holds %d + %d)%s", command.name, sf, ss, len(mock.SellfernWebhooks()), len(mock.SelSupWebhooks()), errLine)},
			check{ok: ratio <= limitWallTarget, text: fmt.Sprintf("%s: wall time %.1fs = %.2fx the %.1fs floor (want <= %.2fx)",
				command.name, wall.Seconds(), ratio, c.floor().Seconds(), limitWallTarget)},
			check{count: true, ok: refused <= maxRefused, text: fmt.Sprintf("%s: requests refused with 429 = %d (want <= %d, "+
				"a tenth of the %d webhooks)", command.name, refused, maxRefused, c.sellfern+c.selsup)},
			check{count: true, ok: sfLists <= maxLists && ssLists <= maxLists, text: fmt.Sprintf("%s: list calls = %d Sellfern, "+
				"%d SelSup (want <= 1 + one per %s of the %.1fs command = %d per service)", command.name, sfLists, ssLists,
				inventory.BaselineAge, wall.Seconds(), maxLists)},
		)
	}
	return s, nil
}

// firstError is the first "Error:" line of a command's output and the line after it, for a target's text.
func firstError(out string) string {
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if l = strings.Trim(strings.TrimSpace(l), "│ "); strings.HasPrefix(l, "Error:") {
			var more []string
			for _, next := range lines[i+1 : min(len(lines), i+8)] {
				if t := strings.Trim(strings.TrimSpace(next), "│ "); t != "" && !strings.HasPrefix(t, "with ") &&
					!strings.HasPrefix(t, "on ") && !strings.Contains(t, `resource "`) {
					more = append(more, t)
				}
			}
			return l + " " + strings.Join(more, " ")
		}
	}
	return "(no error line)"
}
