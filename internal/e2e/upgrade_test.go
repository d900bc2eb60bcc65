package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed/terraform-provider-webhooks/internal/apitest"
	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

// upgradeConfig is the configuration testdata/upgrade/v0.1.0.tfstate was applied with, by release 0.1.0 of the
// provider (the commit before rotate_when_changed, requests_per_second, number-typed organization_id and
// RFC 3339-typed created_at) on Terraform 1.11.4.
const upgradeConfig = `
resource "sellfern_webhook" "orders" {
  provider = webhooks
  url      = "https://hooks.example.com/upgrade/orders"
  events   = ["order.created", "order.status_changed"]
}

resource "sellfern_webhook" "paused" {
  provider = webhooks
  url      = "https://hooks.example.com/upgrade/paused"
  events   = ["ticket.created"]
  enabled  = false
}

resource "selsup_webhook" "orders" {
  provider        = webhooks
  name            = "Заказы"
  url             = "https://hooks.example.com/upgrade/selsup"
  types           = ["ORDER", "CREATE_ORDER"]
  organization_id = 42
}
`

// TestAccUpgradeFromTheLastRelease: state that the last release wrote, planned by this build against the same
// webhooks, shows no change, and an apply keeps every value as it was, the signing secrets included.
func TestAccUpgradeFromTheLastRelease(t *testing.T) {
	requireAcc(t)
	raw, err := os.ReadFile(filepath.Join("testdata", "upgrade", "v0.1.0.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	var old struct {
		Resources []struct {
			Type, Name string
			Instances  []struct {
				Attributes map[string]any `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(raw, &old); err != nil {
		t.Fatal(err)
	}
	// The mock holds the webhooks that state records, as the service would.
	m := apitest.StartMock(t, mockserver.Options{Seed: 20})
	for _, r := range old.Resources {
		a := r.Instances[0].Attributes
		switch r.Type {
		case "sellfern_webhook":
			created, err := time.Parse(time.RFC3339, a["created_at"].(string))
			if err != nil {
				t.Fatal(err)
			}
			var events []string
			for _, e := range a["events"].([]any) {
				events = append(events, e.(string))
			}
			m.SellfernPut(mockserver.SellfernWebhook{ID: a["id"].(string), URL: a["url"].(string), Events: events,
				Enabled: a["enabled"].(bool), Secret: a["secret"].(string), CreatedAt: created})
		case "selsup_webhook":
			var types []string
			for _, e := range a["types"].([]any) {
				types = append(types, e.(string))
			}
			id, _ := json.Number(strings.Trim(a["id"].(string), `"`)).Int64()
			m.SelSupPut(mockserver.SelSupWebhook{ID: id, Name: a["name"].(string), URL: a["url"].(string), Types: types,
				OrganizationID: int64(a["organization_id"].(float64)), ClientID: int64(a["client_id"].(float64))})
		}
	}
	ws := workspaceRunner{t: t, ws: workspace(t, m)}
	writeConfig(t, ws.ws, upgradeConfig)
	state := string(raw)
	if host := os.Getenv("TF_ACC_PROVIDER_HOST"); host != "" {
		// OpenTofu resolves seed/webhooks on its own registry, so its state names that address.
		state = strings.ReplaceAll(state, "registry.terraform.io/seed/webhooks", host+"/seed/webhooks")
	}
	if err := os.WriteFile(filepath.Join(ws.ws.ConfigDir, "terraform.tfstate"), []byte(state), 0o600); err != nil {
		t.Fatal(err)
	}
	ws.run(0, "init")
	out := ws.run(0, "plan", "-detailed-exitcode")
	wantAll(t, out, "No changes.")
	ws.run(0, "apply", "-auto-approve")
	for _, r := range old.Resources {
		now := showState(t, ws.ws)[r.Type+"."+r.Name].Values
		for k, v := range r.Instances[0].Attributes {
			if got, _ := json.Marshal(now[k]); string(got) != mustJSON(t, v) {
				if k == "secret" {
					got, v = []byte("another value"), "(sensitive)" // never in test output
				}
				t.Errorf("%s.%s: %s is %s after the upgrade, was %s", r.Type, r.Name, k, got, mustJSON(t, v))
			}
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
