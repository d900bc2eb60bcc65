package provider

import (
	"fmt"
	"net/http"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

// The action_trigger options of Terraform 1.16 (on_failure, the destroy events) with sellfern_send_test_event.
// Terraform decides what they do; these tests pin what a user of this provider sees.

const triggeredAddr = "sellfern_webhook.orders"

// triggerConfig is a webhook at url, rotating with rotate_when_changed = { generation = gen }, whose lifecycle
// holds create_before_destroy when cbd is set and an action_trigger with the given body for the test event, the
// action naming the webhook as caller.id.
func triggerConfig(m *mockserver.Server, url string, gen int, cbd bool, trigger string) string {
	lifecycle := ""
	if cbd {
		lifecycle = "    create_before_destroy = true\n\n"
	}
	return providerConfig(m) + fmt.Sprintf(`
resource "sellfern_webhook" "orders" {
  provider = webhooks
  url      = %q
  events   = ["order.created"]

  rotate_when_changed = { generation = "%d" }

  lifecycle {
%s    action_trigger {
      %s
      actions = [action.sellfern_send_test_event.orders]
    }
  }
}

action "sellfern_send_test_event" "orders" {
  provider = webhooks
  config {
    webhook_id = caller.id
  }
}
`, url, gen, lifecycle, trigger)
}

// notTainted checks that the webhook is not tainted in state.
func notTainted(s *terraform.State) error {
	rs, ok := s.RootModule().Resources[triggeredAddr]
	if !ok {
		return fmt.Errorf("%s is not in state", triggeredAddr)
	}
	if rs.Primary.Tainted {
		return fmt.Errorf("%s is tainted", triggeredAddr)
	}
	return nil
}

// holdsOnly checks that the mock holds exactly the webhooks with these ids.
func holdsOnly(m *mockserver.Server, ids ...*string) error {
	hooks := m.SellfernWebhooks()
	if len(hooks) != len(ids) {
		return fmt.Errorf("the mock holds %d webhooks (%+v), want %d", len(hooks), hooks, len(ids))
	}
	for _, id := range ids {
		if _, ok := m.SellfernWebhook(*id); !ok {
			return fmt.Errorf("the mock does not hold webhook %s", *id)
		}
	}
	return nil
}

// onlyWebhookID returns the id of the one webhook the mock holds.
func onlyWebhookID(t *testing.T, m *mockserver.Server) string {
	t.Helper()
	hooks := m.SellfernWebhooks()
	if len(hooks) != 1 {
		t.Fatalf("the mock holds %d webhooks, want 1: %+v", len(hooks), hooks)
	}
	return hooks[0].ID
}

// TestAccSellfernSendTestEventOnFailureContinue: with on_failure = continue a failed test event is a warning: the
// apply succeeds, the webhook is in state and not tainted, and nothing is planned afterwards.
func TestAccSellfernSendTestEventOnFailureContinue(t *testing.T) {
	const url, other = "https://hooks.example.com/continue", "https://hooks.example.com/continue/v2"
	m := accMock(t, mockserver.Options{})
	m.SetSellfernEndpointFailure(url, 0, "")
	m.SetSellfernEndpointFailure(other, http.StatusBadGateway, "")
	const trigger = "events     = [after_create, after_update]\n      on_failure = continue"
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(terraform116)},
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config: triggerConfig(m, url, 1, false, trigger),
				Check:  resource.ComposeAggregateTestCheckFunc(testEvents(m, 1, 0), notTainted),
			},
			{
				Config: triggerConfig(m, other, 1, false, trigger),
				Check:  resource.ComposeAggregateTestCheckFunc(testEvents(m, 2, http.StatusBadGateway, 0), notTainted),
			},
		},
	})
}

