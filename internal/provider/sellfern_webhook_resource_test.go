package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/tfrun"
)

const sellfernAddr = "sellfern_webhook.test"

func sellfernConfig(m *mockserver.Server, body string) string {
	return providerConfig(m) + fmt.Sprintf(`
resource "sellfern_webhook" "test" {
  provider = webhooks
%s
}
`, body)
}

// TestAccSellfernWebhook_lifecycle: create (every attribute checked against what the mock holds, the secret being
// the one it issued, shown only as sensitive in the plan), an empty plan while the mock reorders everything,
// in-place updates of url, events and enabled that keep id and secret, then import by CLI and by an import block
// that names its provider (secret null).
func TestAccSellfernWebhook_lifecycle(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	// Webhooks Terraform does not manage, so that Read must find ours in a longer list.
	for i := range 3 {
		m.SellfernPut(mockserver.SellfernWebhook{URL: fmt.Sprintf("https://other.example.com/%d", i), Events: []string{"ticket.created"}, Enabled: true})
	}
	sameID := statecheck.CompareValue(compare.ValuesSame())
	sameSecret := statecheck.CompareValue(compare.ValuesSame())
	final := sellfernConfig(m, `
  url     = "https://hooks.example.com/sellfern/v2"
  events  = ["order.updated", "ticket.created", "expense.created"]
  enabled = true
`)
	id := &recordedID{addr: sellfernAddr}

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config: sellfernConfig(m, `
  url    = "https://hooks.example.com/sellfern"
  events = ["order.created", "order.status_changed"]
`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(sellfernAddr, plancheck.ResourceActionCreate),
						plancheck.ExpectUnknownValue(sellfernAddr, tfjsonpath.New("secret")),
						plancheck.ExpectSensitiveValue(sellfernAddr, tfjsonpath.New("secret")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("id"), knownvalue.StringRegexp(regexp.MustCompile(`^wh_[0-9a-f]{16}$`))),
					statecheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("url"), knownvalue.StringExact("https://hooks.example.com/sellfern")),
					statecheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("events"), knownvalue.SetExact([]knownvalue.Check{
						knownvalue.StringExact("order.created"), knownvalue.StringExact("order.status_changed"),
					})),
					statecheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("enabled"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("secret"), knownvalue.StringRegexp(regexp.MustCompile(`^whsec_[0-9a-f]{32}$`))),
					statecheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("created_at"), knownvalue.StringRegexp(regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`))),
					statecheck.ExpectSensitiveValue(sellfernAddr, tfjsonpath.New("secret")),
					sellfernMatchesMock(m, sellfernAddr, true),
					sameID.AddStateValue(sellfernAddr, tfjsonpath.New("id")),
					sameSecret.AddStateValue(sellfernAddr, tfjsonpath.New("secret")),
					mockCounts(m, map[string]int{"sellfern.create": 1, "sellfern.update": 0}),
				},
			},
			{
				// The same configuration while the API returns the list and every events array in random order.
				PreConfig: func() { m.SetShuffle(true) },
				Config: sellfernConfig(m, `
  events = ["order.status_changed", "order.created"]
  url    = "https://hooks.example.com/sellfern"
`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				Config: sellfernConfig(m, `
  url     = "https://hooks.example.com/sellfern/v2"
  events  = ["order.updated", "ticket.created", "expense.created"]
  enabled = false
`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(sellfernAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("secret"), knownvalue.NotNull()),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("enabled"), knownvalue.Bool(false)),
					sellfernMatchesMock(m, sellfernAddr, true),
					sameID.AddStateValue(sellfernAddr, tfjsonpath.New("id")),
					sameSecret.AddStateValue(sellfernAddr, tfjsonpath.New("secret")),
					mockCounts(m, map[string]int{"sellfern.create": 1, "sellfern.update": 1}),
				},
			},
			{
				Config: final,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(sellfernAddr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					sellfernMatchesMock(m, sellfernAddr, true),
					sameSecret.AddStateValue(sellfernAddr, tfjsonpath.New("secret")),
					mockHolds(m, 4, 0),
					id,
				},
			},
			{
				ResourceName:            sellfernAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"secret"},
				ImportStateCheck: func(states []*terraform.InstanceState) error {
					if len(states) != 1 {
						return fmt.Errorf("imported %d instances, want 1", len(states))
					}
					if secret, ok := states[0].Attributes["secret"]; ok && secret != "" {
						return fmt.Errorf("secret after import: want null, got a value")
					}
					return nil
				},
			},
			{
				Config:                 final + importBlockWithID(sellfernAddr),
				ConfigVariables:        config.Variables{"import_id": id},
				ResourceName:           sellfernAddr,
				ImportState:            true,
				ImportStateKind:        resource.ImportBlockWithID,
				ImportStateConfigExact: true,
				ImportPlanChecks: resource.ImportPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(sellfernAddr, plancheck.ResourceActionNoop),
						plancheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("secret"), knownvalue.Null()),
						plancheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("url"), knownvalue.StringExact("https://hooks.example.com/sellfern/v2")),
					},
				},
			},
		},
	})
}

// TestAccSellfernWebhook_importExisting: a webhook made outside Terraform is imported into state; its secret,
// which Sellfern will not show again, is null, and that alone is no reason for a diff.
func TestAccSellfernWebhook_importExisting(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	existing := m.SellfernPut(mockserver.SellfernWebhook{URL: "https://hooks.example.com/legacy", Events: []string{"order.created", "order.updated"}, Enabled: false})
	cfg := sellfernConfig(m, `
  url     = "https://hooks.example.com/legacy"
  events  = ["order.updated", "order.created"]
  enabled = false
`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config:             cfg,
				ResourceName:       sellfernAddr,
				ImportState:        true,
				ImportStateId:      existing.ID,
				ImportStatePersist: true,
			},
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					sellfernMatchesMock(m, sellfernAddr, false),
					statecheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("id"), knownvalue.StringExact(existing.ID)),
					mockCounts(m, map[string]int{"sellfern.create": 0, "sellfern.update": 0}),
				},
			},
		},
	})
}

// TestAccSellfernWebhook_createDisabled: enabled = false at create is a create followed by one PATCH, since the
// documented create takes only url and events.
func TestAccSellfernWebhook_createDisabled(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{{
			Config: sellfernConfig(m, `
  url     = "https://hooks.example.com/paused"
  events  = ["ticket.updated"]
  enabled = false
`),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("enabled"), knownvalue.Bool(false)),
				sellfernMatchesMock(m, sellfernAddr, true),
				mockCounts(m, map[string]int{"sellfern.create": 1, "sellfern.update": 1}),
			},
		}},
	})
}

// TestAccSellfernWebhook_deletedOutside: a webhook deleted behind Terraform's back leaves the state on refresh and
// is planned for creation; the new one comes with a new secret.
func TestAccSellfernWebhook_deletedOutside(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	cfg := sellfernConfig(m, `
  url    = "https://hooks.example.com/gone"
  events = ["order.created"]
`)
	differentSecret := statecheck.CompareValue(compare.ValuesDiffer())
	var id string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					differentSecret.AddStateValue(sellfernAddr, tfjsonpath.New("secret")),
					stateCheckFunc(func(s *tfjsonState) error {
						v, err := resourceValues(s, sellfernAddr)
						id, _ = v["id"].(string)
						return err
					}),
				},
			},
			{
				PreConfig: func() {
					if !m.SellfernDelete(id) {
						t.Fatalf("mock did not hold %s", id)
					}
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(sellfernAddr, plancheck.ResourceActionCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					sellfernMatchesMock(m, sellfernAddr, true),
					differentSecret.AddStateValue(sellfernAddr, tfjsonpath.New("secret")),
					mockHolds(m, 1, 0),
				},
			},
		},
	})
}

// TestAccSellfernWebhook_changedOutside: url, events and enabled changed behind Terraform's back are seen on
// refresh and planned back in place, keeping the webhook and its secret.
func TestAccSellfernWebhook_changedOutside(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	cfg := sellfernConfig(m, `
  url    = "https://hooks.example.com/drift"
  events = ["order.created", "order.updated"]
`)
	sameSecret := statecheck.CompareValue(compare.ValuesSame())
	var id string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					sameSecret.AddStateValue(sellfernAddr, tfjsonpath.New("secret")),
					stateCheckFunc(func(s *tfjsonState) error {
						v, err := resourceValues(s, sellfernAddr)
						id, _ = v["id"].(string)
						return err
					}),
				},
			},
			{
				PreConfig: func() {
					w, _ := m.SellfernWebhook(id)
					w.URL = "https://attacker.example.net/steal"
					w.Events = []string{"ticket.created"}
					w.Enabled = false
					m.SellfernPut(w)
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(sellfernAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("url"), knownvalue.StringExact("https://hooks.example.com/drift")),
						plancheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("enabled"), knownvalue.Bool(true)),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					sellfernMatchesMock(m, sellfernAddr, true),
					sameSecret.AddStateValue(sellfernAddr, tfjsonpath.New("secret")),
				},
			},
		},
	})
}

// TestAccSellfernWebhook_planTimeErrors: bad input is refused at plan time, naming the attribute and the allowed
// values, and nothing reaches the API.
func TestAccSellfernWebhook_planTimeErrors(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	cases := []struct {
		name, body string
		want       *regexp.Regexp
	}{
		{"http url", `url = "http://hooks.example.com/x"
  events = ["order.created"]`, errorContaining(`Invalid url`, `must be https: it uses http:`)},
		{"relative url", `url = "/webhooks/sellfern"
  events = ["order.created"]`, errorContaining(`Invalid url`, `is relative; give an absolute https URL`)},
		{"empty events", `url = "https://hooks.example.com/x"
  events = []`, errorContaining(`Attribute events set must contain at least 1 elements`)},
		{"an event not of the form of one", `url = "https://hooks.example.com/x"
  events = ["order.created", "order deleted"]`, errorContaining(`Invalid events`, `Attribute events holds "order deleted", which is not a Sellfern event name`,
			`lowercase words joined by dots`, `The events Sellfern documents are: order.created,`)},
	}
	steps := make([]resource.TestStep, 0, len(cases))
	for _, tc := range cases {
		steps = append(steps, resource.TestStep{Config: sellfernConfig(m, tc.body), PlanOnly: true, ExpectError: tc.want})
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps:                    steps,
		CheckDestroy: func(*terraform.State) error {
			if total := m.Stats().Total; total != 0 {
				return fmt.Errorf("bad input reached the API: %d requests", total)
			}
			return nil
		},
	})
}

// TestAccSellfernWebhook_apiErrors: what a user sees for a bad token, a token without the scope, and an import of
// an id that does not exist.
func TestAccSellfernWebhook_apiErrors(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	body := `
  url    = "https://hooks.example.com/x"
  events = ["order.created"]
`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config: providerConfigWith(m, "sk_test_revoked", mockserver.DemoSelSupKey, "") +
					`resource "sellfern_webhook" "test" {
  provider = webhooks` + body + "}\n",
				ExpectError: errorContaining(`Could not create Sellfern webhook`,
					`Sellfern rejected the token (HTTP 401 unauthorized, request id req_`, `): it is missing, invalid, expired or revoked`,
					`sellfern.token`, `SELLFERN_TOKEN`),
			},
			{
				Config: providerConfigWith(m, mockserver.NoScopeSellfernToken, mockserver.DemoSelSupKey, "") +
					`resource "sellfern_webhook" "test" {
  provider = webhooks` + body + "}\n",
				ExpectError: errorContaining(`HTTP 403 missing_scope`, `does not have the webhooks:manage scope`),
			},
			{
				Config:        sellfernConfig(m, body),
				ResourceName:  sellfernAddr,
				ImportState:   true,
				ImportStateId: "wh_doesnotexist",
				ExpectError:   errorContaining(`Cannot import Sellfern webhook`, `Sellfern has no webhook with id "wh_doesnotexist"`),
			},
		},
	})
	if n := len(m.SellfernWebhooks()); n != 0 {
		t.Errorf("mock holds %d webhooks after failed steps, want 0", n)
	}
}

// TestAccSellfernWebhook_singleServiceLocalName: the pattern for teams that use only Sellfern: the provider under
// the local name "sellfern", so that no block needs a provider line.
func TestAccSellfernWebhook_singleServiceLocalName(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{{
			Config: tfrun.RequiredProviders("sellfern") + fmt.Sprintf(`
provider "sellfern" {
  sellfern = {
    token    = %q
    base_url = %q
  }
}

resource "sellfern_webhook" "test" {
  url    = "https://hooks.example.com/local-name"
  events = ["order.created"]
}

data "sellfern_webhook" "test" {
  id = sellfern_webhook.test.id
}
`, mockserver.DemoSellfernToken, m.SellfernBaseURL()),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				sellfernMatchesMock(m, sellfernAddr, true),
				statecheck.ExpectKnownValue("data.sellfern_webhook.test", tfjsonpath.New("url"), knownvalue.StringExact("https://hooks.example.com/local-name")),
			},
		}},
	})
}
