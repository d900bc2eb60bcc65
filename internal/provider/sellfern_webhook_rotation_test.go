package provider

import (
	"fmt"
	"net/http"
	"regexp"
	"sync"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

const rotationURL = "https://hooks.example.com/sellfern/rotating"

// rotatingConfig is a webhook whose signing secret rotates when a value of rotate_when_changed changes, the new
// webhook made before the old one is deleted. rotate is the map's HCL ("" leaves the argument out); extra is more
// configuration beside it.
func rotatingConfig(m *mockserver.Server, rotate string, createBeforeDestroy bool, extra string) string {
	body := fmt.Sprintf("  url    = %q\n  events = [\"order.created\", \"order.updated\"]\n", rotationURL)
	if rotate != "" {
		body += "\n  rotate_when_changed = " + rotate + "\n"
	}
	if createBeforeDestroy {
		body += "\n  lifecycle {\n    create_before_destroy = true\n  }\n"
	}
	return sellfernConfig(m, body) + extra
}

// generation is rotate_when_changed holding a value the user bumps.
func generation(n int) string { return fmt.Sprintf("{ generation = \"%d\" }", n) }

// replacedWithoutGap checks, from the mock's journal, that the webhook now at sellfernAddr replaced the one old
// recorded: the new one is on the server, the old one was deleted, and only after the new one had been created.
func replacedWithoutGap(m *mockserver.Server, old *recordedID) statecheck.StateCheck {
	return stateCheckFunc(func(s *tfjson.State) error {
		v, err := resourceValues(s, sellfernAddr)
		if err != nil {
			return err
		}
		newID, _ := v["id"].(string)
		return journalShowsReplacement(m.Journal(), old.id, newID)
	})
}

func journalShowsReplacement(j []mockserver.JournalEntry, oldID, newID string) error {
	created := mockserver.JournalIndex(j, "sellfern", mockserver.JournalCreate, newID)
	deleted := mockserver.JournalIndex(j, "sellfern", mockserver.JournalDelete, oldID)
	switch {
	case oldID == newID:
		return fmt.Errorf("webhook %s was not replaced", oldID)
	case created < 0:
		return fmt.Errorf("the journal has no create of the new webhook %s: %+v", newID, j)
	case deleted < 0:
		return fmt.Errorf("the old webhook %s was never deleted: %+v", oldID, j)
	case deleted < created:
		return fmt.Errorf("the old webhook %s was deleted (entry %d) before the new one %s existed (entry %d): "+
			"deliveries stopped in between", oldID, deleted+1, newID, created+1)
	case mockserver.JournalIndex(j, "sellfern", mockserver.JournalDelete, newID) >= 0:
		return fmt.Errorf("the new webhook %s was deleted: %+v", newID, j)
	}
	return nil
}

// TestAccSellfernWebhook_rotation: a value bumped in rotate_when_changed, with create_before_destroy, replaces the
// webhook: one webhook left, with a new id and a new secret that state and the mock agree on, the old one deleted
// only after the new one existed, and nothing to do afterwards. A value not known until apply (a terraform_data
// being replaced, as a time_rotating is when its time comes) rotates too.
func TestAccSellfernWebhook_rotation(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	newID := statecheck.CompareValue(compare.ValuesDiffer())
	newSecret := statecheck.CompareValue(compare.ValuesDiffer())
	first, second, third := &recordedID{addr: sellfernAddr}, &recordedID{addr: sellfernAddr}, &recordedID{addr: sellfernAddr}
	schedule := func(period string) string {
		return rotatingConfig(m, "{ rotation = terraform_data.schedule.id }", true, fmt.Sprintf(`
resource "terraform_data" "schedule" {
  triggers_replace = %q
}
`, period))
	}
	rotated := func(old *recordedID) []statecheck.StateCheck {
		return []statecheck.StateCheck{
			sellfernMatchesMock(m, sellfernAddr, true),
			mockHolds(m, 1, 0),
			replacedWithoutGap(m, old),
			newID.AddStateValue(sellfernAddr, tfjsonpath.New("id")),
			newSecret.AddStateValue(sellfernAddr, tfjsonpath.New("secret")),
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config: rotatingConfig(m, generation(1), true, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(sellfernAddr, plancheck.ResourceActionCreate),
						plancheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("rotate_when_changed"),
							knownvalue.MapExact(map[string]knownvalue.Check{"generation": knownvalue.StringExact("1")})),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					sellfernMatchesMock(m, sellfernAddr, true),
					newID.AddStateValue(sellfernAddr, tfjsonpath.New("id")),
					newSecret.AddStateValue(sellfernAddr, tfjsonpath.New("secret")),
					first,
				},
			},
			{
				Config: rotatingConfig(m, generation(2), true, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(sellfernAddr, plancheck.ResourceActionCreateBeforeDestroy),
						plancheck.ExpectUnknownValue(sellfernAddr, tfjsonpath.New("secret")),
						plancheck.ExpectSensitiveValue(sellfernAddr, tfjsonpath.New("secret")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: append(rotated(first),
					statecheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("rotate_when_changed"),
						knownvalue.MapExact(map[string]knownvalue.Check{"generation": knownvalue.StringExact("2")})),
					second),
			},
			{
				// A new map (another key) is a change of what state holds: a rotation.
				Config: schedule("2026-05"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(sellfernAddr, plancheck.ResourceActionCreateBeforeDestroy)},
				},
				ConfigStateChecks: append(rotated(second), third),
			},
			{
				// The schedule's time has come: its id is known only once it is made again.
				Config: schedule("2026-06"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("terraform_data.schedule", plancheck.ResourceActionReplace),
						plancheck.ExpectResourceAction(sellfernAddr, plancheck.ResourceActionCreateBeforeDestroy),
						plancheck.ExpectUnknownValue(sellfernAddr, tfjsonpath.New("rotate_when_changed").AtMapKey("rotation")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: rotated(third),
			},
			{
				Config: schedule("2026-06"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

// TestAccSellfernWebhook_rotateWhenChangedRules: which changes of rotate_when_changed replace the webhook. Setting
// it where it was null, removing it, and null to {} and back are recorded in state without a replacement and
// without an API call; the same value again plans nothing; only a change of a value already in state rotates.
func TestAccSellfernWebhook_rotateWhenChangedRules(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	sameID := statecheck.CompareValue(compare.ValuesSame())
	sameSecret := statecheck.CompareValue(compare.ValuesSame())
	rotateIs := func(v knownvalue.Check) statecheck.StateCheck {
		return statecheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("rotate_when_changed"), v)
	}
	generationIs := func(n string) knownvalue.Check {
		return knownvalue.MapExact(map[string]knownvalue.Check{"generation": knownvalue.StringExact(n)})
	}
	empty := knownvalue.MapExact(map[string]knownvalue.Check{})
	// recorded: the change is an in-place update of state alone, and the webhook is the same.
	recorded := func(want knownvalue.Check) resource.TestStep {
		return resource.TestStep{
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(sellfernAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("rotate_when_changed"), want),
				},
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				rotateIs(want),
				sameID.AddStateValue(sellfernAddr, tfjsonpath.New("id")),
				sameSecret.AddStateValue(sellfernAddr, tfjsonpath.New("secret")),
				mockCounts(m, map[string]int{"sellfern.create": 1, "sellfern.update": 0, "sellfern.delete": 0}),
			},
		}
	}
	with := func(step resource.TestStep, rotate string) resource.TestStep {
		step.Config = rotatingConfig(m, rotate, false, "")
		return step
	}
	unchanged := func(rotate string) resource.TestStep {
		return resource.TestStep{
			Config: rotatingConfig(m, rotate, false, ""),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config: rotatingConfig(m, "", false, ""),
				ConfigStateChecks: []statecheck.StateCheck{
					rotateIs(knownvalue.Null()),
					sameID.AddStateValue(sellfernAddr, tfjsonpath.New("id")),
					sameSecret.AddStateValue(sellfernAddr, tfjsonpath.New("secret")),
				},
			},
			unchanged(""),
			with(recorded(generationIs("1")), generation(1)), // first added
			unchanged(generation(1)),
			with(recorded(knownvalue.Null()), ""), // removed: no more rotations, and no surprise replacement
			with(recorded(empty), "{}"),           // Terraform wants the plan of a map the configuration sets to be that map
			unchanged("{}"),
			with(recorded(knownvalue.Null()), ""),
			with(recorded(generationIs("7")), generation(7)),
			{
				Config: rotatingConfig(m, generation(8), false, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(sellfernAddr, plancheck.ResourceActionDestroyBeforeCreate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					rotateIs(generationIs("8")),
					sellfernMatchesMock(m, sellfernAddr, true),
					mockCounts(m, map[string]int{"sellfern.create": 2, "sellfern.update": 0, "sellfern.delete": 1}),
				},
			},
			{
				// Emptied after a rotation: {} is recorded, nothing replaced.
				Config: rotatingConfig(m, "{}", false, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(sellfernAddr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					rotateIs(empty),
					mockCounts(m, map[string]int{"sellfern.create": 2, "sellfern.update": 0, "sellfern.delete": 1}),
				},
			},
		},
	})
}

// TestAccSellfernWebhook_rotateWhenChangedAfterImport: an imported webhook has rotate_when_changed null (and its
// secret null); the configuration's value is then recorded without a replacement, and the first change of it
// replaces the webhook, which gives it a signing secret at last.
func TestAccSellfernWebhook_rotateWhenChangedAfterImport(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	existing := m.SellfernPut(mockserver.SellfernWebhook{URL: rotationURL, Events: []string{"order.created", "order.updated"}, Enabled: true})
	imported := &recordedID{addr: sellfernAddr, id: existing.ID}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config:             rotatingConfig(m, generation(1), true, ""),
				ResourceName:       sellfernAddr,
				ImportState:        true,
				ImportStateId:      existing.ID,
				ImportStatePersist: true,
				ImportStateCheck: func(states []*terraform.InstanceState) error {
					if len(states) != 1 {
						return fmt.Errorf("imported %d instances, want 1", len(states))
					}
					for _, attr := range []string{"rotate_when_changed.%", "secret"} {
						if v, ok := states[0].Attributes[attr]; ok {
							return fmt.Errorf("%s after import: want null, got %q", attr, v)
						}
					}
					return nil
				},
			},
			{
				Config: rotatingConfig(m, generation(1), true, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(sellfernAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("secret"), knownvalue.Null()),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("id"), knownvalue.StringExact(existing.ID)),
					statecheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("rotate_when_changed"),
						knownvalue.MapExact(map[string]knownvalue.Check{"generation": knownvalue.StringExact("1")})),
					mockCounts(m, map[string]int{"sellfern.create": 0, "sellfern.update": 0, "sellfern.delete": 0}),
				},
			},
			{
				Config: rotatingConfig(m, generation(2), true, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(sellfernAddr, plancheck.ResourceActionCreateBeforeDestroy)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					sellfernMatchesMock(m, sellfernAddr, true),
					statecheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("secret"), knownvalue.StringRegexp(regexp.MustCompile(`^whsec_`))),
					replacedWithoutGap(m, imported),
					mockHolds(m, 1, 0),
				},
			},
		},
	})
}

