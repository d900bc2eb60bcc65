// Package e2e runs the provider as users do: the binary built from this repository, installed from a filesystem
// mirror, driven by a real CLI (not the in-process harness), so that what the CLI logs and how it handles an
// interrupt are the real thing. The CLI is the one TF_ACC_TERRAFORM_PATH names, else terraform on PATH: the test
// matrix runs these tests under each of its CLIs, OpenTofu included.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/seed/terraform-provider-webhooks/internal/apitest"
	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/tfrun"
)

const version = "0.0.1"

var providerBinary string

func TestMain(m *testing.M) {
	if os.Getenv("TF_ACC") == "" {
		// Like the acceptance tests, these run real Terraform: only when asked to.
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "webhooks-e2e-")
	if err != nil {
		panic(err)
	}
	providerBinary = filepath.Join(dir, "terraform-provider-webhooks")
	build := exec.Command("go", "build", "-ldflags", "-X main.version="+version, "-o", providerBinary, "../..")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the provider:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func requireAcc(t *testing.T) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("set TF_ACC=1 to run tests that drive the real Terraform CLI")
	}
}

// workspace installs the provider and points it at the mock through the environment, as the docs describe.
func workspace(t *testing.T, m *mockserver.Server) *tfrun.Workspace {
	t.Helper()
	return workspaceAt(t, m.SellfernBaseURL(), m.SelSupBaseURL())
}

// workspaceAt is workspace with the services' base URLs given.
func workspaceAt(t *testing.T, sellfernURL, selsupURL string) *tfrun.Workspace {
	t.Helper()
	ws, err := tfrun.NewWorkspace(t.TempDir(), providerBinary, version)
	if err != nil {
		t.Fatal(err)
	}
	ws.Env = []string{
		// The provider processes on a machine share each account's pace through the user's cache directory: each
		// test has its own.
		"XDG_CACHE_HOME=" + t.TempDir(),
		"SELLFERN_TOKEN=" + mockserver.DemoSellfernToken,
		"SELLFERN_BASE_URL=" + sellfernURL,
		"SELSUP_API_KEY=" + mockserver.DemoSelSupKey,
		"SELSUP_BASE_URL=" + selsupURL,
	}
	return ws
}

