package provider

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

const (
	chaosSellfern = 100
	chaosSelSup   = 50
)

func chaosConfig(m *mockserver.Server, maxRetries, sellfern, selsup int) string {
	return providerConfigWith(m, mockserver.DemoSellfernToken, mockserver.DemoSelSupKey, fmt.Sprintf("max_retries = %d", maxRetries)) +
		fmt.Sprintf(`
resource "sellfern_webhook" "chaos" {
  provider = webhooks
  count    = %d

  url     = "https://hooks.example.com/chaos/${count.index}"
  events  = count.index %% 2 == 0 ? ["order.created"] : ["order.updated", "ticket.created"]
  enabled = count.index %% 10 != 0
}

resource "selsup_webhook" "chaos" {
  provider = webhooks
  count    = %d

  name  = "хаос-${count.index}"
  url   = "https://hooks.example.com/chaos/selsup/${count.index}"
  types = ["ORDER", "ORDER_STATUS"]
}
`, sellfern, selsup)
}

// serverHoldsExactlyTheConfig checks that the mock holds one webhook per configured resource and nothing else:
// no duplicate from a create retried after a lost answer, no orphan left by a failed attempt.
func serverHoldsExactlyTheConfig(m *mockserver.Server, sellfern, selsup int) error {
	var urls []string
	for _, w := range m.SellfernWebhooks() {
		urls = append(urls, w.URL)
	}
	for _, w := range m.SelSupWebhooks() {
		urls = append(urls, w.URL)
	}
	slices.Sort(urls)
	if dup := len(urls) - len(slices.Compact(slices.Clone(urls))); dup != 0 {
		return fmt.Errorf("%d duplicate webhooks on the server", dup)
	}
	if got := len(m.SellfernWebhooks()); got != sellfern {
		return fmt.Errorf("server holds %d Sellfern webhooks, want %d", got, sellfern)
	}
	if got := len(m.SelSupWebhooks()); got != selsup {
		return fmt.Errorf("server holds %d SelSup webhooks, want %d", got, selsup)
	}
	return nil
}

// everySecretCaptured checks that every Sellfern webhook in state has the secret the mock issued.
func everySecretCaptured(m *mockserver.Server, want int, captured *int) statecheck.StateCheck {
	return stateCheckFunc(func(state *tfjson.State) error {
		*captured = 0
		for _, r := range state.Values.RootModule.Resources {
			if r.Type != "sellfern_webhook" {
				continue
			}
			w, ok := m.SellfernWebhook(fmt.Sprint(r.AttributeValues["id"]))
			if !ok {
				return fmt.Errorf("%s: id %v is not on the server", r.Address, r.AttributeValues["id"])
			}
			if r.AttributeValues["secret"] != w.Secret || w.Secret == "" {
				return fmt.Errorf("%s: the secret in state is not the one the server issued", r.Address)
			}
			*captured++
		}
		if *captured != want {
			return fmt.Errorf("%d Sellfern webhooks in state, want %d", *captured, want)
		}
		return nil
	})
}

