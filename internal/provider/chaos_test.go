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
	chaosSellfern = 50
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

// TestAccChaos applies 50 Sellfern and 50 SelSup webhooks while 20% of all API calls fail (503 with Retry-After,
// dropped connections), half of the failed creates after the webhook was stored. (A 429 is no fault of this kind:
// it means the service did nothing, and the rate-limit tests cover it against a real token bucket.) The apply must
// succeed with exactly the configured webhooks on the server: every Sellfern create settled by its Idempotency-Key,
// so no webhook made twice (the mock issued exactly 50 secrets), every secret in state the one issued with its
// webhook, and no delete; every SelSup webhook adopted after a lost answer named in a warning. Then an empty next
// plan, and a destroy that leaves nothing. It runs alone (not in parallel) so that its figures are its own.
func TestAccChaos(t *testing.T) {
	m := accMock(t, mockserver.Options{Seed: 20261122})
	faults := mockserver.FaultOptions{Rate: 0.2, AfterCommitRatio: 0.5, RetryAfter: time.Second,
		Kinds: []mockserver.FaultKind{mockserver.Fault503, mockserver.FaultDrop}}
	// Ten retries make a spurious failure of this test (eleven faults in a row) a one-in-fifty-million event.
	cfg := chaosConfig(m, 10, chaosSellfern, chaosSelSup)
	diags := &warningRecorder{}
	factories := diags.factories()
	captured := 0
	start := time.Now()
	var applied mockserver.Stats // the mock's counters once the apply is done, before the plan and destroy add theirs

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
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
					stateCheckFunc(func(*tfjson.State) error { return madeOnceDeletedNone(m, applied, chaosSellfern) }),
					stateCheckFunc(func(*tfjson.State) error {
						if appeared := matching(diags.summaries(), "while its create was in doubt"); len(appeared) != 0 {
							return fmt.Errorf("with keys honoured, warnings of webhooks beside a create: %q", appeared)
						}
						adopted := len(matching(diags.summaries(), "adopted after its create's answer was lost"))
						if want := applied.AfterCommitByRoute["selsup.create"]; adopted != want {
							return fmt.Errorf("%d adoption warnings for %d SelSup creates stored but answered with a fault", adopted, want)
						}
						return nil
					}),
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
				"%d creates stored but answered with a fault; %d HTTP retries of idempotent calls, %d create re-sends "+
				"(%d Sellfern answers replayed from their key), %d deletes, %d SelSup webhooks adopted and named; secrets "+
				"captured %d/%d, %d issued; duplicates 0, orphans 0 (server empty after destroy)",
				chaosSellfern, chaosSelSup, time.Since(start).Round(time.Second), applied.Total, f.faults,
				strings.Join(kinds, " "), applied.FaultsAfterCommit, f.retries, f.reattempts, applied.Replayed["sellfern.create"],
				f.deleted, f.adopted, captured, chaosSellfern, chaosSellfern)
			if applied.FaultsAfterCommit == 0 || f.faults == 0 {
				return fmt.Errorf("the run injected no faults after commit: it proved nothing")
			}
			return serverHoldsExactlyTheConfig(m, 0, 0)
		},
	})
}

// madeOnceDeletedNone checks what the keys promise: the mock issued one secret per Sellfern webhook, so none was
// made twice, and the apply (applied: the mock's counters after it) deleted nothing, of either service.
func madeOnceDeletedNone(m *mockserver.Server, applied mockserver.Stats, sellfern int) error {
	if issued := len(m.IssuedSellfernSecrets()); issued != sellfern {
		return fmt.Errorf("the mock issued %d Sellfern secrets for %d webhooks: a webhook was made twice", issued, sellfern)
	}
	if n := applied.Requests["sellfern.delete"] + applied.Requests["selsup.delete"]; n != 0 {
		return fmt.Errorf("%d deletes during the apply: nothing is deleted on a guess", n)
	}
	return nil
}

// matching returns the texts that contain part.
func matching(texts []string, part string) []string {
	var out []string
	for _, s := range texts {
		if strings.Contains(s, part) {
			out = append(out, s)
		}
	}
	return out
}

// TestAccChaos_keysIgnored: the same faults against a Sellfern behind a proxy that drops the Idempotency-Key, so a
// re-sent create may make a second webhook. The apply still succeeds with one webhook in state per resource, deletes
// nothing, and names every webhook that no state records in a warning whose summary carries its id.
func TestAccChaos_keysIgnored(t *testing.T) {
	m := accMock(t, mockserver.Options{Seed: 20261123})
	m.SetIgnoreIdempotencyKeys(true)
	faults := mockserver.FaultOptions{Rate: 0.2, AfterCommitRatio: 0.5, RetryAfter: time.Second,
		Kinds: []mockserver.FaultKind{mockserver.Fault503, mockserver.FaultDrop}}
	cfg := chaosConfig(m, 10, chaosSellfern, 0)
	diags := &warningRecorder{}
	factories := diags.factories()
	var stray []string // webhooks on the server that no state records
	var applied mockserver.Stats
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{{
			PreConfig: func() { m.SetFaults(faults) },
			Config:    cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				stateCheckFunc(func(s *tfjson.State) error {
					applied = m.Stats()
					inState := map[string]bool{}
					for _, r := range s.Values.RootModule.Resources {
						inState[fmt.Sprint(r.AttributeValues["id"])] = true
					}
					if len(inState) != chaosSellfern {
						return fmt.Errorf("state holds %d webhooks, want %d", len(inState), chaosSellfern)
					}
					for _, w := range m.SellfernWebhooks() {
						if !inState[w.ID] {
							stray = append(stray, w.ID)
						}
					}
					if len(stray) == 0 {
						return fmt.Errorf("no re-send made a second webhook: the run proved nothing")
					}
					for _, id := range stray {
						if !diags.named(id) {
							return fmt.Errorf("webhook %s, which no state records, is named in no warning's summary", id)
						}
					}
					if n := applied.Requests["sellfern.delete"]; n != 0 {
						return fmt.Errorf("%d deletes during the apply: nothing is deleted on a guess", n)
					}
					return nil
				}),
				everySecretCaptured(m, chaosSellfern, new(int)),
			},
		}},
		CheckDestroy: func(*terraform.State) error {
			t.Logf("keys ignored: %d webhooks made beside the %d in state, each named in a warning; %d API requests, %d faults",
				len(stray), chaosSellfern, applied.Total, applied.Faults[mockserver.Fault503]+applied.Faults[mockserver.FaultDrop])
			// The destroy deleted what state records, and nothing else.
			if got := len(m.SellfernWebhooks()); got != len(stray) {
				return fmt.Errorf("after the destroy the mock holds %d webhooks, want the %d no state records", got, len(stray))
			}
			return nil
		},
	})
}