// TestAccSellfernWebhook_rotationFailedCreateIsPlannedAgain: when the new webhook of a rotation cannot be created
// (Sellfern refuses it for good), the apply fails, the old webhook stays in state with the old value of
// rotate_when_changed, and the next plan plans the rotation again.
func TestAccSellfernWebhook_rotationFailedCreateIsPlannedAgain(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	old := &recordedID{addr: sellfernAddr}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config:            rotatingConfig(m, generation(1), true, ""),
				ConfigStateChecks: []statecheck.StateCheck{old},
			},
			{
				PreConfig: func() {
					m.SetAnswer("sellfern.create", &mockserver.Answer{Status: http.StatusBadRequest,
						Body: `{"success":false,"error":{"code":"validation_error","message":"url did not answer the reachability check"}}`})
				},
				Config: rotatingConfig(m, generation(2), true, ""),
				ExpectError: errorContaining("Could not create Sellfern webhook", "HTTP 400 validation_error",
					"url did not answer the reachability check"),
			},
			{
				PreConfig: func() {
					m.SetAnswer("sellfern.create", nil)
					if hooks := m.SellfernWebhooks(); len(hooks) != 1 || hooks[0].ID != old.id {
						t.Fatalf("after the failed rotation the mock holds %+v, want the old webhook %s alone", hooks, old.id)
					}
				},
				Config: rotatingConfig(m, generation(2), true, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(sellfernAddr, plancheck.ResourceActionCreateBeforeDestroy),
						planCheckFunc(func(p *tfjson.Plan) error {
							for _, rc := range p.ResourceChanges {
								if rc.Address != sellfernAddr {
									continue
								}
								before, _ := rc.Change.Before.(map[string]any)
								rotate, _ := before["rotate_when_changed"].(map[string]any)
								if before["id"] != old.id || rotate["generation"] != "1" {
									return fmt.Errorf("the plan replaces %v with rotate_when_changed %v, want the old webhook %s with generation 1",
										before["id"], before["rotate_when_changed"], old.id)
								}
								return nil
							}
							return fmt.Errorf("%s is not in the plan", sellfernAddr)
						}),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					sellfernMatchesMock(m, sellfernAddr, true),
					replacedWithoutGap(m, old),
					mockHolds(m, 1, 0),
				},
			},
		},
	})
}

