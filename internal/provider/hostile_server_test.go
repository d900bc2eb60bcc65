package provider

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

// The tests in this file run real Terraform against a mock that misbehaves as a real service may on a bad day:
// answers that say success but carry failure, a twin made by someone else while a create's answer is lost, URLs
// stored in another spelling, ids that name a path, lists that never come back. Each proves that the provider
// neither loses, duplicates nor takes a webhook, and says what happened.

// answer makes route's answers canned, or real again (body "").
func answer(m *mockserver.Server, route, body string) func() {
	return func() {
		if body == "" {
			m.SetAnswer(route, nil)
			return
		}
		m.SetAnswer(route, &mockserver.Answer{Body: body})
	}
}

// mockCheck runs check before a step, failing the test at once when the mock does not hold what it says.
func mockCheck(t *testing.T, check func() error, then ...func()) func() {
	return func() {
		if err := check(); err != nil {
			t.Fatal(err)
		}
		for _, f := range then {
			f()
		}
	}
}

// TestAccHostileServer_sellfernSaysItFailed: a Sellfern answer whose status is 200 but whose body says the call
// failed, or lacks what the call promises, stops the plan or apply with the call, the status and the body's own
// words. It is never read as "no webhooks" (which would plan a duplicate and lose the secret in state), nor as
// "updated" or "deleted" while the server is unchanged.
func TestAccHostileServer_sellfernSaysItFailed(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	cfg := func(url string) string {
		return sellfernConfig(m, fmt.Sprintf("  url    = %q\n  events = [\"order.created\"]\n", url))
	}
	first, second := "https://hooks.example.com/hostile", "https://hooks.example.com/hostile/v2"
	refreshFails := func(body string, want ...string) resource.TestStep {
		return resource.TestStep{
			PreConfig: answer(m, "sellfern.list", body), Config: cfg(first), PlanOnly: true,
			ExpectError: errorContaining(append([]string{"Could not read Sellfern webhook",
				"Sellfern API answered GET", "api/v2/webhooks with HTTP 200 but"}, want...)...),
		}
	}
	withoutEnabled := func() {
		w := m.SellfernWebhooks()[0]
		answer(m, "sellfern.list", fmt.Sprintf(`{"success":true,"data":[{"id":%q,"url":%q,"events":["order.created"],"created_at":%q}]}`,
			w.ID, w.URL, w.CreatedAt.UTC().Format(time.RFC3339)))()
	}
	holdsURL := func(url string) func() error {
		return func() error {
			if hooks := m.SellfernWebhooks(); len(hooks) != 1 || hooks[0].URL != url {
				return fmt.Errorf("the mock holds %+v; want one webhook with url %s", hooks, url)
			}
			return nil
		}
	}

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{Config: cfg(first)},
			refreshFails(`{"success":false,"error":{"code":"internal","message":"database unavailable"}}`,
				`"success" is false (internal: database unavailable), so the call did not do what was asked`),
			refreshFails(`{"success":true,"data":null}`, `no "data" (it is absent or null), where the list of webhooks belongs`),
			refreshFails(`{}`, `"success" is missing`),
			{
				PreConfig: withoutEnabled, Config: cfg(first), PlanOnly: true,
				ExpectError: errorContaining("Could not read Sellfern webhook", `webhook 1 of the list has no "enabled"`),
			},
			{
				// A PATCH answered 200 {"success": false}: the apply fails, and the server keeps the old URL.
				PreConfig: func() {
					answer(m, "sellfern.list", "")()
					answer(m, "sellfern.update", `{"success":false,"error":{"code":"locked","message":"try again later"}}`)()
				},
				Config: cfg(second),
				ExpectError: errorContaining("Could not update Sellfern webhook", "Sellfern API answered PATCH", "api/v2/webhooks/",
					`with HTTP 200 but "success" is false (locked: try again later)`),
			},
			{
				PreConfig: mockCheck(t, holdsURL(first), answer(m, "sellfern.update", "")),
				Config:    cfg(second),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(sellfernAddr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{sellfernMatchesMock(m, sellfernAddr, true)},
			},
			{
				// A DELETE answered 200 {"success": false}: the destroy fails and the webhook stays in state.
				PreConfig:   answer(m, "sellfern.delete", `{"success":false,"error":{"code":"locked","message":"try again later"}}`),
				Config:      providerConfig(m),
				ExpectError: errorContaining("Could not delete Sellfern webhook", `with HTTP 200 but "success" is false (locked: try again later)`),
			},
			{
				PreConfig: mockCheck(t, holdsURL(second), answer(m, "sellfern.delete", "")),
				Config:    providerConfig(m),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(sellfernAddr, plancheck.ResourceActionDestroy)},
				},
				ConfigStateChecks: []statecheck.StateCheck{mockHolds(m, 0, 0)},
			},
		},
	})
}

