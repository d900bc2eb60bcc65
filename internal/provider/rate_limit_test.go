package provider

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/tfrun"
)

// The tests in this file run real Terraform, at its default parallelism, against a mock that admits a fixed number
// of requests per second per credential and answers the surplus 429 with Retry-After, having done nothing. They
// are kept short (a fast limit, few webhooks); the bench measures the large case at the limit's pace.

const (
	limitPerSecond = 20
	limitSellfern  = 30
	limitSelSup    = 10
)

// rateFigures checks what an apply or destroy cost against the targets: refusals at most one wave plus a tenth
// of the webhooks, and lists at most one per service plus one per inventory.BaselineAge the command lasted.
//
// The wave is the calls already sent when the first 429 comes back, at most Terraform's parallelism (10); no pace
// can call them back, and how many there are depends on the machine's load (1 on a quiet one, 5 seen on a busy
// one). After it every worker waits on the pace, so later refusals are few; workers that each honoured Retry-After
// on their own would be refused again together at every wake-up (TestPaceIsSharedByEveryWorker, in transport,
// holds the same with no Terraform in between).
func rateFigures(t *testing.T, what string, s mockserver.Stats, took time.Duration) error {
	t.Helper()
	refused, lists := s.Refused(), s.Requests["sellfern.list"]+s.Requests["selsup.list"]
	t.Logf("RATE LIMIT FIGURES (%s at %d requests/s): %d requests, %d refused with 429, %d lists, %s",
		what, limitPerSecond, s.Total, refused, lists, took.Round(100*time.Millisecond))
	const parallelism = 10
	if most := parallelism + (limitSellfern+limitSelSup)/10; refused > most {
		return fmt.Errorf("%s: %d requests refused with 429, want at most %d (one wave of Terraform's parallelism "+
			"and a tenth of the webhooks): the workers did not share one pace", what, refused, most)
	}
	if most := 2 + 2*int(took/(5*time.Second)); lists > most {
		return fmt.Errorf("%s: %d list calls, want at most %d", what, lists, most)
	}
	return nil
}

// TestAccRateLimit_applyAndDestroy: an apply and a destroy of many webhooks, far more than the limit admits in a
// second, succeed without a 429 reaching the user, with the refusals a small share of the calls and no create
// reconciled with an extra list.
func TestAccRateLimit_applyAndDestroy(t *testing.T) {
	m := accMock(t, mockserver.Options{RateLimit: mockserver.RateLimit{PerSecond: limitPerSecond}})
	cfg := chaosConfig(m, 0, limitSellfern, limitSelSup)
	var start time.Time
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				PreConfig: func() { m.ResetStats(); start = time.Now() },
				Config:    cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					stateCheckFunc(func(*tfjson.State) error { return rateFigures(t, "apply", m.Stats(), time.Since(start)) }),
					stateCheckFunc(func(*tfjson.State) error {
						return serverHoldsExactlyTheConfig(m, limitSellfern, limitSelSup)
					}),
					stateCheckFunc(func(*tfjson.State) error {
						// Every create request beyond one per webhook was one the limit refused: none was a
						// re-attempt after reconciling.
						s := m.Stats()
						if got, want := s.Requests["sellfern.create"], limitSellfern+s.RateLimited["sellfern.create"]; got != want {
							return fmt.Errorf("%d Sellfern create requests, want %d (one per webhook, and each refused one again)", got, want)
						}
						return nil
					}),
				},
			},
			{
				// Nothing to do; once the plan after it is taken, what follows is the destroy.
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
					planCheckFunc(func(*tfjson.Plan) error { m.ResetStats(); start = time.Now(); return nil }),
				}},
			},
		},
		CheckDestroy: func(*terraform.State) error {
			if err := rateFigures(t, "destroy", m.Stats(), time.Since(start)); err != nil {
				return err
			}
			return serverHoldsExactlyTheConfig(m, 0, 0)
		},
	})
}

