package provider

// The refresh cost contract, asserted by counting API requests (never by timing):
//
//   - a plan over 20 webhooks of each service lists each service exactly once, and reads nothing else;
//   - an apply of N creates costs the N creates and one list per service, plus one more for each
//     inventory.BaselineAge the apply lasts (a create is judged by a list no older than that);
//   - the shared list never hides a change: not one made by the same provider earlier in the same apply (a create,
//     an update; and at the client, a delete too), nor one made outside Terraform before the next run.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/seed/terraform-provider-webhooks/internal/inventory"
	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/sellfern"
	"github.com/seed/terraform-provider-webhooks/internal/selsup"
)

const refreshCostN = 20

func refreshCostConfig(m *mockserver.Server) string {
	return providerConfig(m) + fmt.Sprintf(`
resource "sellfern_webhook" "bench" {
  provider = webhooks
  count    = %[1]d
  url      = "https://hooks.example.com/refresh/${count.index}"
  events   = ["order.created", "ticket.created"]
}

resource "selsup_webhook" "bench" {
  provider = webhooks
  count    = %[1]d
  name     = "refresh ${count.index}"
  url      = "https://hooks.example.com/refresh/${count.index}"
  types    = ["ORDER", "ORDER_STATUS"]
}
`, refreshCostN)
}

// TestAccRefreshCost_onePerService: after an apply of 20 webhooks per service (which costs the creates and at most
// one list per service), a no-change plan lists each service exactly once and makes no other request, and so does
// the plan that sees webhooks changed and deleted outside Terraform.
//
// In a PlanOnly step the harness runs `plan -refresh=false`, then `plan`, each with a provider server (and so a
// shared list) of its own. A window opened by a check on the first plan and closed by a check on the second counts
// the second alone.
func TestAccRefreshCost_onePerService(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	// Webhooks Terraform does not manage, so that every read has to find its own in a longer list.
	for i := range 5 {
		m.SellfernPut(mockserver.SellfernWebhook{URL: fmt.Sprintf("https://other.example.com/%d", i), Events: []string{"order.updated"}, Enabled: true})
		m.SelSupPut(mockserver.SelSupWebhook{URL: fmt.Sprintf("https://other.example.com/%d", i), Types: []string{"ORDER"}})
	}
	window := &requestWindow{m: m}
	var applyStart time.Time

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				// The pre-apply plan has nothing to read; the apply creates 20 webhooks per service.
				PreConfig: func() { m.ResetStats(); applyStart = time.Now() },
				Config:    refreshCostConfig(m),
				ConfigStateChecks: []statecheck.StateCheck{
					mockHolds(m, refreshCostN+5, refreshCostN+5),
					mockCounts(m, map[string]int{"sellfern.create": refreshCostN, "selsup.create": refreshCostN}),
					stateCheckFunc(func(*tfjson.State) error {
						// The count is exact; its allowance grows only with an apply slower than BaselineAge.
						lists := 1 + int(time.Since(applyStart)/inventory.BaselineAge)
						return requestsWithin(m, map[string]int{"sellfern.list": lists, "selsup.list": lists}, 2*refreshCostN+2*lists)
					}),
				},
			},
			{
				PreConfig: m.ResetStats,
				Config:    refreshCostConfig(m),
				PlanOnly:  true,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPreRefresh: []plancheck.PlanCheck{
						// -refresh=false reads nothing: with no data source in the configuration, it calls no API.
						window.open("plan -refresh=false", map[string]int{}, 0),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{
						plancheck.ExpectEmptyPlan(),
						window.close("plan (refresh of 20 + 20 webhooks)", map[string]int{"sellfern.list": 1, "selsup.list": 1}, 2),
					},
				},
			},
			{
				// Drift made outside Terraform is seen by the next run, still at one list per service.
				PreConfig: func() {
					m.ResetStats()
					driftOutside(t, m)
				},
				Config:             refreshCostConfig(m),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPreRefresh: []plancheck.PlanCheck{window.open("plan -refresh=false", map[string]int{}, 0)},
					PostApplyPostRefresh: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("sellfern_webhook.bench[3]", plancheck.ResourceActionUpdate),
						plancheck.ExpectResourceAction("sellfern_webhook.bench[7]", plancheck.ResourceActionCreate),
						plancheck.ExpectResourceAction("selsup_webhook.bench[5]", plancheck.ResourceActionCreate),
						plancheck.ExpectResourceAction("selsup_webhook.bench[0]", plancheck.ResourceActionNoop),
						window.close("plan (refresh after drift)", map[string]int{"sellfern.list": 1, "selsup.list": 1}, 2),
					},
				},
			},
		},
	})
}