// TestAccHostileServer_selsupSaysItFailed: a SelSup list answered 200 with null, with an error body, or with a
// webhook whose id is null stops the plan; a delete answered 200 with an error body fails the destroy.
func TestAccHostileServer_selsupSaysItFailed(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	cfg := selsupConfig(m, "  url   = \"https://hooks.example.com/hostile\"\n  types = [\"ORDER\"]\n")
	refreshFails := func(body string, want ...string) resource.TestStep {
		return resource.TestStep{
			PreConfig: answer(m, "selsup.list", body), Config: cfg, PlanOnly: true,
			ExpectError: errorContaining(append([]string{"Could not read SelSup webhook",
				"SelSup API answered GET", "api/webhook/ with HTTP 200 but"}, want...)...),
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{Config: cfg},
			refreshFails(`null`, `not the list of webhooks: "null"`),
			refreshFails(`{"error":"INTERNAL_ERROR","message":"db down"}`, `not the list of webhooks: an error body (INTERNAL_ERROR: db down)`),
			refreshFails(`[{"id":null,"url":"https://hooks.example.com/hostile","types":["ORDER"]}]`, `webhook 1 of the list has no "id"`),
			{
				PreConfig: func() {
					answer(m, "selsup.list", "")()
					answer(m, "selsup.delete", `{"error":"LOCKED","localMessage":"Вебхук заблокирован"}`)()
				},
				Config: providerConfig(m),
				ExpectError: errorContaining("Could not delete SelSup webhook",
					"SelSup API answered DELETE", "api/webhook/", "with HTTP 200 but an error body (LOCKED: Вебхук заблокирован), so the webhook was not deleted"),
			},
			{
				PreConfig:         mockCheck(t, func() error { return holds(m, 0, 1) }, answer(m, "selsup.delete", "")),
				Config:            providerConfig(m),
				ConfigStateChecks: []statecheck.StateCheck{mockHolds(m, 0, 0)},
			},
		},
	})
}

func holds(m *mockserver.Server, sellfern, selsup int) error {
	if a, b := len(m.SellfernWebhooks()), len(m.SelSupWebhooks()); a != sellfern || b != selsup {
		return fmt.Errorf("the mock holds %d Sellfern and %d SelSup webhooks; want %d and %d", a, b, sellfern, selsup)
	}
	return nil
}

// TestAccHostileServer_twinDuringLostCreate: while a create's every answer is lost, someone else makes an identical
// webhook (another environment with the same receiver). Nothing tells the two apart, so the provider deletes or
// adopts neither: the apply fails naming both, and both are still on the server. (Sellfern's re-sends carry the
// create's key, so they add no third webhook.)
func TestAccHostileServer_twinDuringLostCreate(t *testing.T) {
	for _, svc := range []string{"Sellfern", "SelSup"} {
		t.Run(svc, func(t *testing.T) {
			m := accMock(t, mockserver.Options{})
			m.SetTwin(true, 0)
			m.SetFaults(mockserver.FaultOptions{Rate: 1, AfterCommitRatio: 1, Kinds: []mockserver.FaultKind{mockserver.Fault503},
				Routes: []string{"sellfern.create", "selsup.create"}})
			config := sellfernConfig(m, "  url    = \"https://hooks.example.com/twin\"\n  events = [\"order.created\"]\n")
			wantSellfern, wantSelSup := 2, 0
			want := errorContaining("Could not create Sellfern webhook", "did not settle: its request was sent 5 time(s) with Idempotency-Key",
				"Identical webhooks that no state of this run records appeared meanwhile:", "One of them may be the one this create made",
				"nothing tells them apart")
			if svc == "SelSup" {
				config = selsupConfig(m, "  url   = \"https://hooks.example.com/twin\"\n  types = [\"ORDER\"]\n")
				wantSellfern, wantSelSup = 0, 2
				want = errorContaining("Could not create SelSup webhook", "was lost, and meanwhile 2 identical webhooks appeared (ids",
					"nothing tells them apart, so the provider left them all alone", "If one of them is this configuration's")
			}
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccFactories,
				Steps: []resource.TestStep{
					{
						Config:      config,
						ExpectError: want,
					},
					{
						// Both are there: the other environment's webhook was not taken.
						PreConfig: mockCheck(t, func() error { return holds(m, wantSellfern, wantSelSup) }, func() {
							m.SetFaults(mockserver.FaultOptions{})
							m.SetTwin(false, 0)
						}),
						Config:            providerConfig(m),
						ConfigStateChecks: []statecheck.StateCheck{mockHolds(m, wantSellfern, wantSelSup)},
					},
				},
			})
		})
	}
}

