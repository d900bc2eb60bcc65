package provider

import (
	"fmt"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/selsup"
)

// The tests in this file run real Terraform against a mock that speaks what Sellfern's wider documentation says
// and what a service may start to do: page its lists in any common style, give every answer a request id, add
// events the provider does not know, and hold names and URLs that another user of the account wrote to act on a
// terminal.

// pagingHint is one way a list answer may say that more follows, and what the error must name.
type pagingHint struct {
	name    string
	route   string // the list route the hint goes on
	hint    mockserver.ListHint
	pageBy  int  // with pageBy > 0 the list really holds one page of that size (SetPageSize)
	sfStyle bool // and says so in Sellfern's own style
	want    string
}

// pagingHints are the hints of the table below: the ones the provider has always caught (has_more: true, a Link
// with rel="next"), the ones it once read as the whole list, and Sellfern's own page style.
func pagingHints() []pagingHint {
	body := func(v map[string]any) mockserver.ListHint { return mockserver.ListHint{Body: v} }
	const sf, ss = "sellfern.list", "selsup.list"
	return []pagingHint{
		{name: "has_more true", route: sf, hint: body(map[string]any{"has_more": true}), want: `"has_more": true`},
		{name: "Link rel next", route: sf, hint: mockserver.ListHint{Header: map[string]string{"Link": `</sellfern/api/v2/webhooks?page=2>; rel="next"`}},
			want: `a Link header with rel="next"`},
		{name: "meta.total", route: sf, hint: body(map[string]any{"meta": map[string]any{"total": 20, "page": 1, "limit": 10}}),
			want: `"meta.total": 20, where the answer holds 1`},
		{name: "meta.totalPages", route: sf, hint: body(map[string]any{"meta": map[string]any{"totalPages": 2}}),
			want: `"meta.totalPages": 2, more than one page`},
		{name: "top-level total", route: sf, hint: body(map[string]any{"total": 20}), want: `"total": 20, where the answer holds 1`},
		{name: "pagination.total", route: sf, hint: body(map[string]any{"pagination": map[string]any{"total": 20}}),
			want: `"pagination.total": 20, where the answer holds 1`},
		{name: "links.next", route: sf, hint: body(map[string]any{"links": map[string]any{"next": "/api/v2/webhooks?page=2", "prev": nil}}),
			want: `"links.next": "/api/v2/webhooks?page=2"`},
		{name: "meta.pagination.links.next", route: sf,
			hint: body(map[string]any{"meta": map[string]any{"pagination": map[string]any{"links": map[string]any{"next": "/api/v2/webhooks?page=2"}}}}),
			want: `"meta.pagination.links.next": "/api/v2/webhooks?page=2"`},
		{name: "has_more as a string", route: sf, hint: body(map[string]any{"has_more": "true"}), want: `"has_more": "true"`},
		{name: "meta.hasNext", route: sf, hint: body(map[string]any{"meta": map[string]any{"hasNext": true}}), want: `"meta.hasNext": true`},
		{name: "last false with totalElements", route: sf, hint: body(map[string]any{"last": false, "totalElements": 1}), want: `"last": false`},
		{name: "next_page_url", route: sf, hint: body(map[string]any{"next_page_url": "https://api.sellfern.com/api/v2/webhooks?page=2"}),
			want: `"next_page_url": "https://api.sellfern.com/api/v2/webhooks?page=2"`},
		{name: "cursor", route: sf, hint: body(map[string]any{"cursor": "c2"}), want: `"cursor": "c2"`},
		{name: "X-Total-Count", route: sf, hint: mockserver.ListHint{Header: map[string]string{"X-Total-Count": "20"}},
			want: `an X-Total-Count: 20 header, where the answer holds 1`},
		{name: "Content-Range", route: sf, hint: mockserver.ListHint{Header: map[string]string{"Content-Range": "webhooks 0-0/20"}},
			want: `a Content-Range: webhooks 0-0/20 header`},
		{name: "SelSup X-Total-Count", route: ss, hint: mockserver.ListHint{Header: map[string]string{"X-Total-Count": "20"}},
			want: `an X-Total-Count: 20 header, where the answer holds 1`},
		{name: "Sellfern's own page style", route: sf, pageBy: 1, sfStyle: true, want: `"meta.total": 2, where the answer holds 1`},
	}
}