// driftOutside changes Sellfern webhook 3's URL, deletes Sellfern webhook 7 and SelSup webhook 5, as someone
// using the services' consoles would.
func driftOutside(t *testing.T, m *mockserver.Server) {
	t.Helper()
	url := func(i int) string { return fmt.Sprintf("https://hooks.example.com/refresh/%d", i) }
	found := 0
	for _, w := range m.SellfernWebhooks() {
		switch w.URL {
		case url(3):
			w.URL = "https://hooks.example.com/changed-outside"
			m.SellfernPut(w)
			found++
		case url(7):
			m.SellfernDelete(w.ID)
			found++
		}
	}
	for _, w := range m.SelSupWebhooks() {
		if w.URL == url(5) {
			m.SelSupDelete(w.ID)
			found++
		}
	}
	if found != 3 {
		t.Fatalf("drift: found %d of the 3 webhooks to change", found)
	}
}

// ownWritesConfig creates one webhook per service after a list of each service was taken in the same apply (the
// "before" data sources, read once terraform_data.first exists), then reads them back in the same apply: by id,
// and in the full list. With updateURL, the Sellfern webhook is instead updated after a list that holds its old
// URL ("mid", read once the new "trigger" webhook exists), and then read back.
func ownWritesConfig(m *mockserver.Server, update bool) string {
	sellfernURL := `"https://hooks.example.com/seen"`
	trigger := ""
	if update {
		sellfernURL = `"https://hooks.example.com/seen/v2/${length(data.sellfern_webhooks.mid.webhooks)}"`
		trigger = `
resource "sellfern_webhook" "trigger" {
  provider = webhooks
  url      = "https://hooks.example.com/trigger"
  events   = ["order.created"]
}

data "sellfern_webhooks" "mid" {
  provider   = webhooks
  depends_on = [sellfern_webhook.trigger]
}
`
	}
	return providerConfig(m) + trigger + fmt.Sprintf(`
resource "terraform_data" "first" {}

data "sellfern_webhooks" "before" {
  provider   = webhooks
  depends_on = [terraform_data.first]
}

data "selsup_webhooks" "before" {
  provider   = webhooks
  depends_on = [terraform_data.first]
}

resource "sellfern_webhook" "seen" {
  provider   = webhooks
  url        = %s
  events     = ["order.created", "order.updated"]
  depends_on = [data.sellfern_webhooks.before]
}

resource "selsup_webhook" "seen" {
  provider   = webhooks
  url        = "https://hooks.example.com/seen"
  types      = ["CREATE_ORDER"]
  depends_on = [data.selsup_webhooks.before]
}

data "sellfern_webhook" "seen" {
  provider   = webhooks
  id         = sellfern_webhook.seen.id
  depends_on = [sellfern_webhook.seen]
}

data "sellfern_webhooks" "after" {
  provider   = webhooks
  depends_on = [sellfern_webhook.seen]
}

data "selsup_webhook" "seen" {
  provider   = webhooks
  id         = selsup_webhook.seen.id
  depends_on = [selsup_webhook.seen]
}

data "selsup_webhooks" "after" {
  provider   = webhooks
  depends_on = [selsup_webhook.seen]
}
`, sellfernURL)
}