func writeConfig(t *testing.T, ws *tfrun.Workspace, body string) {
	t.Helper()
	cfg := tfrun.RequiredProviders("webhooks") + `
provider "webhooks" {}
` + body
	if err := os.WriteFile(filepath.Join(ws.ConfigDir, "main.tf"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
}

// terraform runs a command and fails the test unless it exits with want.
func terraform(t *testing.T, ws *tfrun.Workspace, transcript *strings.Builder, want int, args ...string) string {
	t.Helper()
	res, err := ws.Run(context.Background(), append(args, "-no-color")...)
	if err != nil {
		t.Fatal(err)
	}
	transcript.WriteString(res.Output)
	if res.ExitCode != want {
		t.Fatalf("terraform %s exited %d, want %d:\n%s", strings.Join(args, " "), res.ExitCode, want, res.Output)
	}
	return res.Output
}

// TestAccNoSecretInTraceLogOrOutput runs create, update, import (command and block), a failing call and destroy with
// TF_LOG=TRACE, and searches everything Terraform printed and logged (the provider's own log lines included) for
// the token, the API key and every webhook secret.
func TestAccNoSecretInTraceLogOrOutput(t *testing.T) {
	requireAcc(t)
	m := apitest.StartMock(t, mockserver.Options{Seed: 99})
	ws := workspace(t, m)
	traceLog := filepath.Join(t.TempDir(), "trace.log")
	ws.Env = append(ws.Env, "TF_LOG=TRACE", "TF_LOG_PATH="+traceLog)
	var out strings.Builder

	// Made outside Terraform, imported later: its secret was never Terraform's, and must not leak either.
	outside := m.SellfernPut(mockserver.SellfernWebhook{URL: "https://hooks.example.com/outside", Events: []string{"order.created"}, Enabled: true})
	legacy := m.SelSupPut(mockserver.SelSupWebhook{Name: "legacy", URL: "https://hooks.example.com/legacy", Types: []string{"ORDER"}})

	resources := func(url string) string {
		return fmt.Sprintf(`
resource "sellfern_webhook" "a" {
  provider = webhooks
  url      = %[1]q
  events   = ["order.created"]
}

resource "selsup_webhook" "a" {
  provider = webhooks
  url      = %[1]q
  types    = ["ORDER"]
}

output "secret" {
  value     = sellfern_webhook.a.secret
  sensitive = true
}
`, url)
	}
	writeConfig(t, ws, resources("https://hooks.example.com/v1"))
	terraform(t, ws, &out, 0, "init")
	terraform(t, ws, &out, 0, "apply", "-auto-approve")

	writeConfig(t, ws, resources("https://hooks.example.com/v2")) // Sellfern updates in place, SelSup is replaced
	terraform(t, ws, &out, 0, "apply", "-auto-approve")

	imported := resources("https://hooks.example.com/v2") + fmt.Sprintf(`
resource "sellfern_webhook" "outside" {
  provider = webhooks
  url      = "https://hooks.example.com/outside"
  events   = ["order.created"]
}

import {
  provider = webhooks
  to       = selsup_webhook.legacy
  id       = "%d"
}

resource "selsup_webhook" "legacy" {
  provider = webhooks
  name     = "legacy"
  url      = "https://hooks.example.com/legacy"
  types    = ["ORDER"]
}
`, legacy.ID)
	writeConfig(t, ws, imported)
	terraform(t, ws, &out, 0, "import", "sellfern_webhook.outside", outside.ID)
	terraform(t, ws, &out, 0, "apply", "-auto-approve")
	if plan := terraform(t, ws, &out, 0, "plan", "-detailed-exitcode"); !strings.Contains(plan, "No changes.") {
		t.Fatalf("plan after import is not empty:\n%s", plan)
	}

	// A rejected token: the error must say so without repeating it.
	bad := *ws
	bad.Env = append(slices.Clone(ws.Env), "SELLFERN_TOKEN=sk_live_wrongtoken_0123456789")
	failed := terraform(t, &bad, &out, 1, "plan", "-refresh=true")
	if !strings.Contains(failed, "Sellfern rejected the token (HTTP 401") {
		t.Fatalf("the bad-token plan did not explain itself:\n%s", failed)
	}

	terraform(t, ws, &out, 0, "destroy", "-auto-approve")

	trace, err := os.ReadFile(traceLog)
	if err != nil {
		t.Fatal(err)
	}
	// The search only means something if the provider's own debug lines reached the log.
	if !bytes.Contains(trace, []byte("API request")) || !bytes.Contains(trace, []byte("/api/v2/webhooks")) {
		t.Fatal("the TRACE log holds none of the provider's request lines: the search below would prove nothing")
	}
	secrets := map[string]string{
		"the Sellfern token": mockserver.DemoSellfernToken,
		"the wrong token":    "sk_live_wrongtoken_0123456789",
		"the SelSup key":     mockserver.DemoSelSupKey,
		"the outside secret": outside.Secret,
	}
	for i, s := range m.IssuedSellfernSecrets() {
		secrets[fmt.Sprintf("webhook secret #%d", i+1)] = s
	}
	for name, value := range secrets {
		checkAbsent(t, name, value, out.String(), string(trace))
	}
	t.Logf("searched %d bytes of output and %d bytes of TRACE log for %d secrets: none found",
		out.Len(), len(trace), len(secrets))
}

func checkAbsent(t *testing.T, name, value, output, trace string) {
	t.Helper()
	if value == "" {
		t.Fatalf("%s is empty: nothing to search for", name)
	}
	if strings.Contains(output, value) {
		t.Errorf("%s appears in Terraform's output", name)
	}
	if strings.Contains(trace, value) {
		t.Errorf("%s appears in the TRACE log", name)
	}
}

// TestAccInterruptedApplyConverges interrupts an apply (SIGINT, as Ctrl-C does) while every create has been
// carried out by the service but not yet answered. The CLI stops the provider, which cancels the creates. Each
// Sellfern create is sent again with its Idempotency-Key to learn what it made, and that webhook is deleted, as the
// error says; each SelSup create, which has no key, adopts what its list shows it made, and says so. Nothing is left
// that state does not know, and a re-apply converges with no duplicate.
func TestAccInterruptedApplyConverges(t *testing.T) {
	requireAcc(t)
	const sellfern, selsup = 5, 3
	m := mockserver.New(mockserver.Options{Seed: 5})
	// The interrupt comes while every create is in flight, however slow the machine is.
	held := holdCreates(t, m, sellfern+selsup)
	ws := held.workspace(t)
	var out strings.Builder
	writeConfig(t, ws, fmt.Sprintf(`
resource "sellfern_webhook" "x" {
  provider = webhooks
  count    = %d
  url      = "https://hooks.example.com/interrupt/${count.index}"
  events   = ["order.created"]
}

resource "selsup_webhook" "x" {
  provider = webhooks
  count    = %d
  url      = "https://hooks.example.com/interrupt/selsup/${count.index}"
  types    = ["ORDER"]
}
`, sellfern, selsup))
	terraform(t, ws, &out, 0, "init")

	cmd, applyOut := held.applyUntilInFlight(t, ws)
	// From now on every request is answered, the provider's clean-up included.
	held.release()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if err == nil {
		t.Fatalf("the interrupted apply succeeded:\n%s", applyOut.String())
	}
	said := applyOut.String()
	if strings.Contains(said, "nothing is left") {
		t.Fatalf("the interrupted apply claims what it cannot know:\n%s", said)
	}
	wantAll(t, said, "was interrupted (context canceled). Re-sent with its Idempotency-Key", "which the provider then deleted",
		"adopted after its create's answer was lost")
	inState := showState(t, ws)
	if n := len(m.SellfernWebhooks()); n != 0 {
		t.Fatalf("after the interrupt the server holds %d Sellfern webhooks that no state records", n)
	}
	for _, w := range m.SelSupWebhooks() {
		found := false
		for addr, r := range inState {
			found = found || (strings.HasPrefix(addr, "selsup_webhook.") && fmt.Sprint(r.Values["id"]) == fmt.Sprint(w.ID))
		}
		if !found {
			t.Fatalf("after the interrupt the server holds SelSup webhook %d, which no state records", w.ID)
		}
		if !strings.Contains(said, fmt.Sprintf("SelSup webhook %d adopted", w.ID)) {
			t.Fatalf("SelSup webhook %d was adopted without a word:\n%s", w.ID, said)
		}
	}
	if m.Count("selsup.delete") != 0 {
		t.Fatal("a SelSup webhook was deleted on a guess")
	}

	terraform(t, ws, &out, 0, "apply", "-auto-approve")
	if plan := terraform(t, ws, &out, 0, "plan", "-detailed-exitcode"); !strings.Contains(plan, "No changes.") {
		t.Fatalf("plan after the re-apply is not empty:\n%s", plan)
	}
	if n, k := len(m.SellfernWebhooks()), len(m.SelSupWebhooks()); n != sellfern || k != selsup {
		t.Fatalf("after the re-apply the server holds %d Sellfern and %d SelSup webhooks, want %d and %d", n, k, sellfern, selsup)
	}
}

// heldCreates is a server in front of a mock that, while holding, carries out each create (a POST; the only one
// an apply of new webhooks sends) at once and never sends its answer, so that the request ends only when the
// provider cancels it or dies. (With the mock's late commits on, carrying out is taking in: the webhook is stored
// later.) Every other request, and every request once released, is the mock's.
type heldCreates struct {
	front *httptest.Server
	mock  *mockserver.Server

	mu       sync.Mutex
	holding  bool
	want     int32
	carried  int32
	inFlight chan struct{} // closed once want creates were carried out
}

// holdCreates starts the front, holding until n creates are in flight.
func holdCreates(t *testing.T, m *mockserver.Server, n int32) *heldCreates {
	t.Helper()
	h := &heldCreates{mock: m}
	h.hold(n)
	h.front = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		holding := h.holding && r.Method == http.MethodPost
		h.mu.Unlock()
		if !holding {
			m.ServeHTTP(w, r)
			return
		}
		m.ServeHTTP(httptest.NewRecorder(), r)
		h.mu.Lock()
		if h.carried++; h.carried == h.want {
			close(h.inFlight)
		}
		h.mu.Unlock()
		<-r.Context().Done()
	}))
	t.Cleanup(h.front.Close)
	return h
}

// hold holds the creates from now on, until n more are in flight.
func (h *heldCreates) hold(n int32) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.holding, h.want, h.carried, h.inFlight = true, n, 0, make(chan struct{})
}

// workspace is a workspace whose provider calls go through the front. The mock does not listen itself, so its
// base URLs are its paths.
func (h *heldCreates) workspace(t *testing.T) *tfrun.Workspace {
	t.Helper()
	return workspaceAt(t, h.front.URL+h.mock.SellfernBaseURL(), h.front.URL+h.mock.SelSupBaseURL())
}

// release answers every request from now on.
func (h *heldCreates) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.holding = false
}

// applyUntilInFlight starts terraform apply in ws and returns once the creates it waits for are in flight, with
// the running command and its output so far.
func (h *heldCreates) applyUntilInFlight(t *testing.T, ws *tfrun.Workspace) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	cmd, err := ws.Start(context.Background(), &out, "apply", "-auto-approve", "-no-color")
	if err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	inFlight := h.inFlight
	h.mu.Unlock()
	select {
	case <-inFlight:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("the creates never arrived:\n%s", out.String())
	}
	return cmd, &out
}
