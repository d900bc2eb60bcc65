package provider

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/sellfern"
)

// healthCheckExample is the delivery health check the deliveries page shows, as the page shows it: the data source
// scoped inside the check block, so that a failed read warns instead of stopping the run, and an assertion on the
// latest delivery's status code.
const healthCheckExample = "../../examples/data-sources/sellfern_webhook_deliveries/check.tf"

// healthCheckURL is the endpoint of the example's webhook.
const healthCheckURL = "https://hooks.example.com/sellfern/orders"

func healthCheckConfig(t *testing.T, m *mockserver.Server) string {
	t.Helper()
	example, err := os.ReadFile(healthCheckExample)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(example), strconv.Quote(healthCheckURL)) {
		t.Fatalf("%s no longer has the webhook at %s", healthCheckExample, healthCheckURL)
	}
	// No retries, so that the step whose reads all fail is quick.
	return providerConfigWith(m, mockserver.DemoSellfernToken, mockserver.DemoSelSupKey, "max_retries = 0") + string(example)
}

// checkStatus finds the status of check block name among a plan's or a state's check results.
func checkStatus(results []tfjson.CheckResultStatic, name string) (tfjson.CheckStatus, error) {
	for _, r := range results {
		if r.Address.Kind == tfjson.CheckKindCheckBlock && r.Address.Name == name {
			return r.Status, nil
		}
	}
	return "", fmt.Errorf("no result for check %q among %+v", name, results)
}

// healthCheck is the example's check block.
const healthCheck = "orders_endpoint_healthy"

// planCheckStatus checks the status a plan reports for the example's check block.
func planCheckStatus(want tfjson.CheckStatus) plancheck.PlanCheck {
	return planCheckFunc(func(p *tfjson.Plan) error {
		got, err := checkStatus(p.Checks, healthCheck)
		if err == nil && got != want {
			err = fmt.Errorf("the plan reports check %q as %q, want %q", healthCheck, got, want)
		}
		return err
	})
}

// stateCheckStatus checks the status the state records for the example's check block after an apply.
func stateCheckStatus(want tfjson.CheckStatus) statecheck.StateCheck {
	return stateCheckFunc(func(s *tfjson.State) error {
		got, err := checkStatus(s.Checks, healthCheck)
		if err == nil && got != want {
			err = fmt.Errorf("the state records check %q as %q, want %q", healthCheck, got, want)
		}
		return err
	})
}

// TestAccSellfernWebhook_deliveryHealthCheck: the documented check block over the webhook's deliveries. While the webhook is
// being created its id is unknown, so the data source is read during the apply, not the plan; a healthy endpoint
// passes; after a test event that the endpoint failed, plan and apply succeed with the check failed (a warning);
// once the endpoint answers again, it passes; a read that fails fails the check, its error shown as a warning,
// never a failed run. Every CLI tested has check blocks (Terraform 1.5, OpenTofu 1.6).
func TestAccSellfernWebhook_deliveryHealthCheck(t *testing.T) {
	const url = healthCheckURL
	// Sellfern dates deliveries to the second, and the data source orders deliveries of the same second by id, so
	// the seed is one whose later test delivery has the greater id: it is then the latest whether or not it falls in
	// the same second as the failed one (checked below, so that a change to the mock's ids cannot pass unnoticed).
	m := accMock(t, mockserver.Options{Seed: 1})
	client, err := sellfern.New(sellfern.Config{Token: mockserver.DemoSellfernToken, Settings: sellfern.Settings{BaseURL: m.SellfernBaseURL(), UserAgent: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	// sendTest sends a test event as Sellfern's dashboard or the action would, and checks what the endpoint answered.
	var failed string // the failed delivery's id
	sendTest := func(status int) string {
		t.Helper()
		hooks := m.SellfernWebhooks()
		if len(hooks) != 1 {
			t.Fatalf("the mock holds %d webhooks, want 1", len(hooks))
		}
		answer, err := client.SendTest(context.Background(), hooks[0].ID)
		if err != nil || answer.Delivery == nil || answer.Delivery.StatusCode != status {
			t.Fatalf("test event: %+v, %v; want a delivery answered %d", answer, err, status)
		}
		return answer.Delivery.ID
	}
	cfg := healthCheckConfig(t, m)
	// A data source in a check block is read again during every apply, to check what the apply left, so every plan
	// shows that read: the plans of this test are never empty, and the webhook is what must not change.
	webhookUnchanged := plancheck.ExpectResourceAction("sellfern_webhook.orders", plancheck.ResourceActionNoop)
	rereadDuringApply := plancheck.ExpectResourceAction("data.sellfern_webhook_deliveries.health", plancheck.ResourceActionRead)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config:             cfg,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{planCheckStatus(tfjson.CheckStatusUnknown)},
					PostApplyPostRefresh: []plancheck.PlanCheck{webhookUnchanged, rereadDuringApply, planCheckStatus(tfjson.CheckStatusPass)},
				},
				ConfigStateChecks: []statecheck.StateCheck{stateCheckStatus(tfjson.CheckStatusPass)},
			},
			{
				PreConfig: func() {
					m.SetSellfernEndpointFailure(url, http.StatusInternalServerError, "handler crashed: nil map")
					failed = sendTest(http.StatusInternalServerError)
				},
				Config:             cfg,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{webhookUnchanged, planCheckStatus(tfjson.CheckStatusFail)},
				},
				ConfigStateChecks: []statecheck.StateCheck{stateCheckStatus(tfjson.CheckStatusFail)},
			},
			{
				PreConfig: func() {
					m.SetSellfernEndpointFailure(url, http.StatusOK, "")
					if healthy := sendTest(http.StatusOK); healthy < failed {
						t.Fatalf("the healthy delivery %s sorts before the failed one %s: choose another seed", healthy, failed)
					}
				},
				Config:             cfg,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{planCheckStatus(tfjson.CheckStatusPass)},
				},
				ConfigStateChecks: []statecheck.StateCheck{stateCheckStatus(tfjson.CheckStatusPass)},
			},
			{
				PreConfig: func() {
					m.SetFaults(mockserver.FaultOptions{Rate: 1, Kinds: []mockserver.FaultKind{mockserver.Fault503}, Routes: []string{"sellfern.deliveries"}})
				},
				Config:             cfg,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{webhookUnchanged, planCheckStatus(tfjson.CheckStatusFail)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					stateCheckStatus(tfjson.CheckStatusFail),
					stateCheckFunc(func(*tfjson.State) error { m.SetFaults(mockserver.FaultOptions{}); return nil }),
				},
			},
		},
	})
}