// TestAccRefreshCost_ownWritesSeen: within one apply, in one provider process, a list is taken, a webhook is
// created (or updated), and a read that depends on the write must see it: the write made the shared list stale.
func TestAccRefreshCost_ownWritesSeen(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	for i := range 3 {
		m.SellfernPut(mockserver.SellfernWebhook{URL: fmt.Sprintf("https://other.example.com/%d", i), Events: []string{"order.updated"}, Enabled: true})
		m.SelSupPut(mockserver.SelSupWebhook{URL: fmt.Sprintf("https://other.example.com/%d", i), Types: []string{"ORDER"}})
	}
	sameURL := func(service string) statecheck.StateCheck {
		return statecheck.CompareValuePairs(
			"data."+service+"_webhook.seen", tfjsonpath.New("url"),
			service+"_webhook.seen", tfjsonpath.New("url"), compare.ValuesSame())
	}
	sameID := func(service string) statecheck.StateCheck {
		return statecheck.CompareValuePairs(
			"data."+service+"_webhook.seen", tfjsonpath.New("id"),
			service+"_webhook.seen", tfjsonpath.New("id"), compare.ValuesSame())
	}

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config: ownWritesConfig(m, false),
				ConfigStateChecks: []statecheck.StateCheck{
					// The lists taken before the creates, in the same process, do not hold them...
					statecheck.ExpectKnownValue("data.sellfern_webhooks.before", tfjsonpath.New("webhooks"), knownvalue.ListSizeExact(3)),
					statecheck.ExpectKnownValue("data.selsup_webhooks.before", tfjsonpath.New("webhooks"), knownvalue.ListSizeExact(3)),
					// ...and every read after them sees them.
					sameID("sellfern"), sameURL("sellfern"),
					sameID("selsup"), sameURL("selsup"),
					statecheck.ExpectKnownValue("data.sellfern_webhooks.after", tfjsonpath.New("webhooks"), knownvalue.ListSizeExact(4)),
					statecheck.ExpectKnownValue("data.selsup_webhooks.after", tfjsonpath.New("webhooks"), knownvalue.ListSizeExact(4)),
					listHoldsResource("data.sellfern_webhooks.after", "sellfern_webhook.seen"),
					listHoldsResource("data.selsup_webhooks.after", "selsup_webhook.seen"),
				},
			},
			{
				Config: ownWritesConfig(m, true),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("sellfern_webhook.seen", plancheck.ResourceActionUpdate),
						plancheck.ExpectResourceAction("sellfern_webhook.trigger", plancheck.ResourceActionCreate),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					// "mid" was listed after the trigger's create and before the update...
					statecheck.ExpectKnownValue("data.sellfern_webhooks.mid", tfjsonpath.New("webhooks"), knownvalue.ListSizeExact(5)),
					listHoldsURL("data.sellfern_webhooks.mid", "https://hooks.example.com/seen"),
					// ...and the read after the update, in the same process, sees the new URL, not the listed one.
					statecheck.ExpectKnownValue("sellfern_webhook.seen", tfjsonpath.New("url"), knownvalue.StringExact("https://hooks.example.com/seen/v2/5")),
					sameID("sellfern"), sameURL("sellfern"),
					listHoldsURL("data.sellfern_webhooks.after", "https://hooks.example.com/seen/v2/5"),
					sellfernMatchesMock(m, "sellfern_webhook.seen", true),
				},
			},
		},
	})
}

