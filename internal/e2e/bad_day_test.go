package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unicode"

	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/seed/terraform-provider-webhooks/internal/apitest"
	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/tfrun"
)

// The tests in this file are a careful user's bad day with the real CLI: a list that fails or holds one page of a
// longer list, text from the server that would write to the terminal, webhooks left by an interrupted apply. Each
// proves that nothing leaves state, nothing is duplicated, and the user reads what happened.

// badDayConfig is 3 Sellfern webhooks and 1 SelSup webhook.
const badDayConfig = `
resource "sellfern_webhook" "hooks" {
  provider = webhooks
  count    = 3
  url      = "https://hooks.example.com/bad-day/${count.index}"
  events   = ["order.created"]
}

resource "selsup_webhook" "hook" {
  provider = webhooks
  name     = "Заказы"
  url      = "https://hooks.example.com/bad-day/selsup"
  types    = ["ORDER"]
}
`

// holdsAll fails unless the mock and the state both hold exactly the configuration's 3 + 1 webhooks.
func holdsAll(t *testing.T, ws workspaceRunner, m *mockserver.Server, when string) {
	t.Helper()
	if a, b := len(m.SellfernWebhooks()), len(m.SelSupWebhooks()); a != 3 || b != 1 {
		t.Fatalf("%s: the mock holds %d Sellfern and %d SelSup webhooks, want 3 and 1", when, a, b)
	}
	if n := len(showState(t, ws.ws)); n != 4 {
		t.Fatalf("%s: state holds %d webhooks, want 4", when, n)
	}
}

// TestAccFailedListIsNeverGone: a list answered 404 (a gateway's maintenance page), or a base URL with a path the
// API does not serve, is an error that names the call; it never reads as "every webhook was deleted". State keeps
// every webhook, and the next plan with the service back proposes nothing. A destroy with -refresh=false against
// the wrong base URL fails instead of reporting four deletes that did not happen; a webhook deleted outside is
// destroyed once the list confirms it is gone.
func TestAccFailedListIsNeverGone(t *testing.T) {
	requireAcc(t)
	m := apitest.StartMock(t, mockserver.Options{Seed: 16})
	ws := workspaceRunner{t: t, ws: workspace(t, m)}
	writeConfig(t, ws.ws, badDayConfig)
	ws.run(0, "init")
	ws.run(0, "apply", "-auto-approve")

	m.SetNotServed(true)
	out := ws.run(1, "apply", "-refresh-only", "-auto-approve")
	wantAll(t, out, "Error: Could not read Sellfern webhook", "answered GET /sellfern/api/v2/webhooks with HTTP 404",
		"the base URL does not serve Sellfern's webhooks API there", "none is taken to be gone",
		"sellfern.base_url", "Error: Could not read SelSup webhook", "answered GET /selsup/api/webhook/ with HTTP 404")
	if strings.Contains(out, "has been deleted") {
		t.Fatalf("a failed list was read as deleted webhooks:\n%s", out)
	}
	holdsAll(t, ws, m, "after a refresh against a 404")
	m.SetNotServed(false)
	ws.run(0, "plan", "-detailed-exitcode")

	// The wrong base URL: every call 404s, the delete's confirming list too.
	wrong := *ws.ws
	wrong.Env = slices.Clone(ws.ws.Env)
	for i, kv := range wrong.Env {
		switch {
		case strings.HasPrefix(kv, "SELLFERN_BASE_URL="):
			wrong.Env[i] = "SELLFERN_BASE_URL=" + m.URL() + "/sellfern/v1"
		case strings.HasPrefix(kv, "SELSUP_BASE_URL="):
			wrong.Env[i] = "SELSUP_BASE_URL=" + m.URL() + "/selsup/v1"
		}
	}
	out = workspaceRunner{t: t, ws: &wrong}.run(1, "destroy", "-refresh=false", "-auto-approve")
	wantAll(t, out, "Error: Could not delete Sellfern webhook", "answered DELETE /sellfern/v1/api/v2/webhooks/",
		"with HTTP 404", "and the list of webhooks that would show whether", "is gone failed as well",
		"Error: Could not delete SelSup webhook")
	if strings.Contains(out, "Destroy complete") {
		t.Fatalf("a destroy against the wrong base URL reported success:\n%s", out)
	}
	holdsAll(t, ws, m, "after a destroy against the wrong base URL")

	// A webhook deleted outside Terraform: Sellfern answers its DELETE 404, the list confirms it is gone.
	m.SellfernDelete(m.SellfernWebhooks()[0].ID)
	m.ResetStats()
	out = ws.run(0, "destroy", "-refresh=false", "-auto-approve")
	wantAll(t, out, "Destroy complete! Resources: 4 destroyed.")
	if a, b := len(m.SellfernWebhooks()), len(m.SelSupWebhooks()); a != 0 || b != 0 {
		t.Fatalf("after the destroy the mock holds %d + %d webhooks", a, b)
	}
	if n := m.Count("sellfern.list"); n != 1 {
		t.Fatalf("%d Sellfern lists to confirm one webhook gone, want 1", n)
	}
}

