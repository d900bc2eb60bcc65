package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/tfrun"
)

// badInput is one wrong or hostile input and the error the user sees for it.
type badInput struct {
	name string
	// config is the whole configuration, given the test's mock.
	config func(m *mockserver.Server) string
	// importID, when set, makes the case an import of resourceName with that id (imports run no plan).
	importID     string
	resourceName string
	want         *regexp.Regexp
	// reads is set for the few inputs only the service can judge (an unknown id): the case may list or read,
	// never create. Every other case must be refused before any request is sent.
	reads bool
}

// badProvider is the terraform block and a provider block with the given service blocks and settings.
func badProvider(body string) string {
	return tfrun.RequiredProviders("webhooks") + `
provider "webhooks" {
` + body + `
}
`
}

// badSellfernBlock and badSelSupBlock point a service at the mock with the demo credentials.
func badSellfernBlock(m *mockserver.Server) string {
	return fmt.Sprintf("  sellfern = {\n    token    = %q\n    base_url = %q\n  }\n", mockserver.DemoSellfernToken, m.SellfernBaseURL())
}

func badSelSupBlock(m *mockserver.Server) string {
	return fmt.Sprintf("  selsup = {\n    api_key  = %q\n    base_url = %q\n  }\n", mockserver.DemoSelSupKey, m.SelSupBaseURL())
}

// sellfernBad is a configuration with one sellfern_webhook of the given attributes (HCL, as written).
func sellfernBad(url, events string) func(*mockserver.Server) string {
	return func(m *mockserver.Server) string {
		return providerConfig(m) + fmt.Sprintf(`
resource "sellfern_webhook" "bad" {
  provider = webhooks
  url      = %s
  events   = %s
}
`, url, events)
	}
}

// selsupBad is a configuration with one selsup_webhook; extra holds further attribute lines.
func selsupBad(url, types, extra string) func(*mockserver.Server) string {
	return func(m *mockserver.Server) string {
		return providerConfig(m) + fmt.Sprintf(`
resource "selsup_webhook" "bad" {
  provider = webhooks
  url      = %s
  types    = %s
  %s
}
`, url, types, extra)
	}
}

// dataBad is a configuration with one data source block.
func dataBad(typ, body string) func(*mockserver.Server) string {
	return func(m *mockserver.Server) string {
		return providerConfig(m) + fmt.Sprintf(`
data %q "bad" {
  provider = webhooks
  %s
}
`, typ, body)
	}
}

// providerBad is a provider block built by body around a valid resource of each service, so that each service's
// settings are needed.
func providerBad(body func(m *mockserver.Server) string) func(*mockserver.Server) string {
	return func(m *mockserver.Server) string {
		return badProvider(body(m)) + `
resource "sellfern_webhook" "ok" {
  provider = webhooks
  url      = "https://hooks.example.com/ok"
  events   = ["order.created"]
}

resource "selsup_webhook" "ok" {
  provider = webhooks
  url      = "https://hooks.example.com/ok"
  types    = ["ORDER"]
}
`
	}
}

// sellfernWith and selsupWith are provider bodies with one service's block written out and the other pointed at
// the mock.
func sellfernWith(settings string) func(*mockserver.Server) string {
	return func(m *mockserver.Server) string {
		return "  sellfern = {\n" + settings + "\n  }\n" + badSelSupBlock(m)
	}
}

func selsupWith(settings string) func(*mockserver.Server) string {
	return func(m *mockserver.Server) string {
		return badSellfernBlock(m) + "  selsup = {\n" + settings + "\n  }\n"
	}
}

// setOf is an HCL expression for a set of n distinct strings ("prefix-0", …), none of the form of an event name.
// The catalogue needs a few to prove that they give one error; TestBadInput_hugeSetIsOneError shows what the
// provider does with 10 000.
func setOf(prefix string, n int) string {
	return fmt.Sprintf(`[for i in range(%d) : "%s-${i}"]`, n, prefix)
}

const (
	sellfernAllowed = `order.created, order.updated, order.status_changed, order.fulfillment.shipped, order.fulfillment.delivered, expense.created, ticket.created, ticket.updated`
	selsupAllowed   = `CREATE_ORDER, ORDER, ORDER_STATUS, CREATE_PRODUCT`
)