// TestAccHostileServer_sellfernTwinMadeBeforeTheAttempt: a webhook someone else made, which the list shows only
// once the create is under way, is not the create's own although it matches and is new to the list: the re-send of
// the create with its key makes the create's own. Its owner keeps it.
func TestAccHostileServer_sellfernTwinMadeBeforeTheAttempt(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	const url = "https://hooks.example.com/older-twin"
	var once sync.Once
	var theirs mockserver.SellfernWebhook
	m.SetFaults(mockserver.FaultOptions{Rate: 1, Kinds: []mockserver.FaultKind{mockserver.Fault503}, Routes: []string{"sellfern.create"}})
	m.OnRequest(func(route string) {
		if route != "sellfern.create" {
			return
		}
		// This first create fails before anything is stored, as an older identical webhook comes into view.
		once.Do(func() {
			theirs = m.SellfernPut(mockserver.SellfernWebhook{URL: url, Events: []string{"order.created"}, Enabled: true,
				CreatedAt: time.Now().UTC().Add(-time.Minute).Truncate(time.Second)})
			m.SetFaults(mockserver.FaultOptions{})
		})
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{{
			Config: sellfernConfig(m, fmt.Sprintf("  url    = %q\n  events = [\"order.created\"]\n", url)),
			ConfigStateChecks: []statecheck.StateCheck{
				mockHolds(m, 2, 0),
				mockCounts(m, map[string]int{"sellfern.create": 2, "sellfern.delete": 0}),
				stateCheckFunc(func(s *tfjson.State) error {
					v, err := resourceValues(s, sellfernAddr)
					if err != nil {
						return err
					}
					if _, ok := m.SellfernWebhook(theirs.ID); !ok || v["id"] == theirs.ID {
						return fmt.Errorf("the older webhook %s was taken (state id %v, still held: %v)", theirs.ID, v["id"], ok)
					}
					return nil
				}),
				sellfernMatchesMock(m, sellfernAddr, true),
			},
		}},
	})
}

// TestAccHostileServer_normalizedURLs: a service that stores URLs in its own spelling (host in lower case, a
// default port dropped) shows no change on the next plan, and state keeps the configured spelling.
func TestAccHostileServer_normalizedURLs(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	m.SetNormalizeURLs(true)
	cfg := providerConfig(m) + `
resource "sellfern_webhook" "test" {
  provider = webhooks
  url      = "https://Hooks.Example.com:443/Orders"
  events   = ["order.created"]
}

resource "selsup_webhook" "test" {
  provider = webhooks
  url      = "https://Hooks.Example.com/SelSup"
  types    = ["ORDER"]
}
`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("url"), knownvalue.StringExact("https://Hooks.Example.com:443/Orders")),
					statecheck.ExpectKnownValue(selsupAddr, tfjsonpath.New("url"), knownvalue.StringExact("https://Hooks.Example.com/SelSup")),
					stateCheckFunc(func(*tfjson.State) error {
						if a, b := m.SellfernWebhooks()[0].URL, m.SelSupWebhooks()[0].URL; a != "https://hooks.example.com/Orders" || b != "https://hooks.example.com/SelSup" {
							return fmt.Errorf("the mock stored %q and %q; the test needs the service's own spelling", a, b)
						}
						return nil
					}),
				},
			},
			{Config: cfg, PlanOnly: true},
		},
	})
}