// TestAccPagingHints: a list answer that says, in any of the common ways, that it holds only part of the list is
// an error naming what it said, never read as the whole list (which would take the rest for deleted: a refresh
// drops them and their secrets from state, an apply makes duplicates). Each row reads the account's webhooks
// through a data source, the list every read shares.
func TestAccPagingHints(t *testing.T) {
	for _, tc := range pagingHints() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := accMock(t, mockserver.Options{})
			service, dataSource := "Sellfern", "sellfern_webhooks"
			if tc.route == "selsup.list" {
				service, dataSource = "SelSup", "selsup_webhooks"
				m.SelSupPut(mockserver.SelSupWebhook{URL: "https://hooks.example.com/paged/1", Types: []string{"ORDER"}})
			} else {
				for i := range 1 + min(tc.pageBy, 1) {
					m.SellfernPut(mockserver.SellfernWebhook{URL: fmt.Sprintf("https://hooks.example.com/paged/%d", i),
						Events: []string{"order.created"}, Enabled: true})
				}
			}
			hint := tc.hint
			m.SetListHint(tc.route, &hint)
			m.SetPageSize(tc.pageBy)
			m.SetSellfernPageStyle(tc.sfStyle)
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccFactories,
				Steps: []resource.TestStep{{
					Config:   providerConfig(m) + fmt.Sprintf("\ndata %q \"all\" {\n  provider = webhooks\n}\n", dataSource),
					PlanOnly: true,
					ExpectError: errorContaining("Could not list "+service+" webhooks", "with HTTP 200",
						"but only part of the list of webhooks: the answer says more follows ("+tc.want+"), and the provider "+
							"does not follow pages, which "+service+"'s API does not document, since a partial list read as "+
							"complete would delete or duplicate webhooks"),
				}},
			})
		})
	}
}

// TestAccSellfernPageStyleLosesNothing: three webhooks in state, and Sellfern starts to page its list in the style
// of its other endpoints, two at a time. The refresh fails naming the page's total: nothing leaves state, nothing
// is planned for creation, and once the list is whole again the plan is empty.
func TestAccSellfernPageStyleLosesNothing(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	cfg := providerConfig(m) + `
resource "sellfern_webhook" "paged" {
  provider = webhooks
  count    = 3
  url      = "https://hooks.example.com/paged/${count.index}"
  events   = ["order.created"]
}
`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{Config: cfg, ConfigStateChecks: []statecheck.StateCheck{mockHolds(m, 3, 0)}},
			{
				PreConfig: func() { m.SetPageSize(2); m.SetSellfernPageStyle(true) },
				Config:    cfg,
				PlanOnly:  true,
				ExpectError: errorContaining("Could not read Sellfern webhook", "with HTTP 200 (request id req_",
					`but only part of the list of webhooks: the answer says more follows ("meta.total": 3, where the answer holds 2)`),
			},
			{
				PreConfig:         func() { m.SetPageSize(0) },
				Config:            cfg,
				ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: []statecheck.StateCheck{mockHolds(m, 3, 0), mockCounts(m, map[string]int{"sellfern.create": 3})},
			},
		},
	})
}

// TestAccSellfernErrorsQuoteRequestIDs: a Sellfern error gives the request id of the answer (meta.request_id, which
// Sellfern's support can look up) and its details; the 401 says every reason a token is refused and the kind of
// token the provider needs, the 403 the scope its details name; an answer of 200 that says it failed gives its
// request id too.
func TestAccSellfernErrorsQuoteRequestIDs(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	list := "\ndata \"sellfern_webhooks\" \"all\" {\n  provider = webhooks\n}\n"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config:   providerConfigWith(m, "sk_live_expired_or_revoked", mockserver.DemoSelSupKey, "") + list,
				PlanOnly: true,
				ExpectError: errorContaining("Could not list Sellfern webhooks",
					"Sellfern rejected the token (HTTP 401 unauthorized, request id req_", "): it is missing, invalid, expired or revoked:",
					"token is invalid or revoked. The provider needs a Sellfern API v2 token (sk_live_…, made in Sellfern's Settings → API Tokens)",
					`with the webhooks:manage scope; a key of Sellfern's "public V1" API, sent as x-api-key, is not one.`,
					`The token comes from sellfern.token in the provider "webhooks" block or the SELLFERN_TOKEN environment variable.`),
			},
			{
				Config:   providerConfigWith(m, mockserver.NoScopeSellfernToken, mockserver.DemoSelSupKey, "") + list,
				PlanOnly: true,
				ExpectError: errorContaining("Could not list Sellfern webhooks",
					"Sellfern refused the call (HTTP 403 missing_scope, request id req_",
					"): the token does not have the webhooks:manage scope that this call needs: token lacks the required scope webhooks:manage;",
					`details: {"required_scope":"webhooks:manage"}. Issue a token with webhooks:manage in Sellfern's Settings → API Tokens and use it instead.`),
			},
			{
				PreConfig: answer(m, "sellfern.list", `{"success":false,"error":{"code":"internal","message":"database unavailable",`+
					`"details":{"retry_after_seconds":30}},"meta":{"request_id":"req_7Hc2"}}`),
				Config:   providerConfig(m) + list,
				PlanOnly: true,
				ExpectError: errorContaining("Could not list Sellfern webhooks", "with HTTP 200 (request id req_7Hc2) but",
					`"success" is false (internal: database unavailable; details: {"retry_after_seconds":30})`),
			},
		},
	})
}

