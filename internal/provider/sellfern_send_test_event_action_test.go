package provider

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/seed/terraform-provider-webhooks/internal/apitest"
	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/sellfern"
)

// invocation is what one call of the action's Invoke produced.
type invocation struct {
	progress []string
	diags    diag.Diagnostics
}

func (inv invocation) text() string {
	var b strings.Builder
	for _, p := range inv.progress {
		b.WriteString("progress: " + p + "\n")
	}
	for _, d := range inv.diags {
		b.WriteString(d.Severity().String() + ": " + d.Summary() + ": " + d.Detail() + "\n")
	}
	return b.String()
}

// invokeAction calls the action's Invoke as the framework does, with a client for baseURL and token.
func invokeAction(t *testing.T, ctx context.Context, baseURL, token, webhookID string) invocation {
	t.Helper()
	client, err := sellfern.New(sellfern.Config{Token: token, Settings: sellfern.Settings{BaseURL: baseURL, UserAgent: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	a := &sellfernSendTestEventAction{}
	a.client = client
	var schemaResp action.SchemaResponse
	a.Schema(ctx, action.SchemaRequest{}, &schemaResp)
	config := tfsdk.Config{
		Schema: schemaResp.Schema,
		Raw: tftypes.NewValue(tftypes.Object{AttributeTypes: map[string]tftypes.Type{"webhook_id": tftypes.String}},
			map[string]tftypes.Value{"webhook_id": tftypes.NewValue(tftypes.String, webhookID)}),
	}
	var inv invocation
	resp := action.InvokeResponse{SendProgress: func(e action.InvokeProgressEvent) { inv.progress = append(inv.progress, e.Message) }}
	a.Invoke(ctx, action.InvokeRequest{Config: config}, &resp)
	inv.diags = resp.Diagnostics
	for _, d := range inv.diags {
		// Paragraphs are the diagnostics' own; anything else a message must not hold, it must not hold here either.
		if problem := apitest.MessageProblem(strings.ReplaceAll(d.Detail(), "\n", " "), token); problem != "" {
			t.Error(problem)
		}
	}
	return inv
}

// wantOutcome checks the severity of the diagnostics (error, warning or none) and that every fragment appears in
// the progress or the diagnostics.
func wantOutcome(t *testing.T, inv invocation, severity string, fragments ...string) {
	t.Helper()
	text := inv.text()
	switch {
	case severity == "error" && !inv.diags.HasError(),
		severity == "warning" && (inv.diags.HasError() || inv.diags.WarningsCount() == 0),
		severity == "" && len(inv.diags) > 0:
		t.Errorf("want outcome %q, got:\n%s", severity, text)
	}
	for _, f := range fragments {
		if !strings.Contains(text, f) {
			t.Errorf("the outcome lacks %q:\n%s", f, text)
		}
	}
}

// wantCalls checks how many test calls and deliveries look-ups the mock saw.
func wantCalls(t *testing.T, m *mockserver.Server, tests, lookups int) {
	t.Helper()
	if got := m.Count("sellfern.test"); got != tests {
		t.Errorf("the mock saw %d test calls, want %d", got, tests)
	}
	if got := m.Count("sellfern.deliveries"); got != lookups {
		t.Errorf("the mock saw %d deliveries look-ups, want %d", got, lookups)
	}
}

// TestSendTestEventInvoke runs the action's Invoke against the mock, without Terraform: each outcome, with the
// number of test calls (always one) and look-ups (one when the answer names no delivery) it costs.
func TestSendTestEventInvoke(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T) (*mockserver.Server, string) {
		m := apitest.StartMock(t, mockserver.Options{Seed: 12})
		w := m.SellfernPut(mockserver.SellfernWebhook{URL: "https://hooks.example.com/orders", Events: []string{"order.created"}, Enabled: true})
		return m, w.ID
	}

	t.Run("the endpoint works", func(t *testing.T) {
		m, id := setup(t)
		inv := invokeAction(t, ctx, m.SellfernBaseURL(), mockserver.DemoSellfernToken, id)
		d := m.SellfernDeliveries(id)
		if len(d) != 1 {
			t.Fatalf("the mock recorded %d deliveries, want 1", len(d))
		}
		wantOutcome(t, inv, "", "Sending a test event to Sellfern webhook "+id,
			"Sellfern webhook "+id+", test delivery "+d[0].ID+": the endpoint answered HTTP 200")
		wantCalls(t, m, 1, 0)
	})

	t.Run("the endpoint fails", func(t *testing.T) {
		m, id := setup(t)
		m.SetSellfernEndpointFailure("https://hooks.example.com/orders", http.StatusInternalServerError, "handler crashed: nil map")
		inv := invokeAction(t, ctx, m.SellfernBaseURL(), mockserver.DemoSellfernToken, id)
		wantOutcome(t, inv, "error", "Webhook endpoint failed the test event",
			"Sellfern webhook "+id+", test delivery dl_", "the endpoint answered HTTP 500: handler crashed: nil map")
		wantCalls(t, m, 1, 0)
	})

	t.Run("the endpoint cannot be reached", func(t *testing.T) {
		m, id := setup(t)
		m.SetSellfernEndpointFailure("https://hooks.example.com/orders", 0, "")
		inv := invokeAction(t, ctx, m.SellfernBaseURL(), mockserver.DemoSellfernToken, id)
		wantOutcome(t, inv, "error", "the endpoint gave no HTTP answer: the endpoint could not be reached")
		wantCalls(t, m, 1, 0)
	})

	t.Run("the answer names no delivery: it is looked up once", func(t *testing.T) {
		m, id := setup(t)
		m.SetSellfernTestOmitsDelivery(true)
		inv := invokeAction(t, ctx, m.SellfernBaseURL(), mockserver.DemoSellfernToken, id)
		wantOutcome(t, inv, "", "Sellfern's answer to the test call (HTTP 200) names no delivery; looking for it among the webhook's deliveries",
			"test delivery "+m.SellfernDeliveries(id)[0].ID+", found among its deliveries: the endpoint answered HTTP 200")
		wantCalls(t, m, 1, 1)
	})

	t.Run("the answer names no delivery, and the one looked up failed", func(t *testing.T) {
		m, id := setup(t)
		m.SetSellfernTestOmitsDelivery(true)
		m.SetSellfernEndpointFailure("https://hooks.example.com/orders", http.StatusGone, "")
		inv := invokeAction(t, ctx, m.SellfernBaseURL(), mockserver.DemoSellfernToken, id)
		wantOutcome(t, inv, "error", "found among its deliveries: the endpoint answered HTTP 410: the endpoint answered HTTP 410")
		wantCalls(t, m, 1, 1)
	})

	t.Run("unknown webhook", func(t *testing.T) {
		m, _ := setup(t)
		inv := invokeAction(t, ctx, m.SellfernBaseURL(), mockserver.DemoSellfernToken, "wh_0000000000000000")
		wantOutcome(t, inv, "error", "Sellfern webhook not found", `Sellfern has no webhook with id "wh_0000000000000000"`)
		wantCalls(t, m, 1, 0)
	})

	t.Run("5xx on the test call: never repeated", func(t *testing.T) {
		m, id := setup(t)
		m.SetFaults(mockserver.FaultOptions{Rate: 1, Kinds: []mockserver.FaultKind{mockserver.Fault503}, Routes: []string{"sellfern.test"}})
		inv := invokeAction(t, ctx, m.SellfernBaseURL(), mockserver.DemoSellfernToken, id)
		wantOutcome(t, inv, "error", "Could not send a Sellfern test event", "HTTP 503", "the test call was not repeated")
		wantCalls(t, m, 1, 0)
	})

	t.Run("token without the scope", func(t *testing.T) {
		m, id := setup(t)
		inv := invokeAction(t, ctx, m.SellfernBaseURL(), mockserver.NoScopeSellfernToken, id)
		wantOutcome(t, inv, "error", "HTTP 403 missing_scope", "webhooks:manage", "SELLFERN_TOKEN")
		wantCalls(t, m, 1, 0)
	})

	t.Run("an id that cannot be one sends nothing", func(t *testing.T) {
		m, _ := setup(t)
		inv := invokeAction(t, ctx, m.SellfernBaseURL(), mockserver.DemoSellfernToken, "..")
		wantOutcome(t, inv, "error", `".." is not a Sellfern webhook id`)
		wantCalls(t, m, 0, 0)
	})
}

// TestSendTestEventAnswers covers the answers the mock never gives: a refusal with "success": false, and an answer
// without a delivery when the deliveries list holds none made since the call (or cannot be read).
func TestSendTestEventAnswers(t *testing.T) {
	old := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	for _, tc := range []struct {
		name, testStatus, testBody, deliveries string
		severity                               string
		want                                   []string
		lookups                                int
	}{
		{name: "refused", testBody: `{"success":false,"error":{"code":"endpoint_disabled","message":"the webhook is paused"}}`,
			severity: "error", lookups: 1,
			want: []string{"Sellfern test event failed", `Sellfern answered the test call for webhook "wh_1" with HTTP 200 and "success": false: endpoint_disabled: the webhook is paused.`}},
		{name: "refused, with the failed delivery", testBody: `{"success":false,"data":{"id":"dl_9","status_code":503,"error":"upstream down"}}`,
			severity: "error",
			want:     []string{`with HTTP 200 and "success": false. Sellfern webhook wh_1, test delivery dl_9: the endpoint answered HTTP 503: upstream down.`}},
		{name: "nothing new among the deliveries", testStatus: "202", deliveries: `{"success":true,"data":[{"id":"dl_old","status_code":200,"created_at":"` + old + `"}]}`,
			severity: "warning", lookups: 1,
			want: []string{"Sellfern test event sent, outcome unknown", "(HTTP 202), but its answer names no delivery, and the webhook's deliveries hold none made since the call",
				"The test call was not repeated."}},
		{name: "the look-up fails", deliveries: `<html>oops</html>`,
			severity: "warning", lookups: 1,
			want: []string{"looking for one among the webhook's deliveries failed: Sellfern API answered GET /api/v2/webhooks/wh_1/deliveries with HTTP 200 but a body that is not the documented JSON"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			tests, lookups := 0, 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				w.Header().Set("Content-Type", "application/json")
				switch r.Method + " " + r.URL.Path {
				case "POST /api/v2/webhooks/wh_1/test":
					tests++
					if tc.testStatus == "202" {
						w.WriteHeader(http.StatusAccepted)
					}
					io.WriteString(w, tc.testBody)
				case "GET /api/v2/webhooks/wh_1/deliveries":
					lookups++
					body := tc.deliveries
					if body == "" {
						body = `{"success":true,"data":[]}`
					}
					io.WriteString(w, body)
				default:
					t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
				}
			}))
			t.Cleanup(srv.Close)
			inv := invokeAction(t, context.Background(), srv.URL, mockserver.DemoSellfernToken, "wh_1")
			wantOutcome(t, inv, tc.severity, tc.want...)
			if tests != 1 || lookups != tc.lookups {
				t.Errorf("%d test calls and %d look-ups, want 1 and %d", tests, lookups, tc.lookups)
			}
		})
	}
}

