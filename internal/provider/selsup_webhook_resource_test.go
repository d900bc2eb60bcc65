package provider

import (
	"fmt"
	"regexp"
	"strconv"
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

const selsupAddr = "selsup_webhook.test"

func selsupConfig(m *mockserver.Server, body string) string {
	return providerConfig(m) + fmt.Sprintf(`
resource "selsup_webhook" "test" {
  provider = webhooks
%s
}
`, body)
}

// cyrillicName is a name that must round-trip byte for byte.
const cyrillicName = "Заказы: склад №2 — «Торговый дом»"

// TestAccSelSupWebhook_lifecycle: create with every attribute checked against the mock (a Cyrillic name kept
// byte for byte), an empty plan while the mock reorders lists and types, then a change of each attribute planned
// as a replacement and applied (new id, one webhook on the server), and import by CLI and by an import block that
// names its provider.
func TestAccSelSupWebhook_lifecycle(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	m.SelSupPut(mockserver.SelSupWebhook{Name: "unmanaged", URL: "https://other.example.com/x", Types: []string{"ORDER"}})
	differentID := statecheck.CompareValue(compare.ValuesDiffer())

	base := map[string]string{
		"name":            fmt.Sprintf("%q", cyrillicName),
		"url":             `"https://hooks.example.com/selsup"`,
		"types":           `["CREATE_ORDER", "ORDER_STATUS"]`,
		"organization_id": "17",
	}
	body := func(overrides map[string]string) string {
		out := ""
		for _, k := range []string{"name", "url", "types", "organization_id"} {
			v := base[k]
			if o, ok := overrides[k]; ok {
				v = o
			}
			if v != "" {
				out += fmt.Sprintf("  %s = %s\n", k, v)
			}
		}
		return out
	}
	replaced := func(overrides map[string]string) resource.TestStep {
		return resource.TestStep{
			Config: selsupConfig(m, body(overrides)),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(selsupAddr, plancheck.ResourceActionReplace)},
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				selsupMatchesMock(m, selsupAddr),
				differentID.AddStateValue(selsupAddr, tfjsonpath.New("id")),
				mockHolds(m, 0, 2),
			},
		}
	}

	final := replaced(map[string]string{"name": "", "url": `"https://hooks.example.com/selsup/v2"`, "types": `["ORDER"]`, "organization_id": ""})
	id := &recordedID{addr: selsupAddr}
	final.ConfigStateChecks = append(final.ConfigStateChecks, id)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config: selsupConfig(m, body(nil)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(selsupAddr, plancheck.ResourceActionCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(selsupAddr, tfjsonpath.New("id"), knownvalue.StringRegexp(regexp.MustCompile(`^\d+$`))),
					statecheck.ExpectKnownValue(selsupAddr, tfjsonpath.New("name"), knownvalue.StringExact(cyrillicName)),
					statecheck.ExpectKnownValue(selsupAddr, tfjsonpath.New("url"), knownvalue.StringExact("https://hooks.example.com/selsup")),
					statecheck.ExpectKnownValue(selsupAddr, tfjsonpath.New("types"), knownvalue.SetExact([]knownvalue.Check{
						knownvalue.StringExact("CREATE_ORDER"), knownvalue.StringExact("ORDER_STATUS"),
					})),
					statecheck.ExpectKnownValue(selsupAddr, tfjsonpath.New("organization_id"), knownvalue.Int64Exact(17)),
					statecheck.ExpectKnownValue(selsupAddr, tfjsonpath.New("client_id"), knownvalue.Int64Exact(mockserver.DemoSelSupClientID)),
					selsupMatchesMock(m, selsupAddr),
					stateCheckFunc(func(s *tfjsonState) error {
						v, err := resourceValues(s, selsupAddr)
						if err != nil {
							return err
						}
						id, _ := strconv.ParseInt(fmt.Sprint(v["id"]), 10, 64)
						if w, _ := m.SelSupWebhook(id); w.Name != cyrillicName {
							return fmt.Errorf("mock holds name %q, want %q byte for byte", w.Name, cyrillicName)
						}
						return nil
					}),
					differentID.AddStateValue(selsupAddr, tfjsonpath.New("id")),
				},
			},
			{
				PreConfig: func() { m.SetShuffle(true) },
				Config:    selsupConfig(m, body(map[string]string{"types": `["ORDER_STATUS", "CREATE_ORDER"]`})),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			replaced(map[string]string{"name": `"Orders"`}),
			replaced(map[string]string{"name": `"Orders"`, "url": `"https://hooks.example.com/selsup/v2"`}),
			replaced(map[string]string{"name": `"Orders"`, "url": `"https://hooks.example.com/selsup/v2"`, "types": `["ORDER"]`}),
			replaced(map[string]string{"name": `"Orders"`, "url": `"https://hooks.example.com/selsup/v2"`, "types": `["ORDER"]`, "organization_id": "18"}),
			final,
			{
				ResourceName:      selsupAddr,
				ImportState:       true,
				ImportStateVerify: true,
			},
			{
				Config:                 final.Config + importBlockWithID(selsupAddr),
				ConfigVariables:        config.Variables{"import_id": id},
				ResourceName:           selsupAddr,
				ImportState:            true,
				ImportStateKind:        resource.ImportBlockWithID,
				ImportStateConfigExact: true,
				ImportPlanChecks: resource.ImportPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(selsupAddr, plancheck.ResourceActionNoop),
						plancheck.ExpectKnownValue(selsupAddr, tfjsonpath.New("name"), knownvalue.Null()),
						plancheck.ExpectKnownValue(selsupAddr, tfjsonpath.New("organization_id"), knownvalue.Null()),
					},
				},
			},
		},
	})
}