// TestAccPagedListIsAnError: a list that says more follows (Sellfern's "has_more" and "next_cursor", SelSup's Link
// rel="next") is an error naming what it saw; read as complete it would plan the missing webhooks again.
func TestAccPagedListIsAnError(t *testing.T) {
	requireAcc(t)
	m := apitest.StartMock(t, mockserver.Options{Seed: 17})
	ws := workspaceRunner{t: t, ws: workspace(t, m)}
	writeConfig(t, ws.ws, badDayConfig+`
resource "selsup_webhook" "more" {
  provider = webhooks
  count    = 2
  url      = "https://hooks.example.com/bad-day/selsup/${count.index}"
  types    = ["ORDER"]
}
`)
	ws.run(0, "init")
	ws.run(0, "apply", "-auto-approve")
	m.SetPageSize(2)
	out := ws.run(1, "plan")
	wantAll(t, out, "Error: Could not read Sellfern webhook", "but only part of the list of webhooks: the answer says more follows",
		`"has_more": true`, "the provider does not follow pages, which Sellfern's API does not document",
		"Error: Could not read SelSup webhook", `a Link header with rel="next"`)
	if strings.Contains(out, "will be created") {
		t.Fatalf("a page was read as the whole list:\n%s", out)
	}
	m.SetPageSize(0)
	ws.run(0, "plan", "-detailed-exitcode")
	if a, b := len(m.SellfernWebhooks()), len(m.SelSupWebhooks()); a != 3 || b != 3 {
		t.Fatalf("the mock holds %d Sellfern and %d SelSup webhooks, want 3 and 3", a, b)
	}
}

// hostile is text a server (or another user of the account) might choose to write to someone's terminal: a
// window title, colour, a forged line of Terraform's own output, and a right-to-left override.
const hostile = "\x1b]0;pwned\x07\x1b[31m\nlist.selsup_webhook.all   id=9999   FORGED\nAction complete: 9 invoked.\u202etxt"

// noRawControls fails if out holds a character a terminal acts on, or a bidi control, anywhere but in the line
// structure Terraform itself writes.
func noRawControls(t *testing.T, command, out string) {
	t.Helper()
	if i := strings.IndexFunc(out, func(r rune) bool {
		return (unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r') || unicode.Is(unicode.Cf, r)
	}); i >= 0 {
		t.Fatalf("%s printed a raw %U: %q", command, []rune(out[i:])[0], out[max(0, i-80):min(len(out), i+80)])
	}
	for line := range strings.SplitSeq(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "list.selsup_webhook.all   id=9999") || strings.HasPrefix(line, "Action complete: 9") {
			t.Fatalf("%s printed a forged line: %q", command, line)
		}
	}
}