// TestRefreshCost_clientCache: the clients' shared list, without Terraform. Concurrent reads share one list; a read
// after any write by the same client lists again and sees the write; a read with no write between is served from
// the list.
func TestRefreshCost_clientCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := accMock(t, mockserver.Options{})
	m.SellfernPut(mockserver.SellfernWebhook{URL: "https://other.example.com/0", Events: []string{"order.updated"}, Enabled: true})
	m.SelSupPut(mockserver.SelSupWebhook{URL: "https://other.example.com/0", Types: []string{"ORDER"}})

	t.Run("sellfern", func(t *testing.T) {
		c, err := sellfern.New(sellfern.Config{Token: mockserver.DemoSellfernToken, Settings: sellfern.Settings{BaseURL: m.SellfernBaseURL()}})
		if err != nil {
			t.Fatal(err)
		}
		lists := listCounter(t, m, "sellfern.list")

		concurrently(t, 16, func() error { _, err := c.ListWebhooks(ctx); return err })
		lists.expect(1, "16 concurrent reads on a new client")
		if _, err := c.ListWebhooks(ctx); err != nil {
			t.Fatal(err)
		}
		lists.expect(0, "a read with no write since the last list")

		created, err := c.CreateWebhook(ctx, sellfern.CreateRequest{URL: "https://hooks.example.com/own", Events: []string{"order.created"}})
		if err != nil {
			t.Fatal(err)
		}
		lists.reset()
		if _, err := c.GetWebhook(ctx, created.ID); err != nil {
			t.Fatalf("reading the webhook this client just created: %v", err)
		}
		lists.expect(1, "a read after a create")

		newURL := "https://hooks.example.com/own/v2"
		if err := c.UpdateWebhook(ctx, created.ID, sellfern.UpdateRequest{URL: &newURL}); err != nil {
			t.Fatal(err)
		}
		if got, err := c.GetWebhook(ctx, created.ID); err != nil || got.URL != newURL {
			t.Fatalf("after the update, read %+v, %v; want url %s", got, err, newURL)
		}
		lists.expect(1, "a read after an update")

		if err := c.DeleteWebhook(ctx, created.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetWebhook(ctx, created.ID); !sellfern.IsNotFound(err) {
			t.Fatalf("after the delete, reading it gave %v; want not found", err)
		}
		lists.expect(1, "a read after a delete")
		hooks, err := c.ListWebhooks(ctx)
		if err != nil || len(hooks) != 1 {
			t.Fatalf("after the delete, the list holds %d webhooks (%v); want only the one made outside", len(hooks), err)
		}
		lists.expect(0, "a second read after the delete")
	})

	t.Run("selsup", func(t *testing.T) {
		c, err := selsup.New(selsup.Config{APIKey: mockserver.DemoSelSupKey, Settings: selsup.Settings{BaseURL: m.SelSupBaseURL()}})
		if err != nil {
			t.Fatal(err)
		}
		lists := listCounter(t, m, "selsup.list")

		concurrently(t, 16, func() error { _, err := c.ListWebhooks(ctx); return err })
		lists.expect(1, "16 concurrent reads on a new client")

		created, err := c.CreateWebhook(ctx, selsup.CreateRequest{URL: "https://hooks.example.com/own", Types: []string{"ORDER"}})
		if err != nil {
			t.Fatal(err)
		}
		lists.reset()
		if _, err := c.GetWebhook(ctx, created.ID); err != nil {
			t.Fatalf("reading the webhook this client just created: %v", err)
		}
		lists.expect(1, "a read after a create")
		if _, err := c.GetWebhook(ctx, created.ID); err != nil {
			t.Fatal(err)
		}
		lists.expect(0, "a second read with no write between")

		if err := c.DeleteWebhook(ctx, created.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetWebhook(ctx, created.ID); !selsup.IsNotFound(err) {
			t.Fatalf("after the delete, reading it gave %v; want not found", err)
		}
		lists.expect(1, "a read after a delete")
	})
}

// --- helpers ---

// planCheckFunc adapts a function into a plancheck.PlanCheck.
type planCheckFunc func(*tfjson.Plan) error

func (f planCheckFunc) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	resp.Error = f(req.Plan)
}

// requestWindow counts the mock's requests between two plan checks.
type requestWindow struct {
	m      *mockserver.Server
	before mockserver.Stats
}

// open checks what the mock counted since the step's PreConfig reset its counters (want per route, and total),
// then starts counting from here.
func (w *requestWindow) open(what string, want map[string]int, total int) plancheck.PlanCheck {
	return planCheckFunc(func(*tfjson.Plan) error {
		now := w.m.Stats()
		w.before = now
		return compareRequests(what, now, mockserver.Stats{}, want, total)
	})
}

// close checks what the mock counted since open.
func (w *requestWindow) close(what string, want map[string]int, total int) plancheck.PlanCheck {
	return planCheckFunc(func(*tfjson.Plan) error {
		return compareRequests(what, w.m.Stats(), w.before, want, total)
	})
}