// TestAccSelSupWebhook_createBeforeDestroy: with lifecycle create_before_destroy, a change makes the new webhook
// before deleting the old, and ends with exactly one.
func TestAccSelSupWebhook_createBeforeDestroy(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	cfg := func(url string) string {
		return selsupConfig(m, fmt.Sprintf(`
  url   = %q
  types = ["ORDER"]
  lifecycle {
    create_before_destroy = true
  }
`, url))
	}
	differentID := statecheck.CompareValue(compare.ValuesDiffer())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config:            cfg("https://hooks.example.com/blue"),
				ConfigStateChecks: []statecheck.StateCheck{differentID.AddStateValue(selsupAddr, tfjsonpath.New("id"))},
			},
			{
				Config: cfg("https://hooks.example.com/green"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(selsupAddr, plancheck.ResourceActionCreateBeforeDestroy)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					selsupMatchesMock(m, selsupAddr),
					differentID.AddStateValue(selsupAddr, tfjsonpath.New("id")),
					mockHolds(m, 0, 1),
					// Create came first: the new webhook's id is the one allocated after the old.
					mockCounts(m, map[string]int{"selsup.create": 2, "selsup.delete": 1}),
				},
			},
		},
	})
}

// TestAccSelSupWebhook_outsideChanges: deleted outside → planned for creation; with the list omitting types, the
// state keeps the configured types and no diff appears, even for a webhook created in that mode.
func TestAccSelSupWebhook_outsideChanges(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	cfg := selsupConfig(m, `
  url   = "https://hooks.example.com/selsup/outside"
  types = ["ORDER", "CREATE_PRODUCT"]
`)
	var id int64
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg,
				ConfigStateChecks: []statecheck.StateCheck{stateCheckFunc(func(s *tfjsonState) error {
					v, err := resourceValues(s, selsupAddr)
					id, _ = strconv.ParseInt(fmt.Sprint(v["id"]), 10, 64)
					return err
				})},
			},
			{
				PreConfig: func() { m.SelSupDelete(id) },
				Config:    cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(selsupAddr, plancheck.ResourceActionCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{selsupMatchesMock(m, selsupAddr), mockHolds(m, 0, 1)},
			},
			{
				PreConfig: func() { m.SetSelSupOmitTypes(true) },
				Config:    cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(selsupAddr, tfjsonpath.New("types"), knownvalue.SetExact([]knownvalue.Check{
						knownvalue.StringExact("ORDER"), knownvalue.StringExact("CREATE_PRODUCT"),
					})),
				},
			},
			{
				// Created while the list omits types: nothing to compare against, no drift reported.
				Config: selsupConfig(m, `
  url   = "https://hooks.example.com/selsup/omitted"
  types = ["ORDER_STATUS"]
`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(selsupAddr, plancheck.ResourceActionReplace)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{selsupMatchesMock(m, selsupAddr), mockHolds(m, 0, 1)},
			},
		},
	})
}

