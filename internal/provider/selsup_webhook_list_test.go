package provider

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/selsup"
)

// selsupSeed puts four webhooks in the mock, in an order unlike their ids (whose text order is not their numeric
// order either), and returns them by ascending id, the order the list resource must show.
func selsupSeed(m *mockserver.Server) []mockserver.SelSupWebhook {
	hooks := []mockserver.SelSupWebhook{
		{ID: 1500, Name: "Legacy", URL: "https://legacy.example.net/hook", Types: []string{"ORDER"}, OrganizationID: 42},
		{ID: 99, Name: "Заказы → склад", URL: "https://hooks.example.com/selsup/orders", Types: []string{"ORDER_STATUS", "CREATE_ORDER"}, OrganizationID: 42},
		{ID: 1002, URL: "https://hooks.example.com/selsup/products", Types: []string{"CREATE_PRODUCT"}},
		{ID: 250, URL: "https://hooks.example.com/selsup/status", Types: []string{"ORDER", "ORDER_STATUS"}, OrganizationID: 7},
	}
	for i := range hooks {
		hooks[i] = m.SelSupPut(hooks[i])
	}
	slices.SortFunc(hooks, func(a, b mockserver.SelSupWebhook) int { return cmp.Compare(a.ID, b.ID) })
	return hooks
}

// selsupWant is what a list block shows of each webhook: its name, or its url when it has none.
func selsupWant(hooks []mockserver.SelSupWebhook, keep func(mockserver.SelSupWebhook) bool) []queryWant {
	var out []queryWant
	for _, h := range hooks {
		if keep(h) {
			name := h.Name
			if name == "" {
				name = h.URL
			}
			out = append(out, queryWant{id: fmt.Sprint(h.ID), displayName: name})
		}
	}
	return out
}

func everySelSup(mockserver.SelSupWebhook) bool { return true }

// TestSelSupWebhookList_protocol: results stop at the limit and come by id; the resource object comes only when
// asked for, with the Cyrillic name exactly as SelSup lists it; a webhook listed without its types is left out by
// a type filter and has null types in its resource object; an unknown type is refused at validation naming the
// allowed ones; and all of it costs one SelSup list call.
func TestSelSupWebhookList_protocol(t *testing.T) {
	m := accMock(t, mockserver.Options{Shuffle: true})
	seeded := selsupSeed(m)
	p := mockProvider(t, m)
	typ := p.resourceType("selsup_webhook")
	names := func(want []queryWant) []string {
		out := make([]string, 0, len(want))
		for _, w := range want {
			out = append(out, w.displayName)
		}
		return out
	}

	all := selsupWant(seeded, everySelSup)
	for limit, want := range map[int64][]string{0: {}, 3: names(all[:3]), 100: names(all)} {
		if got := displayNames(t, p.list("selsup_webhook", nil, limit, false)); !slices.Equal(got, want) {
			t.Errorf("limit %d: %q, want %q", limit, got, want)
		}
	}

	results := p.list("selsup_webhook", map[string]tftypes.Value{"organization_id": tftypes.NewValue(tftypes.Number, 42)}, 100, true)
	if len(results) != 2 {
		t.Fatalf("organization_id = 42: %d results, want 2", len(results))
	}
	orders := p.decode(results[0].Resource, typ)
	if got := stringAttr(t, orders, "name"); got != "Заказы → склад" {
		t.Errorf("the resource object's name is %q", got)
	}
	if got := p.identityID("selsup_webhook", results[0].Identity); got != "99" {
		t.Errorf("the first result's identity is %q, want 99", got)
	}

	m.SetSelSupOmitTypes(true)
	typed := map[string]tftypes.Value{"type": tftypes.NewValue(tftypes.String, "ORDER")}
	fresh := mockProvider(t, m) // a new provider process lists again
	if got := fresh.list("selsup_webhook", typed, 100, false); len(got) != 0 {
		t.Errorf("a type filter kept %d webhooks listed without types", len(got))
	}
	untyped := fresh.list("selsup_webhook", nil, 100, true)
	if len(untyped) != len(seeded) || !p.decode(untyped[0].Resource, typ)["types"].IsNull() {
		t.Errorf("webhooks listed without types: %d results, first resource object %v", len(untyped), p.decode(untyped[0].Resource, typ))
	}

	text := diagText(p.validateList("selsup_webhook", map[string]tftypes.Value{"type": tftypes.NewValue(tftypes.String, "orders")}))
	for _, want := range []string{"ERROR: Invalid type", `Attribute type holds "orders", which is not a SelSup type name`,
		"upper-case words joined by underscores", "The types SelSup documents are: CREATE_ORDER, ORDER, ORDER_STATUS, CREATE_PRODUCT."} {
		if !strings.Contains(text, want) {
			t.Errorf("validating type = \"orders\": want %q in:\n%s", want, text)
		}
	}
	// A type of the form that the provider does not know is accepted with a warning, and filters as any other.
	text = diagText(p.validateList("selsup_webhook", map[string]tftypes.Value{"type": tftypes.NewValue(tftypes.String, "NEW_TYPE")}))
	if !strings.HasPrefix(text, "WARNING: SelSup type the provider does not know: NEW_TYPE:") || strings.Contains(text, "ERROR") {
		t.Errorf("validating type = \"NEW_TYPE\": %s", text)
	}
	newType := m.SelSupPut(mockserver.SelSupWebhook{URL: "https://hooks.example.com/selsup/new", Types: []string{"ORDER", "NEW_TYPE"}})
	fresh = mockProvider(t, m)
	m.SetSelSupOmitTypes(false)
	got := fresh.list("selsup_webhook", map[string]tftypes.Value{"type": tftypes.NewValue(tftypes.String, "NEW_TYPE")}, 100, false)
	if len(got) != 1 || fresh.identityID("selsup_webhook", got[0].Identity) != selsup.FormatID(newType.ID) {
		t.Errorf("type = NEW_TYPE listed %d webhooks, want the one with it", len(got))
	}

	if got := m.Count("selsup.list"); got != 3 {
		t.Errorf("three provider processes made %d SelSup list calls, want one each", got)
	}
}