// TestAccHostileServer_lostCreateWithNormalizedURL: a create whose answer is lost is never left behind as an
// untracked duplicate when the service stores its URL in its own spelling. Sellfern answers the re-send, made with
// the create's Idempotency-Key, with the webhook the first request made; SelSup's is recognised in the list in its
// spelling and adopted. Nothing is deleted.
func TestAccHostileServer_lostCreateWithNormalizedURL(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	m.SetNormalizeURLs(true)
	var mu sync.Mutex
	lost := []string{"sellfern.create", "selsup.create"} // the first create of each service is lost after commit
	m.SetFaults(mockserver.FaultOptions{Rate: 1, AfterCommitRatio: 1, Kinds: []mockserver.FaultKind{mockserver.Fault503}, Routes: lost})
	m.OnRequest(func(route string) {
		mu.Lock()
		defer mu.Unlock()
		if i := slices.Index(lost, route); i >= 0 {
			lost = slices.Delete(lost, i, i+1)
			m.SetFaults(mockserver.FaultOptions{Rate: 1, AfterCommitRatio: 1, Kinds: []mockserver.FaultKind{mockserver.Fault503}, Routes: slices.Clone(lost)})
		}
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{{
			Config: providerConfig(m) + `
resource "sellfern_webhook" "test" {
  provider = webhooks
  url      = "https://Hooks.Example.com/Lost"
  events   = ["order.created"]
}

resource "selsup_webhook" "test" {
  provider = webhooks
  url      = "https://Hooks.Example.com:443/Lost"
  types    = ["ORDER"]
}
`,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				mockHolds(m, 1, 1),
				mockCounts(m, map[string]int{"sellfern.create": 2, "sellfern.delete": 0, "selsup.create": 1, "selsup.delete": 0}),
				sellfernMatchesMockURL(m),
			},
		}},
	})
}

// sellfernMatchesMockURL checks that the Sellfern webhook in state is the one the mock holds, secret included.
func sellfernMatchesMockURL(m *mockserver.Server) statecheck.StateCheck {
	return stateCheckFunc(func(s *tfjson.State) error {
		v, err := resourceValues(s, sellfernAddr)
		if err != nil {
			return err
		}
		w, ok := m.SellfernWebhook(fmt.Sprint(v["id"]))
		if !ok || v["secret"] != w.Secret {
			return fmt.Errorf("state holds %v, which is not the webhook the mock holds with its secret", v["id"])
		}
		return nil
	})
}

// TestAccHostileServer_idThatIsAPath: a create answer naming the id "wh/../victim" is refused. Sent on, behind a
// server that cleans paths, the PATCH that sets enabled = false would have reached the webhook "victim".
func TestAccHostileServer_idThatIsAPath(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	victim := m.SellfernPut(mockserver.SellfernWebhook{ID: "victim", URL: "https://hooks.example.com/victim", Events: []string{"order.created"}, Enabled: true})
	m.SetCleanPaths(true)
	m.SetAnswer("sellfern.create", &mockserver.Answer{Status: 201, Body: `{"success":true,"data":{"id":"wh/../victim",` +
		`"url":"https://hooks.example.com/new","events":["order.created"],"enabled":true,"secret":"whsec_0123456789abcdef",` +
		`"created_at":"2026-11-29T00:00:00Z"}}`})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config: providerConfigWith(m, mockserver.DemoSellfernToken, mockserver.DemoSelSupKey, "max_retries = 1") + `
resource "sellfern_webhook" "test" {
  provider = webhooks
  url      = "https://hooks.example.com/new"
  events   = ["order.created"]
  enabled  = false
}
`,
				ExpectError: errorContaining("Could not create Sellfern webhook", "creating the Sellfern webhook for https://hooks.example.com/new did not settle: its request was sent 2 time(s)",
					`the webhook in "data" has an id that cannot be used ("wh/../victim" is not a Sellfern webhook id`),
			},
			{
				PreConfig: mockCheck(t, func() error {
					if got, _ := m.SellfernWebhook(victim.ID); !got.Enabled || got.URL != victim.URL {
						return fmt.Errorf("the webhook %q was changed: %+v", victim.ID, got)
					}
					return nil
				}),
				Config:            providerConfig(m),
				ConfigStateChecks: []statecheck.StateCheck{mockCounts(m, map[string]int{"sellfern.update": 0, "sellfern.delete": 0})},
			},
		},
	})
}