// TestAccServerTextIsEscaped: names, URLs and delivery ids that came from a server are shown with control and
// bidi characters escaped, by terraform query and by the action; state keeps them exactly. A listed webhook whose
// configuration the provider would refuse is named in a warning with the reason; one the service allows and the
// provider once refused (a name of 300 characters) is listed, adopted and planned like any other.
func TestAccServerTextIsEscaped(t *testing.T) {
	requireAcc(t)
	m := apitest.StartMock(t, mockserver.Options{Seed: 18})
	ws := workspaceRunner{t: t, ws: workspace(t, m)}
	apitest.SkipBelow(t, ws.ws.Terraform, tfversion.Version1_14_0)
	long := strings.Repeat("Длинное имя ", 25) // 300 characters
	bad := m.SelSupPut(mockserver.SelSupWebhook{Name: "evil" + hostile, URL: "https://hooks.example.com/hostile/name", Types: []string{"ORDER"}})
	ok := m.SelSupPut(mockserver.SelSupWebhook{Name: long, URL: "https://hooks.example.com/fine/long", Types: []string{"ORDER"}})
	sf := m.SellfernPut(mockserver.SellfernWebhook{URL: "https://hooks.example.com/hostile/" + hostile, Events: []string{"order.created"}, Enabled: true})
	writeConfig(t, ws.ws, "")
	if err := os.WriteFile(filepath.Join(ws.ws.ConfigDir, "find.tfquery.hcl"), []byte(`
list "selsup_webhook" "all" {
  provider = webhooks
}

list "sellfern_webhook" "all" {
  provider = webhooks
}

list "selsup_webhook" "fine" {
  provider         = webhooks
  include_resource = true
  config {
    url_prefix = "https://hooks.example.com/fine/"
  }
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	ws.run(0, "init")
	out := ws.run(0, "query")
	noRawControls(t, "terraform query", out)
	wantAll(t, out, fmt.Sprintf("id=%d", bad.ID), `evil\x1b]0;pwned\x07\x1b[31m\nlist.selsup_webhook.all   id=9999   FORGED\nAction complete: 9 invoked.\u202etxt`,
		"id="+sf.ID, `https://hooks.example.com/hostile/\x1b]0;pwned`,
		fmt.Sprintf("Warning: Found a SelSup webhook that cannot be adopted as it is: %d", bad.ID), "Warning: Found a Sellfern webhook that cannot be adopted as it is: "+sf.ID,
		fmt.Sprintf("SelSup webhook %d", bad.ID), "name: The name must not contain control characters",
		"Sellfern webhook "+sf.ID, "url: The URL must not contain white space or control characters.",
		fmt.Sprintf("id=%d", ok.ID), "Длинное имя")

	// The 300-character name is adopted as it is: the generated configuration plans an import and nothing else.
	if err := os.WriteFile(filepath.Join(ws.ws.ConfigDir, "find.tfquery.hcl"), []byte(`
list "selsup_webhook" "fine" {
  provider = webhooks
  config {
    url_prefix = "https://hooks.example.com/fine/"
  }
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	out = ws.run(0, "query", "-generate-config-out=generated.tf")
	noRawControls(t, "terraform query -generate-config-out", out)
	out = ws.run(0, "apply", "-auto-approve")
	wantAll(t, out, "Apply complete! Resources: 1 imported, 0 added, 0 changed, 0 destroyed.")
	ws.run(0, "plan", "-detailed-exitcode")

	// The action shows the delivery id the server chose, escaped.
	m.SetSellfernDeliveryIDSuffix(hostile)
	if err := os.WriteFile(filepath.Join(ws.ws.ConfigDir, "action.tf"), []byte(fmt.Sprintf(`
action "sellfern_send_test_event" "hostile" {
  provider = webhooks
  config {
    webhook_id = %q
  }
}
`, sf.ID)), 0o644); err != nil {
		t.Fatal(err)
	}
	out = ws.run(0, "apply", "-auto-approve", "-invoke=action.sellfern_send_test_event.hostile")
	noRawControls(t, "terraform apply -invoke", out)
	wantAll(t, out, `test delivery dl_`, `\x1b]0;pwned\x07\x1b[31m\nlist.selsup_webhook.all`)
}

// TestAccIdenticalWebhooksAreNamed: webhooks with the same url and events that the account already holds, which
// no state records (left by an interrupted apply, or made by hand), are named in a warning when the create meets
// them in the list that judges it, with what to do. They are never touched.
func TestAccIdenticalWebhooksAreNamed(t *testing.T) {
	requireAcc(t)
	m := apitest.StartMock(t, mockserver.Options{Seed: 19})
	left := []mockserver.SellfernWebhook{
		m.SellfernPut(mockserver.SellfernWebhook{URL: "https://hooks.example.com/bad-day/0", Events: []string{"order.created"}, Enabled: true}),
		m.SellfernPut(mockserver.SellfernWebhook{URL: "https://HOOKS.example.com/bad-day/0", Events: []string{"order.created"}, Enabled: true}),
	}
	leftSelSup := m.SelSupPut(mockserver.SelSupWebhook{Name: "Заказы", URL: "https://hooks.example.com/bad-day/selsup", Types: []string{"ORDER"}})
	other := m.SellfernPut(mockserver.SellfernWebhook{URL: "https://hooks.example.com/bad-day/1", Events: []string{"ticket.created"}, Enabled: true})
	ws := workspaceRunner{t: t, ws: workspace(t, m)}
	writeConfig(t, ws.ws, badDayConfig)
	ws.run(0, "init")
	out := ws.run(0, "apply", "-auto-approve")
	wantAll(t, out, "Warning: Sellfern webhooks identical to the new", "already exist: "+left[0].ID+", "+left[1].ID,
		"already held 2 webhook(s) with the same url and events", "The provider left them alone",
		"A configuration may manage identical webhooks on purpose", "its signing secret cannot be recovered",
		"Warning: SelSup webhooks identical to the new", fmt.Sprintf("already exist: %d", leftSelSup.ID))
	if strings.Contains(out, other.ID) {
		t.Fatalf("a webhook with other events was named identical:\n%s", out)
	}
	for _, w := range append(left, other) {
		if _, ok := m.SellfernWebhook(w.ID); !ok {
			t.Fatalf("webhook %s was touched", w.ID)
		}
	}
	if len(m.SellfernWebhooks()) != 6 || len(m.SelSupWebhooks()) != 2 {
		t.Fatalf("the mock holds %d + %d webhooks, want 6 + 2", len(m.SellfernWebhooks()), len(m.SelSupWebhooks()))
	}
	// A second apply in another process creates nothing and warns of nothing.
	out = ws.run(0, "apply", "-auto-approve")
	if strings.Contains(out, "Identical") {
		t.Fatalf("an apply that creates nothing warned:\n%s", out)
	}
}

// workspaceRunner runs commands in one workspace and fails the test on an unexpected exit code.
type workspaceRunner struct {
	t  *testing.T
	ws *tfrun.Workspace
}

func (w workspaceRunner) run(want int, args ...string) string {
	w.t.Helper()
	var transcript strings.Builder
	return terraform(w.t, w.ws, &transcript, want, args...)
}

// wantAll fails unless out holds every fragment, whatever line breaks Terraform wrapped it with.
func wantAll(t *testing.T, out string, fragments ...string) {
	t.Helper()
	flat := strings.Join(strings.Fields(strings.ReplaceAll(out, "│", " ")), " ")
	for _, f := range fragments {
		if !strings.Contains(flat, strings.Join(strings.Fields(f), " ")) {
			t.Errorf("the output lacks %q:\n%s", f, out)
		}
	}
}

// TestAccKilledProviderLeavesNothingSilent: the provider is killed (SIGKILL, nothing to clean up) while creates
// are in flight, after the service made them. Those webhooks exist with no state recording them, and their
// secrets are lost. The re-apply creates the configuration's webhooks again and names every such webhook in a
// warning, touching none.
func TestAccKilledProviderLeavesNothingSilent(t *testing.T) {
	requireAcc(t)
	const n = 12
	m := mockserver.New(mockserver.Options{Seed: 21})
	// The provider is killed while the creates of the first wave are carried out and unanswered.
	held := holdCreates(t, m, 5)
	ws := workspaceRunner{t: t, ws: held.workspace(t)}
	writeConfig(t, ws.ws, fmt.Sprintf(`
resource "sellfern_webhook" "x" {
  provider = webhooks
  count    = %d
  url      = "https://hooks.example.com/killed/${count.index}"
  events   = ["order.created"]
}
`, n))
	ws.run(0, "init")
	cmd, applyOut := held.applyUntilInFlight(t, ws.ws)
	killed := 0
	for _, pid := range childrenOf(t, cmd.Process.Pid) {
		if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); strings.Contains(filepath.Base(exe), "terraform-provider-webhooks") {
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed++
		}
	}
	if killed == 0 {
		_ = cmd.Process.Kill()
		t.Fatal("found no provider process to kill")
	}
	held.release()
	if err := cmd.Wait(); err == nil {
		t.Fatalf("an apply whose provider was killed succeeded:\n%s", applyOut.String())
	}

	inState := map[string]bool{}
	for _, r := range showState(t, ws.ws) {
		inState[fmt.Sprint(r.Values["id"])] = true
	}
	var orphans []string
	for _, w := range m.SellfernWebhooks() {
		if !inState[w.ID] {
			orphans = append(orphans, w.ID)
		}
	}
	if len(orphans) == 0 {
		t.Fatal("the kill left no webhook outside state: the test proves nothing")
	}
	out := ws.run(0, "apply", "-auto-approve")
	wantAll(t, out, "Warning: Sellfern webhooks identical to the new", "left by an interrupted or killed apply")
	for _, id := range orphans {
		if !strings.Contains(out, id) {
			t.Errorf("the re-apply does not name %s, which no state records", id)
		}
		if !strings.Contains(out, "already exist: ") || !namedInASummary(out, id) {
			t.Errorf("%s is not named in a warning's summary, where Terraform would not fold it away", id)
		}
		if _, ok := m.SellfernWebhook(id); !ok {
			t.Errorf("webhook %s, which the provider cannot prove its own, was deleted", id)
		}
	}
	if got, want := len(m.SellfernWebhooks()), n+len(orphans); got != want {
		t.Fatalf("the mock holds %d webhooks, want the %d configured and the %d left", got, n, len(orphans))
	}
	t.Logf("killed the provider with %d webhooks made and unrecorded; the re-apply named them: %v", len(orphans), orphans)
}

// childrenOf lists the processes whose parent is pid (Linux: /proc).
func childrenOf(t *testing.T, pid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The fields after the command name, which is in parentheses and may hold spaces: state, then ppid.
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			out = append(out, child)
		}
	}
	return out
}

// namedInASummary reports whether id appears in the first line of one of the warnings Terraform printed.
func namedInASummary(out, id string) bool {
	for line := range strings.SplitSeq(out, "\n") {
		if strings.Contains(line, "Warning: ") && strings.Contains(line, id) {
			return true
		}
	}
	return false
}