// TestSendTestEventCancelled: Ctrl-C while Sellfern holds the test call's answer ends the invocation at once with
// an error that says the call was not repeated.
func TestSendTestEventCancelled(t *testing.T) {
	arrived := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan invocation, 1)
	go func() { done <- invokeAction(t, ctx, srv.URL, mockserver.DemoSellfernToken, "wh_1") }()
	<-arrived
	cancel()
	wantOutcome(t, <-done, "error", "Could not send a Sellfern test event", "context canceled", "the test call was not repeated")
}

// TestSendTestEventLookupCancelled: Ctrl-C during the look-up of a delivery ends the invocation with an error that
// says the test was sent and not repeated, not with a guess.
func TestSendTestEventLookupCancelled(t *testing.T) {
	arrived := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		close(arrived)
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan invocation, 1)
	go func() { done <- invokeAction(t, ctx, srv.URL, mockserver.DemoSellfernToken, "wh_1") }()
	<-arrived
	cancel()
	wantOutcome(t, <-done, "error", "Sellfern test event interrupted",
		`Sellfern answered the test call for webhook "wh_1" (HTTP 202), but the look-up of its delivery was interrupted`,
		"The test call was not repeated.")
}

// terraform116 is the first Terraform whose action configurations may refer to their triggering resource as caller.
var terraform116 = version.Must(version.NewVersion("1.16.0"))