// TestAccRateLimit_ceiling: with requests_per_second at the service's rate, the provider never sends faster, so
// the service refuses nothing.
func TestAccRateLimit_ceiling(t *testing.T) {
	m := accMock(t, mockserver.Options{RateLimit: mockserver.RateLimit{PerSecond: limitPerSecond}})
	cfg := providerConfigWith(m, mockserver.DemoSellfernToken, mockserver.DemoSelSupKey, "") + fmt.Sprintf(`
resource "sellfern_webhook" "paced" {
  provider = webhooks
  count    = %d
  url      = "https://hooks.example.com/paced/${count.index}"
  events   = ["order.created"]
}
`, limitSellfern)
	cfg = strings.Replace(cfg, "sellfern = {", fmt.Sprintf("sellfern = {\n    requests_per_second = %d", limitPerSecond), 1)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				mockHolds(m, limitSellfern, 0),
				stateCheckFunc(func(*tfjson.State) error {
					if n := m.Stats().Refused(); n != 0 {
						return fmt.Errorf("%d requests refused with 429 under a ceiling of the service's own rate, want 0", n)
					}
					return nil
				}),
			},
		}},
	})
}

// TestAccRateLimit_refusedCreateIsSentAgain: a create answered 429 made nothing, so it is sent again as it was,
// with no list to find out what it made: one list (the baseline every create has) and two create requests for one
// webhook. max_retries = 0 shows that the refusal costs no retry.
func TestAccRateLimit_refusedCreateIsSentAgain(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	m.SetFaults(mockserver.FaultOptions{Rate: 1, Kinds: []mockserver.FaultKind{mockserver.Fault429}, Routes: []string{"sellfern.create"}})
	var creates atomic.Int32
	m.OnRequest(func(route string) {
		// The first create has already drawn its fault when this runs; the next one is accepted.
		if route == "sellfern.create" && creates.Add(1) == 1 {
			m.SetFaults(mockserver.FaultOptions{})
		}
	})
	cfg := providerConfigWith(m, mockserver.DemoSellfernToken, mockserver.DemoSelSupKey, "max_retries = 0") + `
resource "sellfern_webhook" "test" {
  provider = webhooks
  url      = "https://hooks.example.com/refused-once"
  events   = ["order.created"]
}
`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{{
			PreConfig: m.ResetStats,
			Config:    cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				sellfernMatchesMock(m, sellfernAddr, true),
				mockHolds(m, 1, 0),
				stateCheckFunc(func(*tfjson.State) error {
					s := m.Stats()
					if s.Faults[mockserver.Fault429] != 1 || s.Requests["sellfern.create"] != 2 || s.Requests["sellfern.delete"] != 0 {
						return fmt.Errorf("429s %d, creates %d, deletes %d; want one refused create sent again and nothing deleted",
							s.Faults[mockserver.Fault429], s.Requests["sellfern.create"], s.Requests["sellfern.delete"])
					}
					if n := s.Requests["sellfern.list"]; n != 1 {
						return fmt.Errorf("%d lists, want only the baseline every create is judged by", n)
					}
					return nil
				}),
			},
		}},
	})
}

// TestAccRateLimit_pauseLongerThanTheBound: a service that asks for a pause longer than a call may take (a daily
// quota) fails the call at once saying how long it asked for and what that means, with no advice that cannot
// help (lowering -parallelism); nothing is made, and the calls that start after the answer are not sent. Twelve
// creates for Terraform's ten workers: at least two start only once a first call has ended, after its answer.
func TestAccRateLimit_pauseLongerThanTheBound(t *testing.T) {
	const creates, workers = 12, 10
	m := accMock(t, mockserver.Options{})
	m.SetFaults(mockserver.FaultOptions{Rate: 1, Kinds: []mockserver.FaultKind{mockserver.Fault429}, RetryAfter: 24 * time.Hour,
		Routes: []string{"sellfern.create"}})
	cfg := providerConfig(m) + fmt.Sprintf(`
resource "sellfern_webhook" "test" {
  provider = webhooks
  count    = %d
  url      = "https://hooks.example.com/paused/${count.index}"
  events   = ["order.created"]
}
`, creates)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{{
			Config: cfg,
			ExpectError: errorsContaining([]string{"Could not create Sellfern webhook",
				"Sellfern refused POST /sellfern/api/v2/webhooks with HTTP 429 rate_limited (too many requests, request id req_",
				"and asked to wait 1 day (Retry-After: 86400), longer than the 3m0s allowed for one call, so it did nothing.",
				"A wait that long looks like a quota (for the hour or the day) or a long block, not a pace to keep to: try again once it is over",
			}, []string{"Could not create Sellfern webhook",
				// The calls that started after the answer were not sent: they name the answer that asked for the pause.
				"Sellfern API call POST /sellfern/api/v2/webhooks failed: not sent: Sellfern answered an earlier call " +
					"(POST /sellfern/api/v2/webhooks) with HTTP 429 and Retry-After: 86400, a pause of 1 day before further " +
					"calls; 1 day of it is left, more than is left of the 3m0s allowed for this call.",
			}),
		}, {
			PreConfig: func() {
				if n := len(m.SellfernWebhooks()); n != 0 {
					t.Fatalf("the mock holds %d webhooks after refused creates, want 0", n)
				}
				if n := m.Count("sellfern.create"); n > workers {
					t.Fatalf("%d create requests for %d webhooks and %d workers: a pause of a day was not honoured", n, creates, workers)
				}
				m.SetFaults(mockserver.FaultOptions{})
			},
			Config:            cfg,
			ConfigStateChecks: []statecheck.StateCheck{mockHolds(m, creates, 0)},
		}},
	})
}