// TestAccSellfernSendTestEventOnFailureTaint: with on_failure = taint a test that fails after the create fails the
// apply and leaves the new webhook tainted, so that the next apply replaces it (a new id and a new secret) and
// tests the new one; a test that fails after an update fails the apply but taints nothing, since only a create can
// be made again.
func TestAccSellfernSendTestEventOnFailureTaint(t *testing.T) {
	const url, broken = "https://hooks.example.com/taint", "https://hooks.example.com/taint/broken"
	m := accMock(t, mockserver.Options{})
	m.SetSellfernEndpointFailure(url, http.StatusUnauthorized, "signature mismatch")
	m.SetSellfernEndpointFailure(broken, http.StatusInternalServerError, "")
	const trigger = "events     = [after_create, after_update]\n      on_failure = taint"
	var first, second string
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(terraform116)},
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config:      triggerConfig(m, url, 1, false, trigger),
				ExpectError: errorContaining("Webhook endpoint failed the test event", "the endpoint answered HTTP 401: signature mismatch"),
			},
			{
				PreConfig: func() {
					first = onlyWebhookID(t, m)
					m.SetSellfernEndpointFailure(url, http.StatusOK, "")
				},
				Config: triggerConfig(m, url, 1, false, trigger),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(triggeredAddr, plancheck.ResourceActionDestroyBeforeCreate),
						planCheckFunc(func(p *tfjson.Plan) error {
							// The failed apply left it tainted: that is why it is replaced.
							if p.PriorState != nil && p.PriorState.Values != nil {
								for _, r := range p.PriorState.Values.RootModule.Resources {
									if r.Address == triggeredAddr && r.Tainted {
										return nil
									}
								}
							}
							return fmt.Errorf("%s is not tainted in the state the plan starts from", triggeredAddr)
						}),
					},
				},
				Check: resource.ComposeAggregateTestCheckFunc(testEvents(m, 2, http.StatusOK), notTainted,
					func(s *terraform.State) error {
						second = s.RootModule().Resources[triggeredAddr].Primary.ID
						if second == first {
							return fmt.Errorf("the tainted webhook %s was not replaced", first)
						}
						return holdsOnly(m, &second)
					}),
			},
			{
				Config:      triggerConfig(m, broken, 1, false, trigger),
				ExpectError: errorContaining("Webhook endpoint failed the test event", "the endpoint answered HTTP 500"),
			},
			{
				// The update was made and is in state, untainted: nothing to do.
				Config: triggerConfig(m, broken, 1, false, trigger),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeAggregateTestCheckFunc(testEvents(m, 3, http.StatusInternalServerError, http.StatusOK), notTainted,
					func(*terraform.State) error { return holdsOnly(m, &second) }),
			},
		},
	})
}

// TestAccSellfernSendTestEventFailedRotationKeepsOldWebhook: during a create_before_destroy rotation, a test of the
// new webhook that fails (with the default on_failure, halt) fails the apply before the old webhook is deleted: both
// exist, the old one deposed in state, still delivering with the secret the receiver has. The next apply that
// succeeds deletes it, and tests nothing more (the new webhook is not changed).
func TestAccSellfernSendTestEventFailedRotationKeepsOldWebhook(t *testing.T) {
	const url = "https://hooks.example.com/rotation-test"
	m := accMock(t, mockserver.Options{})
	const trigger = "events = [after_create]"
	var old, replacement string
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(terraform116)},
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config: triggerConfig(m, url, 1, true, trigger),
				Check:  testEvents(m, 1, http.StatusOK),
			},
			{
				PreConfig: func() {
					old = onlyWebhookID(t, m)
					m.SetSellfernEndpointFailure(url, http.StatusUnauthorized, "signature mismatch: unknown secret")
				},
				Config:      triggerConfig(m, url, 2, true, trigger),
				ExpectError: errorContaining("Webhook endpoint failed the test event", "the endpoint answered HTTP 401"),
			},
			{
				PreConfig: func() {
					for _, w := range m.SellfernWebhooks() {
						if w.ID != old {
							replacement = w.ID
						}
					}
					if err := holdsOnly(m, &old, &replacement); err != nil {
						t.Fatalf("after the failed test: %v", err)
					}
					m.SetSellfernEndpointFailure(url, http.StatusOK, "")
				},
				Config: triggerConfig(m, url, 2, true, trigger),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{planCheckFunc(func(p *tfjson.Plan) error {
						for _, rc := range p.ResourceChanges {
							if rc.Address != triggeredAddr {
								continue
							}
							before, _ := rc.Change.Before.(map[string]any)
							switch {
							case rc.DeposedKey != "" && rc.Change.Actions.Delete() && before["id"] == old:
							case rc.DeposedKey == "" && rc.Change.Actions.NoOp() && before["id"] == replacement:
							default:
								return fmt.Errorf("unexpected change %v (deposed %q) of %v", rc.Change.Actions, rc.DeposedKey, before["id"])
							}
						}
						return nil
					})},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					testEvents(m, 2, http.StatusUnauthorized),
					func(s *terraform.State) error {
						if id := s.RootModule().Resources[triggeredAddr].Primary.ID; id != replacement {
							return fmt.Errorf("state holds %s, want the replacement %s", id, replacement)
						}
						if err := holdsOnly(m, &replacement); err != nil {
							return err
						}
						return journalShowsReplacement(m.Journal(), old, replacement)
					}),
			},
		},
	})
}