// TestAccChaos applies 100 Sellfern and 50 SelSup webhooks while 20% of all API calls fail (503 with Retry-After,
// dropped connections), half of the failed creates after the webhook was stored. (A 429 is no fault of this kind:
// it means the service did nothing, and the rate-limit tests cover it against a real token bucket.) The apply must
// succeed with exactly the configured webhooks on the server, every secret captured, an empty next plan, and a
// destroy that leaves nothing. It runs alone (not in parallel) so that its figures are its own.
func TestAccChaos(t *testing.T) {
	m := accMock(t, mockserver.Options{Seed: 20261122})
	faults := mockserver.FaultOptions{Rate: 0.2, AfterCommitRatio: 0.5, RetryAfter: time.Second,
		Kinds: []mockserver.FaultKind{mockserver.Fault503, mockserver.FaultDrop}}
	// Ten retries make a spurious failure of this test (eleven faults in a row) a one-in-fifty-million event.
	cfg := chaosConfig(m, 10, chaosSellfern, chaosSelSup)
	captured := 0
	start := time.Now()
	var applied mockserver.Stats // the mock's counters once the apply is done, before the plan and destroy add theirs

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				PreConfig: func() { m.SetFaults(faults) },
				Config:    cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					stateCheckFunc(func(*tfjson.State) error { applied = m.Stats(); return nil }),
					stateCheckFunc(func(*tfjson.State) error { return serverHoldsExactlyTheConfig(m, chaosSellfern, chaosSelSup) }),
					everySecretCaptured(m, chaosSellfern, &captured),
				},
			},
			{
				// A plan under the same faults: still nothing to do.
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
		CheckDestroy: func(*terraform.State) error {
			f := chaosFiguresOf(applied)
			var kinds []string
			for _, k := range []mockserver.FaultKind{mockserver.Fault503, mockserver.FaultDrop} {
				kinds = append(kinds, fmt.Sprintf("%s=%d", k, applied.Faults[k]))
			}
			t.Logf("CHAOS FIGURES (the apply): %d Sellfern + %d SelSup webhooks, %s in all; %d API requests, %d faults injected (%s), "+
				"%d creates stored but answered with a fault; %d HTTP retries of idempotent calls, %d create re-attempts, "+
				"%d webhooks of lost creates deleted, %d adopted; secrets captured %d/%d; duplicates 0, orphans 0 (server empty after destroy)",
				chaosSellfern, chaosSelSup, time.Since(start).Round(time.Second), applied.Total, f.faults,
				strings.Join(kinds, " "), applied.FaultsAfterCommit, f.retries, f.reattempts, f.deleted, f.adopted,
				captured, chaosSellfern)
			if applied.FaultsAfterCommit == 0 || f.faults == 0 {
				return fmt.Errorf("the run injected no faults after commit: it proved nothing")
			}
			return serverHoldsExactlyTheConfig(m, 0, 0)
		},
	})
}

// TestAccChaos_budgetExhausted: when every create fails, half of them after the webhook was stored, the apply
// fails saying what is on the server: nothing of Sellfern's (each attempt's webhook was found and deleted, since
// its secret was lost); SelSup webhooks whose answer was lost were adopted and are in state. Once the service
// recovers, a re-apply converges with nothing duplicated.
func TestAccChaos_budgetExhausted(t *testing.T) {
	m := accMock(t, mockserver.Options{Seed: 7})
	cfg := chaosConfig(m, 2, 5, 5)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					m.SetFaults(mockserver.FaultOptions{Rate: 1, AfterCommitRatio: 0.5, Routes: []string{"sellfern.create", "selsup.create"},
						Kinds: []mockserver.FaultKind{mockserver.Fault503, mockserver.FaultDrop}})
				},
				Config: cfg,
				ExpectError: errorContaining(`Could not create`, `gave up creating the`, `after 3 attempts;`,
					`any webhook those attempts made was found and deleted, so nothing is left on the server`),
			},
			{
				PreConfig: func() {
					if n := len(m.SellfernWebhooks()); n != 0 {
						t.Fatalf("after the failed apply the server holds %d Sellfern webhooks, want 0", n)
					}
					m.SetFaults(mockserver.FaultOptions{})
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					stateCheckFunc(func(*tfjson.State) error { return serverHoldsExactlyTheConfig(m, 5, 5) }),
				},
			},
		},
	})
}

// chaosFigures is what an apply that succeeded under faults cost, read off the mock's counters.
type chaosFigures struct{ faults, retries, reattempts, deleted, adopted int }

// chaosFiguresOf derives the figures from counters alone, which holds because the apply succeeded: every faulted
// idempotent call was retried, every create beyond one per resource was a re-attempt, every delete during an apply
// removed a lost create's webhook, and a SelSup webhook stored by a create whose answer was lost and not deleted
// was adopted.
func chaosFiguresOf(s mockserver.Stats) chaosFigures {
	var f chaosFigures
	for route, n := range s.FaultsByRoute {
		f.faults += n
		if route != "sellfern.create" && route != "selsup.create" {
			f.retries += n
		}
	}
	f.reattempts = s.Requests["sellfern.create"] + s.Requests["selsup.create"] - chaosSellfern - chaosSelSup
	selsupDeleted := s.Requests["selsup.delete"] - s.FaultsByRoute["selsup.delete"]
	f.deleted = s.Requests["sellfern.delete"] - s.FaultsByRoute["sellfern.delete"] + selsupDeleted
	f.adopted = s.AfterCommitByRoute["selsup.create"] - selsupDeleted
	return f
}