// TestAccAdoptWebhooksWithNamesTheProviderDoesNotKnow: a webhook subscribed, on the service's side, to an event or
// type the provider does not know (Sellfern's product.created, SelSup's NEW_TYPE) is imported with it and plans no
// change, with a warning naming it; it updates (Sellfern) and is made (SelSup) with it; and a name the service
// does not have goes to the service all the same, which is the judge and refuses it.
func TestAccAdoptWebhooksWithNamesTheProviderDoesNotKnow(t *testing.T) {
	m := accMock(t, mockserver.Options{Shuffle: true})
	m.SetSellfernAddedEvents("product.created")
	m.SetSelSupAddedTypes("NEW_TYPE")
	sf := m.SellfernPut(mockserver.SellfernWebhook{URL: "https://hooks.example.com/products", Enabled: true,
		Events: []string{"order.created", "product.created"}})
	ss := m.SelSupPut(mockserver.SelSupWebhook{Name: "Новое", URL: "https://hooks.example.com/new", Types: []string{"ORDER", "NEW_TYPE"}})
	cfg := providerConfig(m) + fmt.Sprintf(`
import {
  provider = webhooks
  to       = sellfern_webhook.products
  id       = %q
}

resource "sellfern_webhook" "products" {
  provider = webhooks
  url      = "https://hooks.example.com/products"
  events   = ["product.created", "order.created"]
}

import {
  provider = webhooks
  to       = selsup_webhook.new
  id       = "%d"
}

resource "selsup_webhook" "new" {
  provider = webhooks
  name     = "Новое"
  url      = "https://hooks.example.com/new"
  types    = ["NEW_TYPE", "ORDER"]
}
`, sf.ID, ss.ID)
	rec := &warningRecorder{}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: rec.factories(),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("sellfern_webhook.products", plancheck.ResourceActionNoop),
						plancheck.ExpectResourceAction("selsup_webhook.new", plancheck.ResourceActionNoop),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("sellfern_webhook.products", tfjsonpath.New("events"),
						knownvalue.SetExact(stringChecks([]string{"order.created", "product.created"}))),
					statecheck.ExpectKnownValue("selsup_webhook.new", tfjsonpath.New("types"),
						knownvalue.SetExact(stringChecks([]string{"NEW_TYPE", "ORDER"}))),
					mockCounts(m, map[string]int{"sellfern.create": 0, "sellfern.update": 0, "selsup.create": 0, "selsup.delete": 0}),
					rec.expect("Sellfern event the provider does not know: product.created",
						"Attribute events holds product.created, which the provider does not know (the events Sellfern documents are order.created,",
						"It has the form of a Sellfern event, so the provider accepts it as written: Sellfern is the judge of which events exist,",
						"and refuses to create or update a webhook with one it does not have (HTTP 400)."),
				},
			},
			{
				Config:   cfg,
				PlanOnly: true,
			},
			{
				// Warned again at plan time, as long as the configuration holds it.
				Config: cfg,
				ConfigStateChecks: []statecheck.StateCheck{rec.expect("SelSup type the provider does not know: NEW_TYPE",
					"Attribute types holds NEW_TYPE, which the provider does not know (the types SelSup documents are CREATE_ORDER,",
					"SelSup is the judge of which types exist, and refuses to create a webhook with one it does not have (HTTP 400).")},
			},
			{
				// Paused, with every event sent again; and a second SelSup webhook with the new type.
				Config: strings.Replace(cfg, `events   = ["product.created", "order.created"]`,
					"events   = [\"product.created\", \"order.created\"]\n  enabled  = false", 1) + `
resource "selsup_webhook" "more" {
  provider = webhooks
  url      = "https://hooks.example.com/more"
  types    = ["NEW_TYPE"]
}
`,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("sellfern_webhook.products", plancheck.ResourceActionUpdate),
						plancheck.ExpectResourceAction("selsup_webhook.more", plancheck.ResourceActionCreate),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					stateCheckFunc(func(*tfjson.State) error {
						if w, _ := m.SellfernWebhook(sf.ID); w.Enabled || len(w.Events) != 2 {
							return fmt.Errorf("Sellfern holds %+v; want it paused with both events", w)
						}
						return nil
					}),
					mockHolds(m, 1, 2),
				},
			},
			{
				// A new webhook with an event this Sellfern does not have: the mock, like Sellfern, refuses it.
				Config: cfg + `
resource "sellfern_webhook" "typo" {
  provider = webhooks
  url      = "https://hooks.example.com/typo"
  events   = ["order.craeted"]
}
`,
				ExpectError: errorContaining("Could not create Sellfern webhook",
					"Sellfern rejected the request as invalid (HTTP 400 validation_error, request id req_", `unknown event "order.craeted"`),
			},
		},
	})
}