// TestAccSellfernWebhook_rotationLostCreateAnswer: during a rotation the old webhook has the new one's url and
// events. When the answer to the new one's create is lost after Sellfern made it, the provider sends the create
// again with its Idempotency-Key, and Sellfern answers with the webhook the first request made, its secret included:
// that one is kept, nothing is deleted but the old webhook once the new one exists, and the old identical webhook is
// never taken for the new one.
func TestAccSellfernWebhook_rotationLostCreateAnswer(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	old := &recordedID{addr: sellfernAddr}
	var oldSecret string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config: rotatingConfig(m, generation(1), true, ""),
				ConfigStateChecks: []statecheck.StateCheck{old, stateCheckFunc(func(s *tfjson.State) error {
					v, err := resourceValues(s, sellfernAddr)
					oldSecret, _ = v["secret"].(string)
					return err
				})},
			},
			{
				PreConfig: func() {
					// The first create of this step is made and its answer dropped; the faults end with it (the
					// request that arrives is judged by the settings it found).
					m.SetFaults(mockserver.FaultOptions{Rate: 1, AfterCommitRatio: 1, Kinds: []mockserver.FaultKind{mockserver.FaultDrop},
						Routes: []string{"sellfern.create"}})
					m.OnRequest(func(route string) {
						if route == "sellfern.create" {
							m.SetFaults(mockserver.FaultOptions{})
						}
					})
				},
				Config: rotatingConfig(m, generation(2), true, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					sellfernMatchesMock(m, sellfernAddr, true),
					mockHolds(m, 1, 0),
					replacedWithoutGap(m, old),
					stateCheckFunc(func(s *tfjson.State) error {
						m.OnRequest(nil)
						if n := m.Stats().FaultsAfterCommit; n != 1 {
							return fmt.Errorf("%d creates lost their answer after commit, want 1: the test proved nothing", n)
						}
						v, err := resourceValues(s, sellfernAddr)
						if err != nil {
							return err
						}
						if v["secret"] == oldSecret {
							return fmt.Errorf("the new webhook has the old one's secret")
						}
						// The journal: the old webhook, the new one (whose answer was lost, and replayed to the
						// re-send), the old one deleted.
						j := m.Journal()
						var ops []string
						for _, e := range j {
							ops = append(ops, e.Op)
						}
						if len(j) != 3 || fmt.Sprint(ops) != "[create create delete]" {
							return fmt.Errorf("journal %+v, want create, create, delete", j)
						}
						newID := j[1].ID
						switch {
						case j[0].ID != old.id || j[2].ID != old.id:
							return fmt.Errorf("journal %+v: the old webhook %s is not first made and last deleted", j, old.id)
						case v["id"] != newID:
							return fmt.Errorf("state holds %v, want the webhook the lost answer was about, %s", v["id"], newID)
						case m.Stats().Replayed["sellfern.create"] != 1:
							return fmt.Errorf("the re-send was not answered from its key: replays %v", m.Stats().Replayed)
						}
						return nil
					}),
				},
			},
		},
	})
}

