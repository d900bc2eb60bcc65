package provider

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/tfrun"
)

// TestAccSellfernWebhook_stateWrittenBeforeRotateWhenChanged: state written by a provider that did not have
// rotate_when_changed (the attribute is absent from the stored object, as an older release leaves it) upgrades with
// no change planned; the argument added later is recorded without a replacement or an API call. plugin-testing
// cannot edit state between steps, so this test drives the CLI itself, on the state file it writes.
func TestAccSellfernWebhook_stateWrittenBeforeRotateWhenChanged(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("Acceptance tests skipped unless env 'TF_ACC' set")
	}
	cli, err := tfrun.DefaultCLI()
	if err != nil {
		t.Fatal(err)
	}
	m := accMock(t, mockserver.Options{})
	ws := cliWorkspace(t, cli)
	write := func(rotate string) {
		t.Helper()
		body := "  url    = \"https://hooks.example.com/upgraded\"\n  events = [\"order.created\"]\n" + rotate
		if err := os.WriteFile(filepath.Join(ws.ConfigDir, "main.tf"), []byte(sellfernConfig(m, body)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	run := func(want int, args ...string) string {
		t.Helper()
		res, err := ws.Run(context.Background(), append(args, "-no-color")...)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("$ %s %s\n%s", filepath.Base(cli), strings.Join(args, " "), res.Output)
		if res.ExitCode != want {
			t.Fatalf("%s exited %d, want %d", strings.Join(args, " "), res.ExitCode, want)
		}
		return res.Output
	}

	write("")
	run(0, "init")
	run(0, "apply", "-auto-approve")
	id := m.SellfernWebhooks()[0].ID

	// Take the attribute out of the stored object, as state from before it existed lacks it.
	statePath := filepath.Join(ws.ConfigDir, "terraform.tfstate")
	raw, err := os.ReadFile(statePath)
	if err != nil {
		t.Fatal(err)
	}
	var state map[string]any
	if err := json.Unmarshal(raw, &state); err != nil {
		t.Fatal(err)
	}
	removed := 0
	for _, r := range state["resources"].([]any) {
		for _, inst := range r.(map[string]any)["instances"].([]any) {
			attrs := inst.(map[string]any)["attributes"].(map[string]any)
			if _, ok := attrs["rotate_when_changed"]; ok {
				delete(attrs, "rotate_when_changed")
				removed++
			}
		}
	}
	if removed != 1 {
		t.Fatalf("the state holds rotate_when_changed %d times, want once", removed)
	}
	state["serial"] = state["serial"].(float64) + 1
	if raw, err = json.MarshalIndent(state, "", "  "); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(statePath, raw, 0o600); err != nil {
		t.Fatal(err)
	}

	before := m.Stats().Requests
	if out := run(0, "plan", "-detailed-exitcode"); !strings.Contains(out, "No changes.") {
		t.Errorf("the plan on the older state is not empty")
	}

	write("\n  rotate_when_changed = { generation = \"1\" }\n")
	out := strings.Join(strings.Fields(run(0, "apply", "-auto-approve")), " ")
	for _, want := range []string{"will be updated in-place", `+ rotate_when_changed = { + "generation" = "1" }`,
		"Resources: 0 added, 1 changed, 0 destroyed."} {
		if !strings.Contains(out, want) {
			t.Errorf("the apply that adds rotate_when_changed lacks %q", want)
		}
	}
	after := m.Stats().Requests
	for _, route := range []string{"sellfern.create", "sellfern.update", "sellfern.delete"} {
		if after[route] != before[route] {
			t.Errorf("%s: %d calls, want none", route, after[route]-before[route])
		}
	}
	if hooks := m.SellfernWebhooks(); len(hooks) != 1 || hooks[0].ID != id {
		t.Errorf("the mock holds %+v, want webhook %s alone", hooks, id)
	}
	run(0, "plan", "-detailed-exitcode")
	run(0, "destroy", "-auto-approve")
}