func badInputs() []badInput {
	importCfg := func(m *mockserver.Server) string {
		return providerConfig(m) + `
resource "selsup_webhook" "bad" {
  provider = webhooks
  url      = "https://hooks.example.com/import"
  types    = ["ORDER"]
}

resource "sellfern_webhook" "bad" {
  provider = webhooks
  url      = "https://hooks.example.com/import"
  events   = ["order.created"]
}
`
	}
	urlMust := func(rest string) *regexp.Regexp { return errorContaining(`Invalid url`, rest) }
	notEvent := func(what string) *regexp.Regexp {
		return errorContaining(`Invalid events`, `Attribute events holds `+what+`. A Sellfern event is lowercase words joined by dots, with underscores `+
			`inside words, like order.status_changed (at most 100 characters). The events Sellfern documents are: `+sellfernAllowed+`.`)
	}
	notType := func(what string) *regexp.Regexp {
		return errorContaining(`Invalid types`, `Attribute types holds `+what+`. A SelSup type is upper-case words joined by underscores, like `+
			`ORDER_STATUS (at most 100 characters). The types SelSup documents are: `+selsupAllowed+`.`)
	}
	sfID := func(summary, id string) *regexp.Regexp {
		return errorContaining(summary, fmt.Sprintf(`%q is not a Sellfern webhook id: an id is what Sellfern assigned, like wh_abc123,`, id))
	}
	ssImportID := func(id string) *regexp.Regexp {
		return errorContaining(`Invalid SelSup webhook id`, fmt.Sprintf(`Cannot import %q: a SelSup webhook id is a positive whole number, like 1042; %q is not.`, id, id))
	}

	return []badInput{
		// sellfern_webhook: url
		{name: "sellfern url http", config: sellfernBad(`"http://hooks.example.com/x"`, `["order.created"]`),
			want: urlMust(`The URL "http://hooks.example.com/x" must be https: it uses http:, and webhooks are delivered over https only.`)},
		{name: "sellfern url relative path", config: sellfernBad(`"/webhooks/sellfern"`, `["order.created"]`),
			want: urlMust(`The URL "/webhooks/sellfern" is relative; give an absolute https URL such as https://example.com/webhooks.`)},
		{name: "sellfern url javascript scheme", config: sellfernBad(`"javascript:alert(1)"`, `["order.created"]`),
			want: urlMust(`The URL "javascript:alert(1)" must be https: it uses javascript:`)},
		{name: "sellfern url port 99999", config: sellfernBad(`"https://hooks.example.com:99999/x"`, `["order.created"]`),
			want: urlMust(`The URL "https://hooks.example.com:99999/x" has port 99999; a port is a number from 1 to 65535.`)},
		{name: "sellfern url null", config: sellfernBad(`null`, `["order.created"]`),
			want: errorContaining(`Missing Configuration for Required Attribute`, `Must set a configuration value for the url attribute`)},

		// sellfern_webhook: events
		{name: "sellfern events empty", config: sellfernBad(`"https://hooks.example.com/x"`, `[]`),
			want: errorContaining(`Attribute events set must contain at least 1 elements, got: 0`)},
		{name: "sellfern event not of the form", config: sellfernBad(`"https://hooks.example.com/x"`, `["order.created", "Order Deleted"]`),
			want: notEvent(`"Order Deleted", which is not a Sellfern event name`)},
		{name: "sellfern event with a control character", config: sellfernBad(`"https://hooks.example.com/x"`, `["order.created\u001b[31m"]`),
			want: notEvent(`"order.created\x1b[31m", which is not a Sellfern event name`)},
		{name: "sellfern event null element", config: sellfernBad(`"https://hooks.example.com/x"`, `["order.created", null]`),
			want: errorContaining(`events`, `contains a null value`)},
		{name: "sellfern events many not of the form", config: sellfernBad(`"https://hooks.example.com/x"`, setOf("order.created", 9)),
			want: notEvent(`9 values that are not Sellfern event names: "order.created-0", "order.created-1", "order.created-2", "order.created-3", "order.created-4" and 4 more`)},

		// selsup_webhook
		{name: "selsup url ftp", config: selsupBad(`"ftp://hooks.example.com/x"`, `["ORDER"]`, ""),
			want: urlMust(`The URL "ftp://hooks.example.com/x" must be https or http: it uses ftp:`)},
		{name: "selsup url port 65536", config: selsupBad(`"http://hooks.example.com:65536/x"`, `["ORDER"]`, ""),
			want: urlMust(`The URL "http://hooks.example.com:65536/x" has port 65536; a port is a number from 1 to 65535.`)},
		{name: "selsup type not of the form", config: selsupBad(`"https://hooks.example.com/x"`, `["ORDER", "delete_order"]`, ""),
			want: notType(`"delete_order", which is not a SelSup type name`)},
		{name: "selsup types empty", config: selsupBad(`"https://hooks.example.com/x"`, `[]`, ""),
			want: errorContaining(`Attribute types set must contain at least 1 elements, got: 0`)},
		{name: "selsup types many not of the form", config: selsupBad(`"https://hooks.example.com/x"`, setOf("ORDER", 5), ""),
			want: notType(`5 values that are not SelSup type names: "ORDER-0", "ORDER-1", "ORDER-2", "ORDER-3", "ORDER-4"`)},
		{name: "selsup type null element", config: selsupBad(`"https://hooks.example.com/x"`, `[null, "ORDER"]`, ""),
			want: errorContaining(`types`, `contains a null value`)},
		{name: "selsup organization_id zero", config: selsupBad(`"https://hooks.example.com/x"`, `["ORDER"]`, "organization_id = 0"),
			want: errorContaining(`Attribute organization_id must be a whole number, at least 1, got: 0.`)},
		{name: "selsup organization_id fractional", config: selsupBad(`"https://hooks.example.com/x"`, `["ORDER"]`, "organization_id = 1.5"),
			want: errorContaining(`Invalid organization_id`, `Attribute organization_id must be a whole number, at least 1, got: 1.5.`)},
		{name: "selsup name bidi override", config: selsupBad(`"https://hooks.example.com/x"`, `["ORDER"]`, `name = "Заказы \u202etxt.exe"`),
			want: errorContaining(`Invalid name`, `The name must not contain bidirectional formatting characters (it holds U+202E)`)},

		// imports
		{name: "selsup import non-numeric", config: importCfg, resourceName: "selsup_webhook.bad", importID: "abc", want: ssImportID("abc")},
		{name: "selsup import Sellfern id", config: importCfg, resourceName: "selsup_webhook.bad", importID: "wh_abc123", want: ssImportID("wh_abc123")},
		{name: "selsup import id with spaces", config: importCfg, resourceName: "selsup_webhook.bad", importID: " 1001 ", want: ssImportID(" 1001 ")},
		{name: "selsup import zero", config: importCfg, resourceName: "selsup_webhook.bad", importID: "0", want: ssImportID("0")},
		{name: "selsup import negative", config: importCfg, resourceName: "selsup_webhook.bad", importID: "-1001", want: ssImportID("-1001")},
		{name: "selsup import unknown id", config: importCfg, resourceName: "selsup_webhook.bad", importID: "999999", reads: true,
			want: errorContaining(`Cannot import SelSup webhook`, `SelSup has no webhook with id 999999 in this account.`)},
		{name: "sellfern import id with space", config: importCfg, resourceName: "sellfern_webhook.bad", importID: "wh abc",
			want: sfID(`Invalid Sellfern webhook id`, "wh abc")},
		{name: "sellfern import id with slash", config: importCfg, resourceName: "sellfern_webhook.bad", importID: "wh_1/../wh_2",
			want: sfID(`Invalid Sellfern webhook id`, "wh_1/../wh_2")},
		{name: "sellfern import id dot-dot", config: importCfg, resourceName: "sellfern_webhook.bad", importID: "..",
			want: sfID(`Invalid Sellfern webhook id`, "..")},
		{name: "sellfern import id with a zero-width joiner", config: importCfg, resourceName: "sellfern_webhook.bad", importID: "wh_evil\u200d",
			want: sfID(`Invalid Sellfern webhook id`, "wh_evil\u200d")},
		{name: "sellfern import SelSup id", config: importCfg, resourceName: "sellfern_webhook.bad", importID: "1001", reads: true,
			want: errorContaining(`Cannot import Sellfern webhook`, `Sellfern has no webhook with id "1001" in this account.`)},

		// data sources
		{name: "sellfern data source empty id", config: dataBad("sellfern_webhook", `id = ""`), want: sfID(`Invalid id`, "")},
		{name: "sellfern data source id with a zero-width joiner", config: dataBad("sellfern_webhook", `id = "wh_evil\u200d"`),
			want: sfID(`Invalid id`, "wh_evil\u200d")},
		{name: "sellfern data source unknown id", config: dataBad("sellfern_webhook", `id = "wh_nope"`), reads: true,
			want: errorContaining(`Sellfern webhook not found`, `Sellfern has no webhook with id "wh_nope" in this account.`)},
		{name: "selsup data source non-numeric id", config: dataBad("selsup_webhook", `id = "abc"`),
			want: errorContaining(`Invalid SelSup webhook id`, `A SelSup webhook id is a positive whole number, like 1042; "abc" is not.`)},
		{name: "selsup data source empty id", config: dataBad("selsup_webhook", `id = ""`),
			want: errorContaining(`Invalid id`, `The value must not be empty or white space only.`)},
		{name: "deliveries of an unknown webhook", config: dataBad("sellfern_webhook_deliveries", `webhook_id = "wh_nope"`), reads: true,
			want: errorContaining(`Sellfern webhook not found`, `Sellfern has no webhook with id "wh_nope" in this account, so it has no deliveries to show.`)},
		{name: "deliveries empty webhook_id", config: dataBad("sellfern_webhook_deliveries", `webhook_id = ""`),
			want: sfID(`Invalid webhook_id`, "")},

		// provider configuration
		{name: "sellfern base_url http to a remote host", config: providerBad(sellfernWith(fmt.Sprintf("    token = %q\n    base_url = \"http://api.sellfern.com\"", mockserver.DemoSellfernToken))),
			want: errorContaining(`Invalid base_url`, `The base URL "http://api.sellfern.com" must use https://; plain http:// is allowed only for a loopback host (localhost, 127.0.0.1, ::1) so that credentials never cross a network in clear text.`)},
		{name: "base_url ftp", config: providerBad(selsupWith(fmt.Sprintf("    api_key = %q\n    base_url = \"ftp://api.selsup.ru\"", mockserver.DemoSelSupKey))),
			want: errorContaining(`Invalid base_url`, `The base URL "ftp://api.selsup.ru" must use https://.`)},
		{name: "token empty", config: providerBad(func(m *mockserver.Server) string {
			return sellfernWith(fmt.Sprintf("    token = \"\"\n    base_url = %q", m.SellfernBaseURL()))(m)
		}), want: errorContaining(`Invalid token`, `The value must not be empty or white space only.`)},
		{name: "api_key with NUL", config: providerBad(func(m *mockserver.Server) string {
			return selsupWith(fmt.Sprintf("    api_key = \"key\\u0000\"\n    base_url = %q", m.SelSupBaseURL()))(m)
		}), want: errorContaining(`Invalid api_key`, `The value must not contain control characters (such as a newline or tab).`)},
		{name: "max_retries too many", config: providerBad(func(m *mockserver.Server) string {
			return badSellfernBlock(m) + badSelSupBlock(m) + "  max_retries = 11\n"
		}), want: errorContaining(`Attribute max_retries must be a whole number from 0 to 10, got: 11.`)},
		{name: "max_retries fractional", config: providerBad(func(m *mockserver.Server) string {
			return badSellfernBlock(m) + badSelSupBlock(m) + "  max_retries = 1.5\n"
		}), want: errorContaining(`Invalid max_retries`, `Attribute max_retries must be a whole number from 0 to 10, got: 1.5.`)},
		{name: "requests_per_second zero", config: providerBad(func(m *mockserver.Server) string {
			return strings.Replace(badSellfernBlock(m), "sellfern = {", "sellfern = {\n    requests_per_second = 0", 1) + badSelSupBlock(m)
		}), want: errorContaining(`Invalid requests_per_second`, `Attribute sellfern.requests_per_second must be a number from 0.01 to 10000, got: 0.`)},
		{name: "requests_per_second 1e400", config: providerBad(func(m *mockserver.Server) string {
			return badSellfernBlock(m) + strings.Replace(badSelSupBlock(m), "selsup = {", "selsup = {\n    requests_per_second = 1e400", 1)
		}), want: errorContaining(`Invalid requests_per_second`, `Attribute selsup.requests_per_second must be a number from 0.01 to 10000, got: 1e+400.`)},
		{name: "requests_per_second negative", config: providerBad(func(m *mockserver.Server) string {
			return strings.Replace(badSellfernBlock(m), "sellfern = {", "sellfern = {\n    requests_per_second = -5", 1) + badSelSupBlock(m)
		}), want: errorContaining(`Invalid requests_per_second`, `Attribute sellfern.requests_per_second must be a number from 0.01 to 10000, got: -5.`)},
		{name: "max_retries 1e400", config: providerBad(func(m *mockserver.Server) string {
			return badSellfernBlock(m) + badSelSupBlock(m) + "  max_retries = 1e400\n"
		}), want: errorContaining(`Invalid max_retries`, `Attribute max_retries must be a whole number from 0 to 10, got: 1e+400.`)},
		{name: "sellfern url private address", config: sellfernBad(`"https://10.0.0.1/hooks"`, `["order.created"]`),
			want: errorContaining(`Invalid url`, `The URL "https://10.0.0.1/hooks" cannot receive Sellfern's deliveries: its host 10.0.0.1 is a private address.`)},
		{name: "sellfern url localhost", config: sellfernBad(`"https://localhost:8443/hooks"`, `["order.created"]`),
			want: errorContaining(`Invalid url`, `its host localhost is a name of the loopback address`)},
		{name: "request_timeout not a duration", config: providerBad(func(m *mockserver.Server) string {
			return badSellfernBlock(m) + badSelSupBlock(m) + "  request_timeout = \"fast\"\n"
		}), want: errorContaining(`Invalid request_timeout`, `"fast" is not a duration; write it like 30s, 90s or 2m.`)},
		{name: "missing sellfern block", config: providerBad(badSelSupBlock),
			want: errorContaining(`Missing Sellfern token`, `This configuration uses Sellfern resources, data sources or actions, so the provider needs a Sellfern token.`,
				`Set sellfern.token in the provider "webhooks" block, or the SELLFERN_TOKEN environment variable.`)},
		{name: "sellfern block without token", config: providerBad(func(m *mockserver.Server) string {
			return sellfernWith(fmt.Sprintf("    base_url = %q", m.SellfernBaseURL()))(m)
		}), want: errorContaining(`Missing Sellfern token`, `sellfern.token`, `SELLFERN_TOKEN`)},
		{name: "missing selsup block", config: providerBad(badSellfernBlock),
			want: errorContaining(`Missing SelSup API key`, `This configuration uses SelSup resources, data sources or actions, so the provider needs a SelSup API key.`,
				`Set selsup.api_key in the provider "webhooks" block, or the SELSUP_API_KEY environment variable.`)},
		{name: "missing credentials for a data source", config: func(m *mockserver.Server) string {
			return badProvider(badSellfernBlock(m)) + `
data "selsup_webhooks" "all" {
  provider = webhooks
}
`
		}, want: errorContaining(`Missing SelSup API key`, `selsup.api_key`, `SELSUP_API_KEY`)},
		{name: "unknown provider attribute", config: providerBad(func(m *mockserver.Server) string {
			return badSellfernBlock(m) + badSelSupBlock(m) + fmt.Sprintf("  token = %q\n", mockserver.DemoSellfernToken)
		}), want: errorContaining(`Unsupported argument`, `An argument named "token" is not expected here.`)},
	}
}

