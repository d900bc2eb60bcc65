package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/seed/terraform-provider-webhooks/internal/apitest"
	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

// migrationExample is the migration guide's example: import blocks with for_each over the data sources, and a
// removed block for what scripts left in state.
var migrationExample = filepath.Join(examplesRoot, "guides", "migrating-existing-webhooks")

// TestAccMigrationGuideAdoptsEveryWebhook follows the migration guide on any supported CLI, Terraform 1.11 and
// OpenTofu included. The accounts already hold every webhook the example's locals describe, made outside Terraform,
// and a state made by scripts records the Sellfern orders webhook in a terraform_data resource whose destroy-time
// provisioner would delete it. Applying the example as it is imports every webhook, forgets the script's resource
// without running that provisioner (the webhook is still there), and adds, changes and destroys nothing; the next
// plan is empty and warns of nothing. A webhook made outside Terraform afterwards is named by the example's check,
// as a warning.
func TestAccMigrationGuideAdoptsEveryWebhook(t *testing.T) {
	requireAcc(t)
	m := apitest.StartMock(t, mockserver.Options{Seed: 31, Shuffle: true})
	ws := exampleWorkspace(t, m)
	var out strings.Builder

	ex := readExample(t, migrationExample)
	sellfernHooks, selsupHooks := seedFromLocals(t, m, ex)
	total := len(sellfernHooks) + len(selsupHooks)
	orders, ok := sellfernHooks["orders"]
	if !ok {
		t.Fatal(`the example's local.sellfern_webhooks has no "orders", which its removed block is about`)
	}

	// Before: what the scripts left. Their resource deletes the webhook when destroyed, as a script's would.
	before := fmt.Sprintf(`
resource "terraform_data" "sellfern_orders_script" {
  input = %q

  provisioner "local-exec" {
    when    = destroy
    command = "curl -fsS -X DELETE -H \"Authorization: Bearer $SELLFERN_TOKEN\" \"$SELLFERN_BASE_URL/api/v2/webhooks/${self.input}?confirm=${self.input}\""
  }
}
`, orders)
	if err := os.WriteFile(filepath.Join(ws.ConfigDir, "main.tf"), []byte(before), 0o644); err != nil {
		t.Fatal(err)
	}
	terraform(t, ws, &out, 0, "init")
	terraform(t, ws, &out, 0, "apply", "-auto-approve")

	// The migration: the example replaces the scripts' configuration, in the same state.
	if err := os.Remove(filepath.Join(ws.ConfigDir, "main.tf")); err != nil {
		t.Fatal(err)
	}
	if err := ws.CopyConfig(migrationExample); err != nil {
		t.Fatal(err)
	}
	terraform(t, ws, &out, 0, "init")
	beforeMigration := m.Stats()
	applied := terraform(t, ws, &out, 0, "apply", "-auto-approve")
	// The one warning is the CLI's own about the removed block: the object is forgotten, not destroyed.
	if w := warningLine.FindAllString(applied, -1); len(w) != 1 ||
		!strings.Contains(w[0], "Some objects will no longer be managed by Terraform") && !strings.Contains(w[0], "Resource will be removed from the state") {
		t.Errorf("the migration's apply warned %q, want only the CLI's warning that the scripts' resource is forgotten", w)
	}
	if want := fmt.Sprintf("Resources: %d imported, 0 added, 0 changed, 0 destroyed", total); !strings.Contains(applied, want) {
		t.Fatalf("the migration's apply did not say %q:\n%s", want, applied)
	}
	after := m.Stats()
	for _, route := range []string{"sellfern.create", "sellfern.update", "sellfern.delete", "selsup.create", "selsup.delete"} {
		if n := after.Requests[route] - beforeMigration.Requests[route]; n != 0 {
			t.Errorf("the migration made %d %s calls", n, route)
		}
	}
	if _, ok := m.SellfernWebhook(orders); !ok {
		t.Fatal("the orders webhook is gone: the removed block ran the scripts' destroy-time provisioner")
	}

	state := showState(t, ws)
	if _, ok := state["terraform_data.sellfern_orders_script"]; ok {
		t.Error("the scripts' terraform_data is still in state after the removed block")
	}
	for name, id := range sellfernHooks {
		if got := fmt.Sprint(state[`sellfern_webhook.this["`+name+`"]`].Values["id"]); got != id {
			t.Errorf(`sellfern_webhook.this[%q] has id %s in state, want %s`, name, got, id)
		}
	}
	for name, id := range selsupHooks {
		if got := fmt.Sprint(state[`selsup_webhook.this["`+name+`"]`].Values["id"]); got != id {
			t.Errorf(`selsup_webhook.this[%q] has id %s in state, want %s`, name, got, id)
		}
	}

	plan := terraform(t, ws, &out, 0, "plan", "-detailed-exitcode")
	noWarning(t, "plan", plan)
	if !strings.Contains(plan, "No changes.") {
		t.Fatalf("the plan after the migration is not empty:\n%s", plan)
	}

	stray := m.SellfernPut(mockserver.SellfernWebhook{URL: "https://hooks.example.com/sellfern/forgotten", Events: []string{"order.created"}, Enabled: true})
	plan = terraform(t, ws, &out, 0, "plan", "-detailed-exitcode")
	if flat := strings.Join(strings.Fields(plan), " "); !strings.Contains(flat, "Webhooks this configuration does not manage: Sellfern "+stray.ID+" (https://hooks.example.com/sellfern/forgotten)") {
		t.Fatalf("the plan does not name the webhook nobody manages:\n%s", plan)
	}
}