// triggeredConfig is a webhook at url that tests itself after every create and update, the action naming it by
// webhookID (caller.id, or a reference to the webhook).
func triggeredConfig(m *mockserver.Server, url, webhookID string) string {
	return providerConfig(m) + fmt.Sprintf(`
resource "sellfern_webhook" "orders" {
  provider = webhooks
  url      = %q
  events   = ["order.created"]

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
    webhook_id = %s
  }
}
`, url, webhookID)
}

// testEvents checks, after an apply, how many test calls the mock has seen, and that the webhook in state has
// the deliveries they made, newest first, with the given status codes.
func testEvents(m *mockserver.Server, calls int, statuses ...int) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		if got := m.Count("sellfern.test"); got != calls {
			return fmt.Errorf("the mock saw %d test calls, want %d", got, calls)
		}
		rs, ok := s.RootModule().Resources["sellfern_webhook.orders"]
		if !ok {
			return fmt.Errorf("sellfern_webhook.orders is not in state")
		}
		ds := m.SellfernDeliveries(rs.Primary.ID)
		if len(ds) != len(statuses) {
			return fmt.Errorf("webhook %s has %d deliveries, want %d: %+v", rs.Primary.ID, len(ds), len(statuses), ds)
		}
		for i, d := range ds {
			if d.StatusCode != statuses[i] {
				return fmt.Errorf("delivery %d of webhook %s answered %d, want %d", i, rs.Primary.ID, d.StatusCode, statuses[i])
			}
		}
		return nil
	}
}