// TestAccSelSupWebhookList_query runs `terraform query` over webhooks made outside Terraform: every filter alone
// and together, the limit, include_resource (the Cyrillic name round-trips), display names (the name, else the
// url), order by id; each query lists SelSup once. A rejected key fails the query with the status and the hint.
func TestAccSelSupWebhookList_query(t *testing.T) {
	m := accMock(t, mockserver.Options{Shuffle: true})
	seeded := selsupSeed(m)
	calls := &listCalls{m: m, route: "selsup.list", want: 1}
	query := func(blocks string, checks ...[]querycheck.QueryResultCheck) resource.TestStep {
		all := []querycheck.QueryResultCheck{calls.check()}
		for _, c := range checks {
			all = append(all, c...)
		}
		return resource.TestStep{Query: true, PreConfig: calls.start, Config: blocks, QueryResultChecks: all}
	}
	want := func(keep func(mockserver.SelSupWebhook) bool) []queryWant { return selsupWant(seeded, keep) }
	onHooks := func(h mockserver.SelSupWebhook) bool {
		return strings.HasPrefix(h.URL, "https://hooks.example.com/selsup/")
	}
	cyrillic := seeded[0]

	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{Config: providerConfig(m)},
			query(`
list "selsup_webhook" "all" {
  provider = webhooks
}

list "selsup_webhook" "status" {
  provider = webhooks
  config {
    type = "ORDER_STATUS"
  }
}

list "selsup_webhook" "org42" {
  provider = webhooks
  config {
    organization_id = 42
  }
}

list "selsup_webhook" "ours" {
  provider = webhooks
  config {
    url_prefix = "https://hooks.example.com/selsup/"
  }
}

list "selsup_webhook" "all_three" {
  provider = webhooks
  config {
    type            = "ORDER"
    organization_id = 7
    url_prefix      = "https://hooks.example.com/selsup/"
  }
}
`,
				expectListed("selsup_webhook.all", want(everySelSup)...),
				[]querycheck.QueryResultCheck{withoutResource{"selsup_webhook.all"}},
				expectListed("selsup_webhook.status", want(func(h mockserver.SelSupWebhook) bool { return slices.Contains(h.Types, "ORDER_STATUS") })...),
				expectListed("selsup_webhook.org42", want(func(h mockserver.SelSupWebhook) bool { return h.OrganizationID == 42 })...),
				expectListed("selsup_webhook.ours", want(onHooks)...),
				expectListed("selsup_webhook.all_three", want(func(h mockserver.SelSupWebhook) bool {
					return slices.Contains(h.Types, "ORDER") && h.OrganizationID == 7 && onHooks(h)
				})...),
			),
			query(`
list "selsup_webhook" "first_two" {
  provider = webhooks
  limit    = 2
}

list "selsup_webhook" "named" {
  provider         = webhooks
  include_resource = true
  config {
    organization_id = 42
  }
}
`,
				expectListed("selsup_webhook.first_two", want(everySelSup)[:2]...),
				[]querycheck.QueryResultCheck{
					querycheck.ExpectResourceKnownValues("selsup_webhook.named",
						queryfilter.ByResourceIdentity(map[string]knownvalue.Check{"id": knownvalue.StringExact(fmt.Sprint(cyrillic.ID))}),
						[]querycheck.KnownValueCheck{
							{Path: tfjsonpath.New("id"), KnownValue: knownvalue.StringExact(fmt.Sprint(cyrillic.ID))},
							{Path: tfjsonpath.New("name"), KnownValue: knownvalue.StringExact("Заказы → склад")},
							{Path: tfjsonpath.New("url"), KnownValue: knownvalue.StringExact(cyrillic.URL)},
							{Path: tfjsonpath.New("types"), KnownValue: knownvalue.SetExact(stringChecks(cyrillic.Types))},
							{Path: tfjsonpath.New("organization_id"), KnownValue: knownvalue.Int64Exact(42)},
							{Path: tfjsonpath.New("client_id"), KnownValue: knownvalue.Int64Exact(mockserver.DemoSelSupClientID)},
						}),
				},
			),
			{
				Query: true,
				Config: `
list "selsup_webhook" "not_a_type" {
  provider = webhooks
  config {
    type = "orders"
  }
}
`,
				ExpectError: errorContaining(`Invalid type`, `Attribute type holds "orders", which is not a SelSup type name`,
					`The types SelSup documents are: CREATE_ORDER, ORDER, ORDER_STATUS, CREATE_PRODUCT.`),
			},
			{
				Query: true,
				Config: fmt.Sprintf(`
provider "webhooks" {
  alias = "wrong_key"
  selsup = {
    api_key  = "not-a-selsup-key"
    base_url = %q
  }
}

list "selsup_webhook" "denied" {
  provider = webhooks.wrong_key
}
`, m.SelSupBaseURL()),
				ExpectError: errorContaining(`Could not list SelSup webhooks`, `HTTP 40`, `selsup.api_key`, EnvSelSupAPIKey),
			},
		},
	})
}
