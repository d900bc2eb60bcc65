package provider

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/sellfern"
)

// sellfernSeed puts five webhooks in the mock, in an order unlike their age, two of them made in the same second,
// and returns them oldest first (the order the list resource must show): by created_at, then id.
func sellfernSeed(m *mockserver.Server) []mockserver.SellfernWebhook {
	base := time.Date(2020, 5, 1, 10, 0, 0, 0, time.UTC)
	hooks := []mockserver.SellfernWebhook{
		{URL: "https://hooks.example.com/late", Events: []string{"order.status_changed"}, Enabled: true, CreatedAt: base.Add(3 * time.Hour)},
		{URL: "https://other.example.net/orders", Events: []string{"order.created"}, Enabled: false, CreatedAt: base.Add(2 * time.Hour)},
		{URL: "https://hooks.example.com/orders", Events: []string{"order.updated", "order.created"}, Enabled: true, CreatedAt: base},
		{URL: "https://hooks.example.com/expenses", Events: []string{"expense.created", "order.created"}, Enabled: true, CreatedAt: base.Add(3 * time.Hour)},
		{URL: "https://hooks.example.com/tickets", Events: []string{"ticket.created"}, Enabled: false, CreatedAt: base.Add(time.Hour)},
	}
	for i := range hooks {
		hooks[i] = m.SellfernPut(hooks[i])
	}
	slices.SortFunc(hooks, func(a, b mockserver.SellfernWebhook) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return hooks
}

// sellfernWant is what a list block shows of each webhook.
func sellfernWant(hooks ...mockserver.SellfernWebhook) []queryWant {
	out := make([]queryWant, len(hooks))
	for i, h := range hooks {
		out[i] = queryWant{id: h.ID, displayName: h.URL}
	}
	return out
}

// sellfernPick returns the seeded webhooks that keep accepts, in order.
func sellfernPick(hooks []mockserver.SellfernWebhook, keep func(mockserver.SellfernWebhook) bool) []mockserver.SellfernWebhook {
	var out []mockserver.SellfernWebhook
	for _, h := range hooks {
		if keep(h) {
			out = append(out, h)
		}
	}
	return out
}

// TestOldestFirst: created_at compares as a moment in time, whatever offset it is written with; the same moment
// orders by id; the client's shared list is left as it was.
func TestOldestFirst(t *testing.T) {
	at := func(id, created string) sellfern.Webhook {
		when, err := time.Parse(time.RFC3339, created)
		if err != nil {
			t.Fatal(err)
		}
		return sellfern.Webhook{ID: id, CreatedAt: created, Created: when}
	}
	in := []sellfern.Webhook{
		at("wh_d", "2026-05-01T12:30:00+02:00"), // 10:30Z
		at("wh_c", "2026-05-01T10:00:00Z"),
		at("wh_b", "2026-05-01T11:00:00+01:00"), // 10:00Z, the same moment as wh_c
		at("wh_a", "2026-05-01T11:00:00Z"),
		at("wh_e", "2026-05-01T10:00:00.5Z"), // half a second later, which a string comparison puts first
	}
	var got []string
	for _, w := range oldestFirst(in) {
		got = append(got, w.ID)
	}
	if want := []string{"wh_b", "wh_c", "wh_e", "wh_d", "wh_a"}; !slices.Equal(got, want) {
		t.Fatalf("oldestFirst: %v, want %v", got, want)
	}
	// It sorts its argument in place: the client hands every caller a copy of the shared list
	// (inventory's TestListHandsOutCopies).
}

// TestSellfernWebhookList_stream drives the list resource over the protocol: results stop at the limit however
// many webhooks pass, a limit of 0 asks for none, a consumer that stops early is not pushed to again, and however
// many list blocks and webhooks there are, the provider lists Sellfern once.
func TestSellfernWebhookList_stream(t *testing.T) {
	m := accMock(t, mockserver.Options{Shuffle: true})
	seeded := sellfernSeed(m)
	for i := range 200 {
		m.SellfernPut(mockserver.SellfernWebhook{URL: fmt.Sprintf("https://bulk.example.com/%03d", i), Events: []string{"ticket.updated"}, Enabled: true})
	}
	p := mockProvider(t, m)
	blocks := 0

	for limit, want := range map[int64][]mockserver.SellfernWebhook{0: nil, 2: seeded[:2], 5: seeded, 1000: nil} {
		blocks++
		got := displayNames(t, p.list("sellfern_webhook", nil, limit, false))
		if limit == 1000 {
			if len(got) != 205 || !slices.Equal(got[:5], urls(seeded)) {
				t.Errorf("limit %d: %d results starting %q, want 205 starting %q", limit, len(got), got[:min(5, len(got))], urls(seeded))
			}
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(urls(want)) {
			t.Errorf("limit %d: %q, want %q", limit, got, urls(want))
		}
	}

	blocks++
	read := 0
	for range p.listStream("sellfern_webhook", nil, 1000, false).Results {
		read++
		break // a consumer that has enough: the provider must not push again (the iterator would panic)
	}
	if read != 1 {
		t.Fatalf("read %d results before stopping", read)
	}

	if got := m.Count("sellfern.list"); got != 1 {
		t.Errorf("%d list blocks over 205 webhooks made %d Sellfern list calls, want 1", blocks, got)
	}
}

func urls(hooks []mockserver.SellfernWebhook) []string {
	out := make([]string, len(hooks))
	for i, h := range hooks {
		out[i] = h.URL
	}
	return out
}

// TestSellfernWebhookList_resourceObject: the resource object comes only when asked for, with what Sellfern lists
// and a null secret, and every result carries the webhook's identity.
func TestSellfernWebhookList_resourceObject(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	seeded := sellfernSeed(m)
	p := mockProvider(t, m)
	typ := p.resourceType("sellfern_webhook")

	for i, r := range p.list("sellfern_webhook", nil, 100, false) {
		requireNoDiags(t, r.DisplayName, r.Diagnostics)
		if r.Resource != nil {
			t.Errorf("%s: a resource object, though include_resource was not set", r.DisplayName)
		}
		if got := p.identityID("sellfern_webhook", r.Identity); got != seeded[i].ID {
			t.Errorf("result %d: identity %q, want %q", i, got, seeded[i].ID)
		}
	}

	results := p.list("sellfern_webhook", nil, 100, true)
	if len(results) != len(seeded) {
		t.Fatalf("%d results, want %d", len(results), len(seeded))
	}
	for i, r := range results {
		requireNoDiags(t, r.DisplayName, r.Diagnostics)
		want := seeded[i]
		attrs := p.decode(r.Resource, typ)
		if attrs == nil {
			t.Fatalf("%s: no resource object, though include_resource was set", r.DisplayName)
		}
		var events []tftypes.Value
		var enabled bool
		if err := attrs["events"].As(&events); err != nil {
			t.Fatal(err)
		}
		if err := attrs["enabled"].As(&enabled); err != nil {
			t.Fatal(err)
		}
		var gotEvents []string
		for _, e := range events {
			var s string
			_ = e.As(&s)
			gotEvents = append(gotEvents, s)
		}
		slices.Sort(gotEvents)
		wantEvents := slices.Sorted(slices.Values(want.Events))
		switch {
		case stringAttr(t, attrs, "id") != want.ID, stringAttr(t, attrs, "url") != want.URL,
			stringAttr(t, attrs, "created_at") != want.CreatedAt.Format(time.RFC3339),
			!slices.Equal(gotEvents, wantEvents), enabled != want.Enabled:
			t.Errorf("result %d: resource object %v, want %+v", i, attrs, want)
		case !attrs["secret"].IsNull():
			t.Errorf("result %d: the resource object carries a secret", i)
		}
	}
}

// TestSellfernWebhookList_refusals: an unknown event is refused when the list block is validated, naming the
// allowed events, before anything is listed; an API error reaches the list's diagnostics as the data sources
// report it (status, code, where the token comes from, never the token); a missing token is reported as for any
// Sellfern resource.
func TestSellfernWebhookList_refusals(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	p := mockProvider(t, m)

	text := diagText(p.validateList("sellfern_webhook", map[string]tftypes.Value{"event": tftypes.NewValue(tftypes.String, "Order Deleted")}))
	for _, want := range []string{"ERROR: Invalid event", `Attribute event holds "Order Deleted", which is not a Sellfern event name`,
		"lowercase words joined by dots", "The events Sellfern documents are: order.created, order.updated,", "ticket.updated."} {
		if !strings.Contains(text, want) {
			t.Errorf("validating event = \"Order Deleted\": want %q in:\n%s", want, text)
		}
	}
	// An event of the form that the provider does not know is accepted with a warning.
	text = diagText(p.validateList("sellfern_webhook", map[string]tftypes.Value{"event": tftypes.NewValue(tftypes.String, "product.created")}))
	if !strings.HasPrefix(text, "WARNING: Sellfern event the provider does not know: product.created:") || strings.Contains(text, "ERROR") {
		t.Errorf("validating event = \"product.created\": %s", text)
	}
	if text := diagText(p.validateList("sellfern_webhook", map[string]tftypes.Value{"event": tftypes.NewValue(tftypes.String, "order.created")})); text != "" {
		t.Errorf("validating a known event: %s", text)
	}
	if total := m.Stats().Total; total != 0 {
		t.Errorf("validation made %d API calls", total)
	}

	const revoked = "sk_test_revoked_0123456789"
	denied := newProtoProvider(t, map[string]string{"token": revoked, "base_url": m.SellfernBaseURL()}, nil)
	results := denied.list("sellfern_webhook", nil, 100, false)
	if len(results) != 1 {
		t.Fatalf("a rejected token gave %d results, want one carrying the error", len(results))
	}
	text = diagText(results[0].Diagnostics)
	for _, want := range []string{"ERROR: Could not list Sellfern webhooks", "HTTP 401", "sellfern.token", EnvSellfernToken} {
		if !strings.Contains(text, want) {
			t.Errorf("rejected token: want %q in:\n%s", want, text)
		}
	}
	if strings.Contains(text, revoked) {
		t.Error("the error repeats the token")
	}

	missing := newProtoProvider(t, nil, nil)
	text = diagText(missing.list("sellfern_webhook", nil, 100, false)[0].Diagnostics)
	if !strings.Contains(text, "Missing Sellfern token") || !strings.Contains(text, EnvSellfernToken) {
		t.Errorf("no token configured: got\n%s", text)
	}
}

// TestAccSellfernWebhookList_query runs `terraform query` over webhooks made outside Terraform: every filter alone
// and together, the limit, and include_resource with and without, each result checked for its identity, display
// name and place in the order; each query lists Sellfern once. An unknown event and a rejected token fail the query
// with messages that say why.
func TestAccSellfernWebhookList_query(t *testing.T) {
	m := accMock(t, mockserver.Options{Shuffle: true})
	seeded := sellfernSeed(m)
	pick := func(keep func(mockserver.SellfernWebhook) bool) []queryWant {
		return sellfernWant(sellfernPick(seeded, keep)...)
	}
	onHooks := func(h mockserver.SellfernWebhook) bool { return strings.HasPrefix(h.URL, "https://hooks.example.com/") }
	calls := &listCalls{m: m, route: "sellfern.list", want: 1}
	query := func(blocks string, checks ...[]querycheck.QueryResultCheck) resource.TestStep {
		all := []querycheck.QueryResultCheck{calls.check()}
		for _, c := range checks {
			all = append(all, c...)
		}
		return resource.TestStep{Query: true, PreConfig: calls.start, Config: blocks, QueryResultChecks: all}
	}
	disabled := sellfernPick(seeded, func(h mockserver.SellfernWebhook) bool { return !h.Enabled })[0]
	// The refused query starts the count that the query after it checks: a refused query lists nothing.
	afterRefused := query(`
list "sellfern_webhook" "first_two" {
  provider = webhooks
  limit    = 2
}
`, expectListed("sellfern_webhook.first_two", sellfernWant(seeded[:2]...)...))
	afterRefused.PreConfig = nil

	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{Config: providerConfig(m)},
			query(`
list "sellfern_webhook" "all" {
  provider = webhooks
}
`, expectListed("sellfern_webhook.all", sellfernWant(seeded...)...), []querycheck.QueryResultCheck{withoutResource{"sellfern_webhook.all"}}),
			query(`
list "sellfern_webhook" "orders" {
  provider = webhooks
  config {
    event = "order.created"
  }
}

list "sellfern_webhook" "paused" {
  provider = webhooks
  config {
    enabled = false
  }
}

list "sellfern_webhook" "ours" {
  provider = webhooks
  config {
    url_prefix = "https://hooks.example.com/"
  }
}

list "sellfern_webhook" "all_three" {
  provider = webhooks
  config {
    event      = "order.created"
    enabled    = true
    url_prefix = "https://hooks.example.com/"
  }
}
`,
				expectListed("sellfern_webhook.orders", pick(func(h mockserver.SellfernWebhook) bool { return slices.Contains(h.Events, "order.created") })...),
				expectListed("sellfern_webhook.paused", pick(func(h mockserver.SellfernWebhook) bool { return !h.Enabled })...),
				expectListed("sellfern_webhook.ours", pick(onHooks)...),
				expectListed("sellfern_webhook.all_three", pick(func(h mockserver.SellfernWebhook) bool {
					return slices.Contains(h.Events, "order.created") && h.Enabled && onHooks(h)
				})...),
			),
			query(`
list "sellfern_webhook" "paused" {
  provider         = webhooks
  include_resource = true
  config {
    enabled = false
  }
}
`, []querycheck.QueryResultCheck{
				querycheck.ExpectResourceKnownValues("sellfern_webhook.paused",
					queryfilter.ByResourceIdentity(map[string]knownvalue.Check{"id": knownvalue.StringExact(disabled.ID)}),
					[]querycheck.KnownValueCheck{
						{Path: tfjsonpath.New("id"), KnownValue: knownvalue.StringExact(disabled.ID)},
						{Path: tfjsonpath.New("url"), KnownValue: knownvalue.StringExact(disabled.URL)},
						{Path: tfjsonpath.New("events"), KnownValue: knownvalue.SetExact(stringChecks(disabled.Events))},
						{Path: tfjsonpath.New("enabled"), KnownValue: knownvalue.Bool(false)},
						{Path: tfjsonpath.New("created_at"), KnownValue: knownvalue.StringExact(disabled.CreatedAt.Format(time.RFC3339))},
						{Path: tfjsonpath.New("secret"), KnownValue: knownvalue.Null()},
					}),
			}),
			{
				Query: true,
				Config: `
list "sellfern_webhook" "not_an_event" {
  provider = webhooks
  config {
    event = "Order Deleted"
  }
}
`,
				PreConfig: calls.start,
				ExpectError: errorContaining(`Invalid event`, `Attribute event holds "Order Deleted", which is not a Sellfern event name`,
					`The events Sellfern documents are: order.created,`),
			},
			afterRefused,
			{
				Query: true,
				Config: fmt.Sprintf(`
provider "webhooks" {
  alias = "revoked"
  sellfern = {
    token    = "sk_test_revoked"
    base_url = %q
  }
}

list "sellfern_webhook" "denied" {
  provider = webhooks.revoked
}
`, m.SellfernBaseURL()),
				ExpectError: errorContaining(`Could not list Sellfern webhooks`, `HTTP 401`, `sellfern.token`, EnvSellfernToken),
			},
		},
	})
}

func stringChecks(values []string) []knownvalue.Check {
	out := make([]knownvalue.Check, len(values))
	for i, v := range values {
		out[i] = knownvalue.StringExact(v)
	}
	return out
}
