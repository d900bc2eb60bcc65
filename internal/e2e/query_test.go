package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/seed/terraform-provider-webhooks/internal/apitest"
	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/tfrun"
)

// TestAccQueryGeneratesConfigThatImportsEverything is the adoption path of the docs' guide, with its example files
// (examples/guides/adopting-existing-webhooks) and the real CLI:
// `terraform query` finds every webhook of both accounts (one list call per service), `-generate-config-out`
// writes resource and import blocks for them, and applying that file as it is imports each webhook with nothing
// added, changed or destroyed, after which the plan is empty. The accounts hold a disabled Sellfern webhook and a
// SelSup webhook with a Cyrillic name, and the mock answers in random order.
func TestAccQueryGeneratesConfigThatImportsEverything(t *testing.T) {
	requireAcc(t)
	m := apitest.StartMock(t, mockserver.Options{Seed: 14, Shuffle: true})
	ws := workspace(t, m)
	apitest.SkipBelow(t, ws.Terraform, tfversion.Version1_14_0)
	var out strings.Builder

	sellfernHooks := []mockserver.SellfernWebhook{
		m.SellfernPut(mockserver.SellfernWebhook{URL: "https://hooks.example.com/orders", Events: []string{"order.created", "order.status_changed"}, Enabled: true}),
		m.SellfernPut(mockserver.SellfernWebhook{URL: "https://hooks.example.com/support", Events: []string{"ticket.updated", "ticket.created"}, Enabled: false}),
	}
	selsupHooks := []mockserver.SelSupWebhook{
		m.SelSupPut(mockserver.SelSupWebhook{Name: "Заказы → склад", URL: "https://hooks.example.com/selsup/orders", Types: []string{"ORDER_STATUS", "CREATE_ORDER"}, OrganizationID: 42}),
		m.SelSupPut(mockserver.SelSupWebhook{URL: "https://hooks.example.com/selsup/products", Types: []string{"CREATE_PRODUCT"}}),
	}
	total := len(sellfernHooks) + len(selsupHooks)

	// The guide's own files: the configuration and the query that finds every webhook.
	if err := ws.CopyConfig(filepath.Join(examplesRoot, "guides", "adopting-existing-webhooks")); err != nil {
		t.Fatal(err)
	}
	terraform(t, ws, &out, 0, "init")

	before := m.Stats()
	found := terraform(t, ws, &out, 0, "query")
	for _, w := range sellfernHooks {
		wantLine(t, found, "list.sellfern_webhook.sellfern", "id="+w.ID, w.URL)
	}
	for _, w := range selsupHooks {
		name := w.Name
		if name == "" {
			name = w.URL
		}
		wantLine(t, found, "list.selsup_webhook.selsup", fmt.Sprintf("id=%d", w.ID), name)
	}
	after := m.Stats()
	for _, route := range []string{"sellfern.list", "selsup.list"} {
		if n := after.Requests[route] - before.Requests[route]; n != 1 {
			t.Errorf("the query made %d %s calls, want 1", n, route)
		}
	}

	terraform(t, ws, &out, 0, "query", "-generate-config-out=generated.tf")
	generated, err := os.ReadFile(filepath.Join(ws.ConfigDir, "generated.tf"))
	if err != nil {
		t.Fatal(err)
	}
	gen := string(generated)
	t.Logf("generated.tf:\n%s", gen)
	for _, want := range []string{`name            = "Заказы → склад"`, `enabled  = false`, `organization_id = 42`} {
		if !strings.Contains(gen, want) {
			t.Errorf("generated.tf lacks %s", want)
		}
	}
	// Every resource and import block names its provider, or Terraform would look for hashicorp/sellfern.
	blocks := regexp.MustCompile(`(?m)^(resource "\w+" "\w+"|import) \{`).FindAllString(gen, -1)
	providers := regexp.MustCompile(`(?m)^  provider += webhooks$`).FindAllString(gen, -1)
	if len(blocks) != 2*total || len(providers) != len(blocks) {
		t.Errorf("generated.tf has %d resource and import blocks and %d provider lines, want %d of each", len(blocks), len(providers), 2*total)
	}
	if strings.Contains(gen, "secret") {
		t.Error("generated.tf mentions the secret, which no import can know")
	}

	before = m.Stats()
	applied := terraform(t, ws, &out, 0, "apply", "-auto-approve")
	if want := fmt.Sprintf("Apply complete! Resources: %d imported, 0 added, 0 changed, 0 destroyed.", total); !strings.Contains(applied, want) {
		t.Fatalf("apply of the generated configuration did not say %q:\n%s", want, applied)
	}
	if plan := terraform(t, ws, &out, 0, "plan", "-detailed-exitcode"); !strings.Contains(plan, "No changes.") {
		t.Fatalf("the plan after adopting everything is not empty:\n%s", plan)
	}
	after = m.Stats()
	for _, route := range []string{"sellfern.create", "sellfern.update", "sellfern.delete", "selsup.create", "selsup.delete"} {
		if n := after.Requests[route] - before.Requests[route]; n != 0 {
			t.Errorf("adopting the webhooks made %d %s calls", n, route)
		}
	}
	if n, k := len(m.SellfernWebhooks()), len(m.SelSupWebhooks()); n != len(sellfernHooks) || k != len(selsupHooks) {
		t.Errorf("the mock holds %d Sellfern and %d SelSup webhooks, want %d and %d", n, k, len(sellfernHooks), len(selsupHooks))
	}

	state := showState(t, ws)
	if len(state) != total {
		t.Fatalf("state holds %d resources, want %d", len(state), total)
	}
	for addr, r := range state {
		if id := fmt.Sprint(r.Values["id"]); r.Identity["id"] != id {
			t.Errorf("%s: identity %v, want {id = %q}", addr, r.Identity, id)
		}
		if strings.HasPrefix(addr, "sellfern_webhook.") && r.Values["secret"] != nil {
			t.Errorf("%s: a secret after import", addr)
		}
	}
}

// wantLine fails unless one line of the query's output holds every field.
func wantLine(t *testing.T, output string, fields ...string) {
	t.Helper()
	for line := range strings.SplitSeq(output, "\n") {
		if slices.ContainsFunc(fields, func(f string) bool { return !strings.Contains(line, f) }) {
			continue
		}
		return
	}
	t.Errorf("no line of the query's output holds %q:\n%s", fields, output)
}

type stateResource struct {
	Values   map[string]any `json:"values"`
	Identity map[string]any `json:"identity"`
}

// showState returns the managed resources in state by address, with their identities (`terraform show -json`).
func showState(t *testing.T, ws *tfrun.Workspace) map[string]stateResource {
	t.Helper()
	res, err := ws.Run(context.Background(), "show", "-json")
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("terraform show -json: %v (exit %d)", err, res.ExitCode)
	}
	var state struct {
		Values struct {
			RootModule struct {
				Resources []struct {
					stateResource
					Address string `json:"address"`
					Mode    string `json:"mode"`
				} `json:"resources"`
			} `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal([]byte(res.Output), &state); err != nil {
		t.Fatal(err)
	}
	out := map[string]stateResource{}
	for _, r := range state.Values.RootModule.Resources {
		if r.Mode == "managed" {
			out[r.Address] = r.stateResource
		}
	}
	return out
}