// TestAccRateLimit_quotaSpentOnASuccess: an hourly quota whose last call is answered 200 with RateLimit-Remaining:
// 0 and a reset an hour away stops the calls after it; they say which answer stopped them, a success's headers,
// and never cite a 429 that did not come.
func TestAccRateLimit_quotaSpentOnASuccess(t *testing.T) {
	m := accMock(t, mockserver.Options{RateLimit: mockserver.RateLimit{Quota: 1, QuotaWindow: time.Hour, Headers: true}})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{{
			Config: providerConfig(m) + `
resource "sellfern_webhook" "test" {
  provider = webhooks
  url      = "https://hooks.example.com/quota"
  events   = ["order.created"]
}
`,
			ExpectError: errorContaining("Could not create Sellfern webhook",
				"not sent: Sellfern accepted an earlier call (GET /sellfern/api/v2/webhooks, HTTP 200), but its rate-limit "+
					"headers (RateLimit-Remaining: 0, RateLimit-Reset: 3600) said the quota is spent for 1h0m0s; 1h0m0s of "+
					"it is left, more than is left of the 3m0s allowed for this call. A wait that long looks like a quota"),
		}},
		CheckDestroy: func(*terraform.State) error {
			if n := m.Stats().Refused(); n != 0 {
				return fmt.Errorf("%d requests refused: the calls after the spent quota were sent", n)
			}
			return nil
		},
	})
}

// sellfernWebhooks is n Sellfern webhooks of the default provider block, at distinct URLs under path.
func sellfernWebhooks(n int, path string) string {
	return fmt.Sprintf(`
resource "sellfern_webhook" "many" {
  provider = webhooks
  count    = %d
  url      = "https://hooks.example.com/%s/${count.index}"
  events   = ["order.created"]
}
`, n, path)
}

// TestAccRateLimit_recoversWhenANeighbourStops: another client of the same token takes the whole quota for 4 s in
// the middle of an apply, then stops. The apply waits it out and is back at the service's rate within seconds: the
// capacity it leaves unused (tokens that came while the service's bucket was full, between two of its calls) stays
// under three seconds' worth of the rate. Before, the pace rose by a tenth every 10 s after such a block, and the
// rest of the apply crawled at about a call a second.
func TestAccRateLimit_recoversWhenANeighbourStops(t *testing.T) {
	const rate, n = 10, 60
	m := accMock(t, mockserver.Options{RateLimit: mockserver.RateLimit{PerSecond: rate, NeighbourAfter: 2 * time.Second,
		NeighbourHold: 4 * time.Second}})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{{
			Config: providerConfig(m) + sellfernWebhooks(n, "neighbour"),
			ConfigStateChecks: []statecheck.StateCheck{
				mockHolds(m, n, 0),
				stateCheckFunc(func(*tfjson.State) error {
					s := m.Stats()
					t.Logf("RATE LIMIT FIGURES (a neighbour holds the quota 4s): %d requests, %d refused, %d in the hold, "+
						"%d tokens unused", s.Total, s.Refused(), s.RateLimitHeld, s.RateLimitUnused)
					if s.RateLimitHeld == 0 {
						return fmt.Errorf("no request met the neighbour: the test did not test anything")
					}
					if most := 3 * rate; s.RateLimitUnused > most {
						return fmt.Errorf("%d tokens went unused while the apply still had calls to make, want at most %d "+
							"(three seconds at the rate): the pace was slow to find the limit again", s.RateLimitUnused, most)
					}
					return nil
				}),
			},
		}},
	})
}

