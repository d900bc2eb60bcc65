package provider

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/sellfern"
)

// TestAccSellfernDataSources: sellfern_webhook by id (never a secret), sellfern_webhooks listing every webhook
// in a stable order whatever order the API answers in, sellfern_webhook_deliveries after a test delivery sent
// through the client, and the not-found errors.
func TestAccSellfernDataSources(t *testing.T) {
	m := accMock(t, mockserver.Options{Shuffle: true})
	// Made in this order, so that the list's documented order (oldest first) is known.
	first := m.SellfernPut(mockserver.SellfernWebhook{URL: "https://hooks.example.com/a", Events: []string{"order.created", "ticket.created"}, Enabled: true,
		CreatedAt: time.Date(2026, 5, 22, 10, 0, 0, 0, time.UTC)})
	second := m.SellfernPut(mockserver.SellfernWebhook{URL: "https://hooks.example.com/b", Events: []string{"expense.created"}, Enabled: false,
		CreatedAt: time.Date(2026, 5, 22, 10, 0, 1, 0, time.UTC)})

	// A test event, sent the way a user's tooling would, gives the deliveries data source something to show.
	client, err := sellfern.New(sellfern.Config{Token: mockserver.DemoSellfernToken, Settings: sellfern.Settings{BaseURL: m.SellfernBaseURL(), UserAgent: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	answer, err := client.SendTest(context.Background(), first.ID)
	if err != nil || answer == nil || answer.Delivery == nil {
		t.Fatalf("send test: %v %v", answer, err)
	}
	sent := answer.Delivery

	cfg := providerConfig(m) + fmt.Sprintf(`
data "sellfern_webhook" "first" {
  provider = webhooks
  id       = %q
}

data "sellfern_webhooks" "all" {
  provider = webhooks
}

data "sellfern_webhook_deliveries" "first" {
  provider   = webhooks
  webhook_id = %q
}
`, first.ID, first.ID)
	all := tfjsonpath.New("webhooks")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.sellfern_webhook.first", tfjsonpath.New("url"), knownvalue.StringExact(first.URL)),
					statecheck.ExpectKnownValue("data.sellfern_webhook.first", tfjsonpath.New("events"), knownvalue.SetExact([]knownvalue.Check{
						knownvalue.StringExact("order.created"), knownvalue.StringExact("ticket.created"),
					})),
					statecheck.ExpectKnownValue("data.sellfern_webhook.first", tfjsonpath.New("enabled"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue("data.sellfern_webhook.first", tfjsonpath.New("created_at"), knownvalue.NotNull()),
					statecheck.ExpectKnownValue("data.sellfern_webhooks.all", all, knownvalue.ListSizeExact(2)),
					statecheck.ExpectKnownValue("data.sellfern_webhooks.all", all.AtSliceIndex(0).AtMapKey("id"), knownvalue.StringExact(first.ID)),
					statecheck.ExpectKnownValue("data.sellfern_webhooks.all", all.AtSliceIndex(1).AtMapKey("id"), knownvalue.StringExact(second.ID)),
					statecheck.ExpectKnownValue("data.sellfern_webhooks.all", all.AtSliceIndex(1).AtMapKey("enabled"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue("data.sellfern_webhook_deliveries.first", tfjsonpath.New("deliveries"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.ObjectExact(map[string]knownvalue.Check{
							"id":          knownvalue.StringExact(sent.ID),
							"event":       knownvalue.StringExact(sent.Event),
							"status_code": knownvalue.Int64Exact(200),
							"success":     knownvalue.Bool(true),
							"error":       knownvalue.StringExact(""),
							"created_at":  knownvalue.StringRegexp(regexp.MustCompile(`^\d{4}-`)),
						}),
					})),
				},
			},
			{
				// Listed again in another random order: the data sources' results are the same, so nothing changes.
				Config:   cfg,
				PlanOnly: true,
			},
			{
				Config: providerConfig(m) + `
data "sellfern_webhook" "missing" {
  provider = webhooks
  id       = "wh_0000000000000000"
}
`,
				ExpectError: errorContaining(`Sellfern webhook not found`, `Sellfern has no webhook with id "wh_0000000000000000"`),
			},
		},
	})
}

// TestAccSelSupDataSources: selsup_webhook by id and selsup_webhooks sorted by id, with a Cyrillic name intact
// and types null when the list does not carry them.
func TestAccSelSupDataSources(t *testing.T) {
	m := accMock(t, mockserver.Options{Shuffle: true})
	a := m.SelSupPut(mockserver.SelSupWebhook{Name: cyrillicName, URL: "https://hooks.example.com/a", OrganizationID: 5, Types: []string{"ORDER", "CREATE_ORDER"}})
	b := m.SelSupPut(mockserver.SelSupWebhook{URL: "http://hooks.example.com/b", Types: []string{"CREATE_PRODUCT"}})
	cfg := providerConfig(m) + fmt.Sprintf(`
data "selsup_webhook" "a" {
  provider = webhooks
  id       = "%d"
}

data "selsup_webhooks" "all" {
  provider = webhooks
}
`, a.ID)
	all := tfjsonpath.New("webhooks")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.selsup_webhook.a", tfjsonpath.New("name"), knownvalue.StringExact(cyrillicName)),
					statecheck.ExpectKnownValue("data.selsup_webhook.a", tfjsonpath.New("url"), knownvalue.StringExact(a.URL)),
					statecheck.ExpectKnownValue("data.selsup_webhook.a", tfjsonpath.New("organization_id"), knownvalue.Int64Exact(5)),
					statecheck.ExpectKnownValue("data.selsup_webhook.a", tfjsonpath.New("client_id"), knownvalue.Int64Exact(mockserver.DemoSelSupClientID)),
					statecheck.ExpectKnownValue("data.selsup_webhook.a", tfjsonpath.New("types"), knownvalue.SetExact([]knownvalue.Check{
						knownvalue.StringExact("ORDER"), knownvalue.StringExact("CREATE_ORDER"),
					})),
					statecheck.ExpectKnownValue("data.selsup_webhooks.all", all, knownvalue.ListSizeExact(2)),
					statecheck.ExpectKnownValue("data.selsup_webhooks.all", all.AtSliceIndex(0).AtMapKey("id"), knownvalue.StringExact(fmt.Sprint(a.ID))),
					statecheck.ExpectKnownValue("data.selsup_webhooks.all", all.AtSliceIndex(1).AtMapKey("id"), knownvalue.StringExact(fmt.Sprint(b.ID))),
					statecheck.ExpectKnownValue("data.selsup_webhooks.all", all.AtSliceIndex(1).AtMapKey("name"), knownvalue.Null()),
					statecheck.ExpectKnownValue("data.selsup_webhooks.all", all.AtSliceIndex(1).AtMapKey("organization_id"), knownvalue.Null()),
				},
			},
			{
				PreConfig: func() { m.SetSelSupOmitTypes(true) },
				Config:    cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.selsup_webhook.a", tfjsonpath.New("types"), knownvalue.Null()),
				},
			},
			{
				Config: providerConfig(m) + `
data "selsup_webhook" "missing" {
  provider = webhooks
  id       = "424242"
}
`,
				ExpectError: errorContaining(`SelSup webhook not found`, `SelSup has no webhook with id 424242`),
			},
		},
	})
}