// seedFromLocals stores on the mock every webhook the example's local.sellfern_webhooks and local.selsup_webhooks
// describe, as if made before Terraform managed them, and returns their ids by the name the locals give them.
func seedFromLocals(t *testing.T, m *mockserver.Server, ex *exampleConfig) (sellfernIDs, selsupIDs map[string]string) {
	t.Helper()
	sellfernIDs, selsupIDs = map[string]string{}, map[string]string{}
	get := func(v cty.Value, name string) cty.Value {
		if !v.Type().IsObjectType() || !v.Type().HasAttribute(name) {
			return cty.NullVal(cty.DynamicPseudoType)
		}
		return v.GetAttr(name)
	}
	strs := func(v cty.Value) []string {
		var out []string
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, e.AsString())
		}
		return out
	}
	for _, b := range ex.blocksOf("locals") {
		if a, ok := b.Body.Attributes["sellfern_webhooks"]; ok {
			for name, w := range literal(t, a).AsValueMap() {
				enabled := get(w, "enabled")
				hook := m.SellfernPut(mockserver.SellfernWebhook{URL: get(w, "url").AsString(), Events: strs(get(w, "events")),
					Enabled: enabled.IsNull() || enabled.True()})
				sellfernIDs[name] = hook.ID
			}
		}
		if a, ok := b.Body.Attributes["selsup_webhooks"]; ok {
			for name, w := range literal(t, a).AsValueMap() {
				hook := mockserver.SelSupWebhook{URL: get(w, "url").AsString(), Types: strs(get(w, "types"))}
				if v := get(w, "name"); !v.IsNull() {
					hook.Name = v.AsString()
				}
				if v := get(w, "organization_id"); !v.IsNull() {
					n, _ := v.AsBigFloat().Int64()
					hook.OrganizationID = n
				}
				selsupIDs[name] = strconv.FormatInt(m.SelSupPut(hook).ID, 10)
			}
		}
	}
	if len(sellfernIDs) == 0 || len(selsupIDs) == 0 {
		t.Fatalf("%s: no webhooks found in local.sellfern_webhooks and local.selsup_webhooks", ex.dir)
	}
	return sellfernIDs, selsupIDs
}