// TestAccRateLimit_whileEverythingIsRefused: a destroy whose deletes all meet another client's hold on the quota.
// The provider learns from the refusals alone: while refused it sends at most a quarter of the rate the service
// admits, not its ten workers at once (ten refusals in a tenth of a second, before), and when the hold ends it
// finds the rate within seconds (before, the rest of the destroy crawled at a call a second): the capacity left
// unused meanwhile stays under four seconds' worth of the rate.
func TestAccRateLimit_whileEverythingIsRefused(t *testing.T) {
	const rate, n = 5, 30
	hold := 8 * time.Second
	m := accMock(t, mockserver.Options{})
	cfg := providerConfig(m) + sellfernWebhooks(n, "refused")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{Config: cfg, ConfigStateChecks: []statecheck.StateCheck{mockHolds(m, n, 0)}},
			{
				// Nothing to do; once the plan after it is taken, the hold begins with the destroy's first request.
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
					planCheckFunc(func(*tfjson.Plan) error {
						m.SetRateLimit(mockserver.RateLimit{PerSecond: rate, NeighbourHold: hold})
						m.ResetStats()
						return nil
					}),
				}},
			},
		},
		CheckDestroy: func(*terraform.State) error {
			s := m.Stats()
			t.Logf("RATE LIMIT FIGURES (everything refused for %s): %d requests, %d refused, %d in the hold, %d tokens unused",
				hold, s.Total, s.Refused(), s.RateLimitHeld, s.RateLimitUnused)
			if most := int(hold.Seconds() * rate / 4); s.RateLimitHeld > most {
				return fmt.Errorf("%d requests sent while every one was refused for %s, want at most %d (a quarter of "+
					"the %d a second the service admits)", s.RateLimitHeld, hold, most, rate)
			}
			if most := 4 * rate; s.RateLimitUnused > most {
				return fmt.Errorf("%d tokens went unused while the destroy still had calls to make, want at most %d "+
					"(four seconds at the rate): the pace was slow to find the limit again", s.RateLimitUnused, most)
			}
			return serverHoldsExactlyTheConfig(m, 0, 0)
		},
	})
}

// TestAccRateLimit_twoBlocksShareOneCeiling: two provider blocks (the default and an alias) reach the same account
// with requests_per_second 2 and 5. They share one pace, and the lower ceiling holds for both: a service that
// admits 2.5 requests a second (a bucket of one) refuses none of their calls. Each block alone at its ceiling, or
// each at its own, would be refused.
func TestAccRateLimit_twoBlocksShareOneCeiling(t *testing.T) {
	m := accMock(t, mockserver.Options{RateLimit: mockserver.RateLimit{PerSecond: 2.5, Burst: 1}})
	cfg := twoBlocksConfig(m.SellfernBaseURL(), 2, 5, 5)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				mockHolds(m, 10, 0),
				stateCheckFunc(func(*tfjson.State) error {
					if n := m.Stats().Refused(); n != 0 {
						return fmt.Errorf("%d requests refused at 2.5 a second: the blocks did not keep to the lower "+
							"ceiling, 2 a second, together", n)
					}
					return nil
				}),
			},
		}},
	})
}

// twoBlocksConfig is a Sellfern account reached by two provider blocks, the default with a ceiling of first and
// the alias "second" with second, each managing n webhooks.
func twoBlocksConfig(baseURL string, first, second float64, n int) string {
	block := func(alias string, perSecond float64) string {
		return fmt.Sprintf(`
provider "webhooks" {
  %s
  sellfern = {
    token               = %q
    base_url            = %q
    requests_per_second = %g
  }
}
`, alias, mockserver.DemoSellfernToken, baseURL, perSecond)
	}
	return tfrun.RequiredProviders("webhooks") + block("", first) + block(`alias = "second"`, second) + fmt.Sprintf(`
resource "sellfern_webhook" "first" {
  provider = webhooks
  count    = %[1]d
  url      = "https://hooks.example.com/first/${count.index}"
  events   = ["order.created"]
}

resource "sellfern_webhook" "second" {
  provider = webhooks.second
  count    = %[1]d
  url      = "https://hooks.example.com/second/${count.index}"
  events   = ["order.created"]
}
`, n)
}