// TestAccSellfernSendTestEventDestroyEvents: before_destroy sends a last test event to a webhook about to be
// deleted, whether by a replacement or by terraform destroy (where Terraform never lets an action's failure stop
// the destroy); after_destroy finds the webhook gone, so this action then always fails.
func TestAccSellfernSendTestEventDestroyEvents(t *testing.T) {
	const url = "https://hooks.example.com/destroy-events"
	m := accMock(t, mockserver.Options{})
	var first, second string
	testedThenDeleted := func(id string) error {
		j := m.Journal()
		tested := mockserver.JournalIndex(j, "sellfern", mockserver.JournalTest, id)
		deleted := mockserver.JournalIndex(j, "sellfern", mockserver.JournalDelete, id)
		if tested < 0 || deleted < 0 || tested > deleted {
			return fmt.Errorf("webhook %s: test event at %d, delete at %d in the journal, want a test before the delete: %+v", id, tested, deleted, j)
		}
		return nil
	}
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(terraform116)},
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config: triggerConfig(m, url, 1, false, "events = [before_destroy]"),
				Check:  testEvents(m, 0),
			},
			{
				PreConfig: func() { first = onlyWebhookID(t, m) },
				Config:    triggerConfig(m, url, 2, false, "events = [before_destroy]"),
				Check: resource.ComposeAggregateTestCheckFunc(testEvents(m, 1), func(*terraform.State) error {
					second = onlyWebhookID(t, m)
					return testedThenDeleted(first)
				}),
			},
			{
				Config:      triggerConfig(m, url, 3, false, "events = [after_destroy]"),
				ExpectError: errorContaining("Sellfern webhook not found", "so no test event was sent"),
			},
		},
		CheckDestroy: func(*terraform.State) error {
			if n := len(m.SellfernWebhooks()); n != 0 {
				return fmt.Errorf("the mock holds %d webhooks after destroy", n)
			}
			return testedThenDeleted(second)
		},
	})
}

// TestAccSellfernWebhook_rotationHandOffOrder: the order of a hand-off that works with a receiver that verifies
// signatures. The test event is triggered by the resource that hands the secret over (here a terraform_data, in
// place of a secret store), not by the webhook, so that during a create_before_destroy rotation it goes out after
// the new webhook exists and the new secret is handed over, and before the old webhook is deleted. A receiver that
// refuses it (it does not have the new secret yet) fails the apply before the old webhook is deleted: the old one
// keeps delivering until an apply succeeds.
func TestAccSellfernWebhook_rotationHandOffOrder(t *testing.T) {
	const url = "https://hooks.example.com/hand-off"
	m := accMock(t, mockserver.Options{})
	config := func(gen int) string {
		return providerConfig(m) + fmt.Sprintf(`
resource "sellfern_webhook" "orders" {
  provider = webhooks
  url      = %q
  events   = ["order.created"]

  rotate_when_changed = { generation = "%d" }

  lifecycle {
    create_before_destroy = true
  }
}

# Where the receiver reads the secret from.
resource "terraform_data" "receiver_secret" {
  input = sellfern_webhook.orders.secret

  lifecycle {
    action_trigger {
      events  = [after_create, after_update]
      actions = [action.sellfern_send_test_event.orders]
    }
  }
}

action "sellfern_send_test_event" "orders" {
  provider = webhooks
  config {
    webhook_id = sellfern_webhook.orders.id
  }
}
`, url, gen)
	}
	var old string
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config: config(1),
				Check:  testEvents(m, 1, http.StatusOK),
			},
			{
				PreConfig: func() { old = onlyWebhookID(t, m) },
				Config:    config(2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(triggeredAddr, plancheck.ResourceActionCreateBeforeDestroy),
						plancheck.ExpectResourceAction("terraform_data.receiver_secret", plancheck.ResourceActionUpdate),
					},
				},
				Check: resource.ComposeAggregateTestCheckFunc(testEvents(m, 2, http.StatusOK), func(s *terraform.State) error {
					replacement := s.RootModule().Resources[triggeredAddr].Primary.ID
					if err := holdsOnly(m, &replacement); err != nil {
						return err
					}
					j := m.Journal()
					created := mockserver.JournalIndex(j, "sellfern", mockserver.JournalCreate, replacement)
					tested := mockserver.JournalIndex(j, "sellfern", mockserver.JournalTest, replacement)
					deleted := mockserver.JournalIndex(j, "sellfern", mockserver.JournalDelete, old)
					if created < 0 || tested < created || deleted < tested {
						return fmt.Errorf("journal %+v: want the new webhook %s created, then tested, then the old %s deleted", j, replacement, old)
					}
					return nil
				}),
			},
			{
				PreConfig: func() {
					old = onlyWebhookID(t, m)
					m.SetSellfernEndpointFailure(url, http.StatusUnauthorized, "signature mismatch: unknown secret")
				},
				Config:      config(3),
				ExpectError: errorContaining("Webhook endpoint failed the test event", "the endpoint answered HTTP 401"),
			},
			{
				PreConfig: func() {
					if n := len(m.SellfernWebhooks()); n != 2 {
						t.Fatalf("after the refused test the mock holds %d webhooks, want the old and the new one", n)
					}
					if _, ok := m.SellfernWebhook(old); !ok {
						t.Fatalf("the old webhook %s was deleted although the receiver refused the new secret", old)
					}
					m.SetSellfernEndpointFailure(url, http.StatusOK, "")
				},
				Config: config(3),
				Check: func(s *terraform.State) error {
					replacement := s.RootModule().Resources[triggeredAddr].Primary.ID
					if err := holdsOnly(m, &replacement); err != nil {
						return err
					}
					return journalShowsReplacement(m.Journal(), old, replacement)
				},
			},
		},
	})
}