// hostileText is what another user of the account may write into a name or URL to act on a terminal: a window
// title, a colour, a carriage return that lets a line be overwritten, and a right-to-left override.
const hostileText = "\x1b]0;pwned\x07\x1b[31m\rFORGED\u202etxt"

// hostileEscaped is hostileText as the provider shows it.
const hostileEscaped = `\x1b]0;pwned\x07\x1b[31m\rFORGED\u202etxt`

// TestAccHostileValuesAreWarned: a name or URL that someone changed on the service to carry control and
// bidirectional characters is kept in state exactly, and the read that meets it warns, naming the webhook and
// showing the value escaped, since Terraform prints attribute values as they are. Data sources warn alike.
func TestAccHostileValuesAreWarned(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	cfg := providerConfig(m) + `
resource "sellfern_webhook" "test" {
  provider = webhooks
  url      = "https://hooks.example.com/clean"
  events   = ["order.created"]
}

resource "selsup_webhook" "test" {
  provider = webhooks
  name     = "Заказы"
  url      = "https://hooks.example.com/clean"
  types    = ["ORDER"]
}

data "selsup_webhooks" "all" {
  provider   = webhooks
  depends_on = [selsup_webhook.test]
}
`
	rec := &warningRecorder{}
	var sfID, ssID string
	spoil := func() {
		sf, ss := m.SellfernWebhooks()[0], m.SelSupWebhooks()[0]
		sfID, ssID = sf.ID, selsup.FormatID(ss.ID)
		sf.URL += "/" + hostileText
		ss.Name += hostileText
		m.SellfernPut(sf)
		m.SelSupPut(ss)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: rec.factories(),
		Steps: []resource.TestStep{
			{Config: cfg, ConfigStateChecks: []statecheck.StateCheck{rec.expectNone()}},
			{
				PreConfig:          spoil,
				RefreshState:       true,
				ExpectNonEmptyPlan: true,
				Check: func(s *terraform.State) error {
					if got := s.RootModule().Resources[selsupAddr].Primary.Attributes["name"]; got != "Заказы"+hostileText {
						return fmt.Errorf("state holds the name %q, want it exactly as SelSup holds it", got)
					}
					if got := s.RootModule().Resources[sellfernAddr].Primary.Attributes["url"]; !strings.HasSuffix(got, "/"+hostileText) {
						return fmt.Errorf("state holds the url %q, want it exactly as Sellfern holds it", got)
					}
					for _, want := range [][]string{
						{"Sellfern webhook " + sfID + " has control or formatting characters in its url",
							`Sellfern holds its url as "https://hooks.example.com/clean/` + hostileEscaped + `" (shown here with those characters escaped).`,
							"State keeps the values exactly as Sellfern holds them, and Terraform prints attribute values as they are:",
							"check the webhook on Sellfern and give it clean values."},
						{"SelSup webhook " + ssID + " has control or formatting characters in its name",
							`SelSup holds its name as "Заказы` + hostileEscaped + `"`},
					} {
						if err := rec.matching(errorContaining(want...)); err != nil {
							return err
						}
					}
					for _, w := range rec.take() {
						if strings.ContainsAny(w, "\x1b\x07\r\u202e") {
							return fmt.Errorf("a warning holds the raw characters: %q", w)
						}
					}
					return nil
				},
			},
			{
				// Applying the configuration puts clean values back (SelSup's name by replacement).
				Config: cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(selsupAddr, tfjsonpath.New("name"), knownvalue.StringExact("Заказы")),
					statecheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("url"), knownvalue.StringExact("https://hooks.example.com/clean")),
				},
			},
		},
	})
}