// TestAccBadInput is the catalogue of wrong and hostile inputs: each is refused with the error the user sees
// (naming the attribute and, where there is a list, the allowed values), at plan time wherever Terraform allows,
// before any request reaches a service unless only the service can judge it, and nothing is ever created.
func TestAccBadInput(t *testing.T) {
	for _, tc := range append(badInputs(), sealedBadInputs()...) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := accMock(t, mockserver.Options{})
			step := resource.TestStep{Config: tc.config(m), ExpectError: tc.want}
			if tc.importID != "" {
				step.ResourceName, step.ImportState, step.ImportStateId = tc.resourceName, true, tc.importID
			} else {
				step.PlanOnly = true
			}
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccFactories,
				Steps:                    []resource.TestStep{step},
			})
			st := m.Stats()
			if n := st.Requests["sellfern.create"] + st.Requests["selsup.create"]; n != 0 {
				t.Errorf("bad input led to %d create requests", n)
			}
			if len(m.SellfernWebhooks())+len(m.SelSupWebhooks()) != 0 {
				t.Errorf("the mock holds webhooks after bad input")
			}
			if !tc.reads && st.Total != 0 {
				t.Errorf("bad input reached the API: %v", st.Requests)
			}
		})
	}
}

// TestAccBadInput_duplicatesInSetLiterals: Terraform makes a set of a list literal by dropping repeated
// elements, so a duplicate event or type is no error: it is accepted, the service gets each once, and the next
// plan shows no difference.
func TestAccBadInput_duplicatesInSetLiterals(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{{
			Config: providerConfig(m) + `
resource "sellfern_webhook" "dup" {
  provider = webhooks
  url      = "https://hooks.example.com/dup"
  events   = ["order.created", "order.created", "ticket.created", "order.created"]
}

resource "selsup_webhook" "dup" {
  provider = webhooks
  url      = "https://hooks.example.com/dup"
  types    = ["ORDER", "ORDER", "CREATE_ORDER"]
}
`,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue("sellfern_webhook.dup", tfjsonpath.New("events"), knownvalue.SetExact([]knownvalue.Check{
						knownvalue.StringExact("order.created"), knownvalue.StringExact("ticket.created"),
					})),
					plancheck.ExpectKnownValue("selsup_webhook.dup", tfjsonpath.New("types"), knownvalue.SetExact([]knownvalue.Check{
						knownvalue.StringExact("CREATE_ORDER"), knownvalue.StringExact("ORDER"),
					})),
				},
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				sellfernMatchesMock(m, "sellfern_webhook.dup", true),
				selsupMatchesMock(m, "selsup_webhook.dup"),
				mockHolds(m, 1, 1),
				mockCounts(m, map[string]int{"sellfern.create": 1, "selsup.create": 1}),
			},
		}},
		CheckDestroy: func(*terraform.State) error {
			if n := len(m.SellfernWebhooks()) + len(m.SelSupWebhooks()); n != 0 {
				return fmt.Errorf("%d webhooks left after destroy", n)
			}
			return nil
		},
	})
}