// TestAccChaos_budgetExhausted: when every create fails, half of them after the webhook was stored, the apply
// fails saying what may be on the server. A Sellfern create re-sent with its key makes one webhook at most, which its
// error names (its signing secret never arrived, and nothing proves it is this create's, so it is not deleted);
// SelSup webhooks whose answer was lost were adopted, named in a warning, and are in state. Once the service
// recovers, a re-apply makes what is missing, names every webhook left by the failed apply, and deletes nothing.
func TestAccChaos_budgetExhausted(t *testing.T) {
	m := accMock(t, mockserver.Options{Seed: 7})
	cfg := chaosConfig(m, 2, 5, 5)
	diags := &warningRecorder{}
	factories := diags.factories()
	var left []mockserver.SellfernWebhook
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					m.SetFaults(mockserver.FaultOptions{Rate: 1, AfterCommitRatio: 0.5, Routes: []string{"sellfern.create", "selsup.create"},
						Kinds: []mockserver.FaultKind{mockserver.Fault503, mockserver.FaultDrop}})
				},
				Config: cfg,
				ExpectError: errorContaining(`Could not create Sellfern webhook`, `did not settle: its request was sent 3 time(s) with Idempotency-Key`,
					`The service may have made the webhook without its answer`),
			},
			{
				PreConfig: func() {
					left = m.SellfernWebhooks()
					if len(left) == 0 || len(left) > 5 {
						t.Fatalf("after the failed apply the server holds %d Sellfern webhooks, want 1 to 5: one at most per create", len(left))
					}
					for _, w := range left {
						if !diags.erred(w.ID) {
							t.Fatalf("webhook %s, left by a create that did not settle, is named in no error", w.ID)
						}
					}
					if n := m.Count("sellfern.delete") + m.Count("selsup.delete"); n != 0 {
						t.Fatalf("%d deletes: nothing is deleted on a guess", n)
					}
					m.SetFaults(mockserver.FaultOptions{})
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					stateCheckFunc(func(s *tfjson.State) error {
						inState := map[string]bool{}
						for _, r := range s.Values.RootModule.Resources {
							inState[fmt.Sprint(r.AttributeValues["id"])] = true
						}
						for _, w := range left {
							if _, ok := m.SellfernWebhook(w.ID); !ok || inState[w.ID] {
								return fmt.Errorf("webhook %s, left by the failed apply, was deleted or taken", w.ID)
							}
							if !diags.named(w.ID) {
								return fmt.Errorf("webhook %s, left by the failed apply, is named in no warning of the re-apply", w.ID)
							}
						}
						if got := len(m.SellfernWebhooks()); got != 5+len(left) {
							return fmt.Errorf("the mock holds %d Sellfern webhooks, want the 5 configured and the %d left", got, len(left))
						}
						if got := len(m.SelSupWebhooks()); got != 5 {
							return fmt.Errorf("the mock holds %d SelSup webhooks, want 5", got)
						}
						return nil
					}),
				},
			},
		},
		CheckDestroy: func(*terraform.State) error {
			for _, w := range left {
				m.SellfernDelete(w.ID) // the user's clean-up, as the warnings advise
			}
			return serverHoldsExactlyTheConfig(m, 0, 0)
		},
	})
}

// chaosFigures is what an apply that succeeded under faults cost, read off the mock's counters.
type chaosFigures struct{ faults, retries, reattempts, deleted, adopted int }

// chaosFiguresOf derives the figures from counters alone, which holds because the apply succeeded: every faulted
// idempotent call was retried, every create beyond one per resource was a re-send, and a SelSup webhook stored by a
// create whose answer was lost was adopted (nothing is deleted, which deleted counts).
func chaosFiguresOf(s mockserver.Stats) chaosFigures {
	var f chaosFigures
	for route, n := range s.FaultsByRoute {
		f.faults += n
		if route != "sellfern.create" && route != "selsup.create" {
			f.retries += n
		}
	}
	f.reattempts = s.Requests["sellfern.create"] + s.Requests["selsup.create"] - chaosSellfern - chaosSelSup
	f.deleted = s.Requests["sellfern.delete"] + s.Requests["selsup.delete"]
	f.adopted = s.AfterCommitByRoute["selsup.create"]
	return f
}