func compareRequests(what string, now, before mockserver.Stats, want map[string]int, total int) error {
	var problems []string
	for route, n := range want {
		if got := now.Requests[route] - before.Requests[route]; got != n {
			problems = append(problems, fmt.Sprintf("%s: %d requests, want %d", route, got, n))
		}
	}
	if got := now.Total - before.Total; got != total {
		problems = append(problems, fmt.Sprintf("%d requests in all, want %d (%v)", got, total, delta(now, before)))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s: %s", what, strings.Join(problems, "; "))
	}
	return nil
}

func delta(now, before mockserver.Stats) map[string]int {
	out := map[string]int{}
	for route, n := range now.Requests {
		if d := n - before.Requests[route]; d != 0 {
			out[route] = d
		}
	}
	return out
}

// requestsWithin checks upper bounds per route and in all, since the step's PreConfig reset the counters.
func requestsWithin(m *mockserver.Server, most map[string]int, total int) error {
	s := m.Stats()
	for route, n := range most {
		if got := s.Requests[route]; got > n {
			return fmt.Errorf("mock route %s: %d requests, want at most %d", route, got, n)
		}
	}
	if s.Total > total {
		return fmt.Errorf("%d requests in all, want at most %d (%v)", s.Total, total, s.Requests)
	}
	return nil
}

// listEntries returns the objects of a list data source's "webhooks".
func listEntries(state *tfjson.State, address string) ([]map[string]any, error) {
	v, err := resourceValues(state, address)
	if err != nil {
		return nil, err
	}
	items, _ := v["webhooks"].([]any)
	out := make([]map[string]any, 0, len(items))
	for _, item := range items {
		if obj, ok := item.(map[string]any); ok {
			out = append(out, obj)
		}
	}
	return out, nil
}

// listHoldsResource checks that a list data source holds the webhook a resource manages.
func listHoldsResource(list, address string) statecheck.StateCheck {
	return stateCheckFunc(func(state *tfjson.State) error {
		v, err := resourceValues(state, address)
		if err != nil {
			return err
		}
		entries, err := listEntries(state, list)
		if err != nil {
			return err
		}
		id := fmt.Sprint(v["id"])
		if !slices.ContainsFunc(entries, func(e map[string]any) bool { return fmt.Sprint(e["id"]) == id }) {
			return fmt.Errorf("%s does not hold %s (id %s), which the same apply created before reading it", list, address, id)
		}
		return nil
	})
}

// listHoldsURL checks that a list data source holds a webhook with this URL.
func listHoldsURL(list, url string) statecheck.StateCheck {
	return stateCheckFunc(func(state *tfjson.State) error {
		entries, err := listEntries(state, list)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(entries, func(e map[string]any) bool { return e["url"] == url }) {
			return fmt.Errorf("%s holds no webhook with url %s", list, url)
		}
		return nil
	})
}

// listCounts follows one route's count on the mock and the client's own count of its lists, which must agree.
type listCounts struct {
	t     *testing.T
	m     *mockserver.Server
	route string
	mock  int
}

func listCounter(t *testing.T, m *mockserver.Server, route string) *listCounts {
	l := &listCounts{t: t, m: m, route: route}
	l.reset()
	return l
}

func (l *listCounts) reset() { l.mock = l.m.Count(l.route) }

// expect checks that exactly n lists reached the mock since the last expect or reset.
func (l *listCounts) expect(n int, after string) {
	l.t.Helper()
	mock := l.m.Count(l.route)
	if mock-l.mock != n {
		l.t.Errorf("%s: %d %s requests reached the mock; want %d", after, mock-l.mock, l.route, n)
	}
	l.mock = mock
}

// concurrently runs f in n goroutines released together.
func concurrently(t *testing.T, n int, f func() error) {
	t.Helper()
	var start, done sync.WaitGroup
	start.Add(1)
	errs := make(chan error, n)
	for range n {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			errs <- f()
		}()
	}
	start.Done()
	done.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