// TestBadInput_hugeSetIsOneError: what the provider itself does with the catalogue's 10 000-element sets. However
// many elements are not of the form of a name, they are refused at once with one error that counts them and names
// a few, not with one error per element (10 000 diagnostics, megabytes of output, and tens of seconds before the
// user sees anything). Terraform's own evaluation of such a set is not counted here.
func TestBadInput_hugeSetIsOneError(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		res       fwresource.Resource
		attribute string
		names     string
	}{
		{NewSellfernWebhookResource(), "events", "Sellfern event names"},
		{NewSelSupWebhookResource(), "types", "SelSup type names"},
	} {
		t.Run(tc.attribute, func(t *testing.T) {
			var sresp fwresource.SchemaResponse
			tc.res.Schema(ctx, fwresource.SchemaRequest{}, &sresp)
			setAttr, ok := sresp.Schema.Attributes[tc.attribute].(schema.SetAttribute)
			if !ok {
				t.Fatalf("%s is a %T, want a set", tc.attribute, sresp.Schema.Attributes[tc.attribute])
			}
			elems := make([]attr.Value, 10000)
			for i := range elems {
				elems[i] = types.StringValue(fmt.Sprintf("order.created-%d", i))
			}
			req := validator.SetRequest{Path: path.Root(tc.attribute), PathExpression: path.MatchRoot(tc.attribute),
				ConfigValue: types.SetValueMust(types.StringType, elems)}
			var diags diag.Diagnostics
			for _, v := range setAttr.Validators {
				resp := &validator.SetResponse{}
				v.ValidateSet(ctx, req, resp)
				diags.Append(resp.Diagnostics...)
			}
			if n := diags.ErrorsCount(); n != 1 {
				first := ""
				if n > 0 {
					first = diags.Errors()[0].Detail()
				}
				t.Errorf("a 10 000-element %s set gives %d errors, want 1 counting them (first: %s)", tc.attribute, n, first)
			} else if d := diags.Errors()[0].Detail(); !strings.Contains(d, "holds 10000 values that are not "+tc.names) ||
				!strings.Contains(d, "and 9995 more") || len(d) > 2000 {
				t.Errorf("the error does not count the values and name a few, briefly: %s", d)
			}
		})
	}
}