// TestAccSellfernWebhook_rotationUnderFaults rotates 20 webhooks with create_before_destroy while a fifth of all
// API calls fail (503, dropped connections), half of the failed creates after the webhook was stored: no
// duplicate, no orphan, every new secret the one issued with its webhook (the creates' keys make each webhook once:
// the mock issued exactly 40 secrets), no delete but of the replaced webhooks, every old webhook deleted only after
// its replacement existed, and an empty plan after. A 429 is not injected: it says the service did not act on the
// request, which is not a lost answer.
func TestAccSellfernWebhook_rotationUnderFaults(t *testing.T) {
	const n = 20
	m := accMock(t, mockserver.Options{Seed: 20260518})
	faults := mockserver.FaultOptions{Rate: 0.2, AfterCommitRatio: 0.5, Kinds: []mockserver.FaultKind{mockserver.Fault503, mockserver.FaultDrop}}
	cfg := func(gen int) string {
		// Ten retries make eleven faults in a row, the only way this test fails by chance, a one-in-ten-million event.
		return providerConfigWith(m, mockserver.DemoSellfernToken, mockserver.DemoSelSupKey, "max_retries = 10") + fmt.Sprintf(`
resource "sellfern_webhook" "rotating" {
  provider = webhooks
  count    = %d

  url    = "https://hooks.example.com/rotating/${count.index}"
  events = ["order.created"]

  rotate_when_changed = { generation = "%d" }

  lifecycle {
    create_before_destroy = true
  }
}
`, n, gen)
	}
	before := map[string]string{} // address -> id before the rotation
	captured, afterCommit := 0, 0
	var rotating []plancheck.PlanCheck
	for i := range n {
		rotating = append(rotating, plancheck.ExpectResourceAction(fmt.Sprintf("sellfern_webhook.rotating[%d]", i), plancheck.ResourceActionCreateBeforeDestroy))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				PreConfig: func() { m.SetFaults(faults) },
				Config:    cfg(1),
				ConfigStateChecks: []statecheck.StateCheck{
					stateCheckFunc(func(*tfjson.State) error { return serverHoldsExactlyTheConfig(m, n, 0) }),
					everySecretCaptured(m, n, &captured),
					stateCheckFunc(func(s *tfjson.State) error {
						for _, r := range s.Values.RootModule.Resources {
							before[r.Address] = fmt.Sprint(r.AttributeValues["id"])
						}
						return nil
					}),
				},
			},
			{
				PreConfig: func() {
					// The rotation's first create is certain to lose its answer after commit; the random faults
					// take over from the request after it.
					lostFirst := faults
					lostFirst.Rate, lostFirst.AfterCommitRatio, lostFirst.Routes = 1, 1, []string{"sellfern.create"}
					m.SetFaults(lostFirst)
					var once sync.Once
					m.OnRequest(func(route string) {
						if route == "sellfern.create" {
							once.Do(func() { m.SetFaults(faults) })
						}
					})
					afterCommit = m.Stats().FaultsAfterCommit
				},
				Config: cfg(2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             rotating,
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					stateCheckFunc(func(*tfjson.State) error { return serverHoldsExactlyTheConfig(m, n, 0) }),
					everySecretCaptured(m, n, &captured),
					stateCheckFunc(func(s *tfjson.State) error {
						j := m.Journal()
						for _, r := range s.Values.RootModule.Resources {
							if err := journalShowsReplacement(j, before[r.Address], fmt.Sprint(r.AttributeValues["id"])); err != nil {
								return fmt.Errorf("%s: %w", r.Address, err)
							}
						}
						replaced := map[string]bool{}
						for _, id := range before {
							replaced[id] = true
						}
						for _, e := range j {
							if e.Op == mockserver.JournalDelete && !replaced[e.ID] {
								return fmt.Errorf("webhook %s was deleted, and it was no replaced webhook: nothing is deleted on a guess", e.ID)
							}
						}
						if issued := len(m.IssuedSellfernSecrets()); issued != 2*n {
							return fmt.Errorf("the mock issued %d secrets for %d creates: a webhook was made twice", issued, 2*n)
						}
						m.OnRequest(nil)
						st := m.Stats()
						t.Logf("%d webhooks created and rotated under faults: %d API requests, %d faults, %d of them creates "+
							"stored but answered with a fault (%d during the rotation); secrets captured %d/%d",
							n, st.Total, st.Faults[mockserver.Fault503]+st.Faults[mockserver.FaultDrop], st.FaultsAfterCommit,
							st.FaultsAfterCommit-afterCommit, captured, n)
						if st.FaultsAfterCommit == afterCommit {
							return fmt.Errorf("no create of the rotation lost its answer after commit: the run proved nothing")
						}
						return nil
					}),
				},
			},
			{
				// A plan under the same faults: still nothing to do.
				Config: cfg(2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
		CheckDestroy: func(*terraform.State) error { return serverHoldsExactlyTheConfig(m, 0, 0) },
	})
}