// triggeredSteps: a create sends one test event, an update one more (to the updated endpoint: the old one is
// broken by then), a plan with no change none, and an update to a broken endpoint fails the apply.
func triggeredSteps(m *mockserver.Server, webhookID string) []resource.TestStep {
	const first, second, broken = "https://hooks.example.com/first", "https://hooks.example.com/second", "https://hooks.example.com/broken"
	return []resource.TestStep{
		{
			Config: triggeredConfig(m, first, webhookID),
			Check:  testEvents(m, 1, 200),
		},
		{
			// Had the event gone out before the update, it would have reached the old endpoint, and failed.
			PreConfig: func() { m.SetSellfernEndpointFailure(first, http.StatusServiceUnavailable, "") },
			Config:    triggeredConfig(m, second, webhookID),
			Check:     testEvents(m, 2, 200, 200),
		},
		{
			// No change, so no trigger.
			Config: triggeredConfig(m, second, webhookID),
			Check:  testEvents(m, 2, 200, 200),
		},
		{
			PreConfig: func() {
				m.SetSellfernEndpointFailure(broken, http.StatusInternalServerError, "handler crashed: nil map")
			},
			Config:      triggeredConfig(m, broken, webhookID),
			ExpectError: errorContaining("Webhook endpoint failed the test event", "the endpoint answered HTTP 500: handler crashed: nil map"),
		},
		{
			// The update was made before its test failed, and state holds it: nothing to change, no trigger.
			Config: triggeredConfig(m, broken, webhookID),
			Check:  testEvents(m, 3, 500, 200, 200),
		},
	}
}

// TestAccSellfernSendTestEventTriggeredByCaller: the action triggered after create and update, naming the webhook
// as caller.id (Terraform 1.16 and later).
func TestAccSellfernSendTestEventTriggeredByCaller(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(terraform116)},
		ProtoV6ProviderFactories: testAccFactories,
		Steps:                    triggeredSteps(m, "caller.id"),
	})
}

// TestAccSellfernSendTestEventTriggeredByReference: the same with a reference to the webhook, the form Terraform
// 1.14 and 1.15 know (later versions accept it with a warning that suggests caller).
func TestAccSellfernSendTestEventTriggeredByReference(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		ProtoV6ProviderFactories: testAccFactories,
		Steps:                    triggeredSteps(m, "sellfern_webhook.orders.id"),
	})
}

// TestAccSellfernSendTestEventFailedCreate: a webhook whose endpoint fails its first test is created all the same,
// and kept in state, so that a fixed endpoint needs no new apply; the failed apply tested once.
func TestAccSellfernSendTestEventFailedCreate(t *testing.T) {
	const url = "https://hooks.example.com/not-yet"
	m := accMock(t, mockserver.Options{})
	m.SetSellfernEndpointFailure(url, 0, "")
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config:      triggeredConfig(m, url, "sellfern_webhook.orders.id"),
				ExpectError: errorContaining("Webhook endpoint failed the test event", "the endpoint gave no HTTP answer: the endpoint could not be reached"),
			},
			{
				PreConfig: func() { m.SetSellfernEndpointFailure(url, http.StatusOK, "") },
				Config:    triggeredConfig(m, url, "sellfern_webhook.orders.id"),
				Check: resource.ComposeAggregateTestCheckFunc(testEvents(m, 1, 0), func(*terraform.State) error {
					if n := len(m.SellfernWebhooks()); n != 1 {
						return fmt.Errorf("the mock holds %d webhooks, want 1", n)
					}
					return nil
				}),
			},
		},
	})
}

// TestAccSellfernSendTestEventPlanTime: a webhook_id that cannot be an id is refused by validation, before any
// call; an action is planned, not invoked, when nothing triggers it.
func TestAccSellfernSendTestEventPlanTime(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	configFor := func(id string) string {
		return providerConfig(m) + fmt.Sprintf(`
action "sellfern_send_test_event" "check" {
  provider = webhooks
  config {
    webhook_id = %q
  }
}
`, id)
	}
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{Config: configFor("wh_1/../wh_2"), PlanOnly: true, ExpectError: errorContaining("Invalid webhook_id", `"wh_1/../wh_2" is not a Sellfern webhook id`)},
			{Config: configFor(".."), PlanOnly: true, ExpectError: errorContaining("Invalid webhook_id", `".." is not a Sellfern webhook id`)},
			{Config: configFor(" "), PlanOnly: true, ExpectError: errorContaining("Invalid webhook_id", `" " is not a Sellfern webhook id`)},
			{
				Config: configFor("wh_0000000000000000"),
				Check: func(*terraform.State) error {
					if n := m.Stats().Total; n != 0 {
						return fmt.Errorf("the mock saw %d API calls, want none", n)
					}
					return nil
				},
			},
		},
	})
}