// TestAccSelSupWebhook_planTimeErrors: a type that is not of the form of one, empty types and bad URLs are refused
// at plan time, and nothing reaches the API.
func TestAccSelSupWebhook_planTimeErrors(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	cases := []struct {
		body string
		want *regexp.Regexp
	}{
		{`url = "https://hooks.example.com/x"
  types = ["ORDER", "delete-order"]`, errorContaining(`Invalid types`, `Attribute types holds "delete-order", which is not a SelSup type name`,
			`The types SelSup documents are: CREATE_ORDER,`)},
		{`url = "https://hooks.example.com/x"
  types = []`, errorContaining(`Attribute types set must contain at least 1 elements`)},
		{`url = "hooks.example.com/x"
  types = ["ORDER"]`, errorContaining(`Invalid url`, `is relative; give an absolute https or http URL`)},
		{`url = "ftp://hooks.example.com/x"
  types = ["ORDER"]`, errorContaining(`Invalid url`, `must be https or http: it uses ftp:`)},
	}
	steps := make([]resource.TestStep, 0, len(cases))
	for _, tc := range cases {
		steps = append(steps, resource.TestStep{Config: selsupConfig(m, tc.body), PlanOnly: true, ExpectError: tc.want})
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

// TestAccSelSupWebhook_apiErrors: a wrong key gets the 403 message with where the key comes from; a 400 from
// the server shows its localMessage in Russian, intact; an import of a non-numeric or unknown id is refused by name.
func TestAccSelSupWebhook_apiErrors(t *testing.T) {
	m := accMock(t, mockserver.Options{SelSupOrganizations: []int64{17}})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config: providerConfigWith(m, mockserver.DemoSellfernToken, "wrong-key", "") + `
resource "selsup_webhook" "test" {
  provider = webhooks
  url      = "https://hooks.example.com/x"
  types    = ["ORDER"]
}
`,
				ExpectError: errorContaining(`Could not create SelSup webhook`, `SelSup refused the API key (HTTP 403 ACCESS_DENIED)`,
					`selsup.api_key`, `SELSUP_API_KEY`),
			},
			{
				// Which organizations an account has only SelSup knows, so this 400 comes from the server.
				Config: selsupConfig(m, `
  url             = "https://hooks.example.com/x"
  types           = ["ORDER"]
  organization_id = 99
`),
				ExpectError: errorContaining(`Could not create SelSup webhook`,
					`SelSup rejected the request as invalid (HTTP 400 VALIDATION_ERROR): Организация не найдена; params: field=organizationId, value=99`),
			},
			{
				Config:        selsupConfig(m, `url = "https://hooks.example.com/x"`+"\n  types = [\"ORDER\"]"),
				ResourceName:  selsupAddr,
				ImportState:   true,
				ImportStateId: "wh_abc123",
				ExpectError:   errorContaining(`Invalid SelSup webhook id`, `Cannot import "wh_abc123"`, `a SelSup webhook id is a positive whole number`),
			},
			{
				Config:        selsupConfig(m, `url = "https://hooks.example.com/x"`+"\n  types = [\"ORDER\"]"),
				ResourceName:  selsupAddr,
				ImportState:   true,
				ImportStateId: "999999",
				ExpectError:   errorContaining(`Cannot import SelSup webhook`, `SelSup has no webhook with id 999999`),
			},
		},
	})
	if n := len(m.SelSupWebhooks()); n != 0 {
		t.Errorf("mock holds %d webhooks after failed steps, want 0", n)
	}
}

// TestAccSelSupWebhook_singleServiceLocalName: a team that uses only SelSup declares the provider under the local
// name "selsup" and writes no provider lines.
func TestAccSelSupWebhook_singleServiceLocalName(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{{
			Config: tfrun.RequiredProviders("selsup") + fmt.Sprintf(`
provider "selsup" {
  selsup = {
    api_key  = %q
    base_url = %q
  }
}

resource "selsup_webhook" "test" {
  url   = "https://hooks.example.com/local-name"
  types = ["ORDER"]
}

data "selsup_webhooks" "all" {
  depends_on = [selsup_webhook.test]
}
`, mockserver.DemoSelSupKey, m.SelSupBaseURL()),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				selsupMatchesMock(m, selsupAddr),
				statecheck.ExpectKnownValue("data.selsup_webhooks.all", tfjsonpath.New("webhooks"), knownvalue.ListSizeExact(1)),
			},
		}},
	})
}
