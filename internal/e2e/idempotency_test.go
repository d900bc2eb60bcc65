package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

// The tests in this file are two careful users' bad day with the built provider and the real CLI: several runs on
// one account while a create is in doubt, and a Ctrl-C while the service is slow to store a create. Nothing is
// taken from another run, nothing is deleted on a guess, and nothing is left unsaid.

// idOf returns the id in a workspace's state of the resource at addr.
func idOf(t *testing.T, ws workspaceRunner, addr string) string {
	t.Helper()
	r, ok := showState(t, ws.ws)[addr]
	if !ok {
		t.Fatalf("state holds no %s", addr)
	}
	return fmt.Sprint(r.Values["id"])
}

// firstCreatesFail is a server in front of a mock that holds the first create of each service unanswered until
// released, and then answers it 503 having stored nothing (a service that failed before doing anything). Every
// other request is the mock's.
type firstCreatesFail struct {
	front    *httptest.Server
	held     sync.WaitGroup
	release  chan struct{}
	sellfern atomic.Bool
	selsup   atomic.Bool
}

func failFirstCreates(t *testing.T, m *mockserver.Server) *firstCreatesFail {
	t.Helper()
	f := &firstCreatesFail{release: make(chan struct{})}
	f.held.Add(2)
	f.front = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var first *atomic.Bool
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/api/v2/webhooks"):
			first = &f.sellfern
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/api/webhook/"):
			first = &f.selsup
		}
		if first == nil || !first.CompareAndSwap(false, true) {
			m.ServeHTTP(w, r)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		f.held.Done()
		<-f.release
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"success": false, "error": {"code": "service_unavailable", "message": "try again"}}`)
	}))
	t.Cleanup(f.front.Close)
	t.Cleanup(func() {
		select {
		case <-f.release:
		default:
			close(f.release)
		}
	})
	return f
}

// TestAccAnotherRunsWebhookIsNeverTaken: run A's creates are answered 503 before anything is stored; while they are
// in doubt, run B (another directory, another state) creates the identical webhooks. A's Sellfern create is settled
// by re-sending it with its Idempotency-Key: A gets its own webhook, B's is untouched (B's next plan has nothing to
// do), and A's apply names B's webhook, which appeared beside its create. SelSup takes no key: A's recovery can only
// adopt what its list shows, B's webhook, and it says so, naming it and what to check, so that two states holding one
// webhook is never silent.
func TestAccAnotherRunsWebhookIsNeverTaken(t *testing.T) {
	requireAcc(t)
	m := mockserver.New(mockserver.Options{Seed: 23})
	front := failFirstCreates(t, m)
	direct := httptest.NewServer(m)
	t.Cleanup(direct.Close)
	const config = `
resource "sellfern_webhook" "orders" {
  provider = webhooks
  url      = "https://hooks.example.com/shared"
  events   = ["order.created"]
}

resource "selsup_webhook" "orders" {
  provider = webhooks
  name     = "Заказы"
  url      = "https://hooks.example.com/shared"
  types    = ["ORDER"]
}
`
	a := workspaceRunner{t: t, ws: workspaceAt(t, front.front.URL+m.SellfernBaseURL(), front.front.URL+m.SelSupBaseURL())}
	b := workspaceRunner{t: t, ws: workspaceAt(t, direct.URL+m.SellfernBaseURL(), direct.URL+m.SelSupBaseURL())}
	for _, ws := range []workspaceRunner{a, b} {
		writeConfig(t, ws.ws, config)
		ws.run(0, "init")
	}

	var aOut strings.Builder
	cmd, err := a.ws.Start(t.Context(), &syncWriter{w: &aOut}, "apply", "-auto-approve", "-no-color")
	if err != nil {
		t.Fatal(err)
	}
	inDoubt := make(chan struct{})
	go func() { front.held.Wait(); close(inDoubt) }()
	select {
	case <-inDoubt:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("run A's creates never arrived:\n%s", aOut.String())
	}
	b.run(0, "apply", "-auto-approve")
	bSellfern, bSelSup := idOf(t, b, "sellfern_webhook.orders"), idOf(t, b, "selsup_webhook.orders")
	close(front.release)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("run A failed: %v\n%s", err, aOut.String())
	}
	out := aOut.String()
	aSellfern, aSelSup := idOf(t, a, "sellfern_webhook.orders"), idOf(t, a, "selsup_webhook.orders")

	if _, ok := m.SellfernWebhook(bSellfern); !ok || aSellfern == bSellfern {
		t.Fatalf("run B's Sellfern webhook %s was deleted or taken (run A holds %s):\n%s", bSellfern, aSellfern, out)
	}
	wantAll(t, out, fmt.Sprintf("Warning: Sellfern webhook %s appeared beside %s while its create was in doubt", bSellfern, aSellfern),
		"the create was settled by re-sending its request with the same Idempotency-Key",
		"or another configuration created an identical webhook at that moment",
		"The provider never deletes a webhook it cannot prove it made",
		fmt.Sprintf("Warning: SelSup webhook %s adopted after its create's answer was lost", bSelSup),
		fmt.Sprintf("both configurations now manage %s, and destroying either deletes it for both", bSelSup),
		"terraform state rm ADDRESS")
	if aSelSup != bSelSup {
		t.Fatalf("run A's SelSup create did not adopt what its list showed (%s, B's %s): the test proves nothing", aSelSup, bSelSup)
	}
	if n := len(m.SellfernWebhooks()); n != 2 {
		t.Fatalf("the mock holds %d Sellfern webhooks, want run A's and run B's", n)
	}
	if n := m.Count("sellfern.delete") + m.Count("selsup.delete"); n != 0 {
		t.Fatalf("%d deletes: nothing is deleted on a guess", n)
	}
	// Run B's state still describes what is there.
	b.run(0, "plan", "-detailed-exitcode")
}

// syncWriter is an io.Writer safe for a command's output and a test reading it.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// TestAccInterruptedSlowCreateLeavesNothingSilent: Ctrl-C while the service is slow to store a create (it has taken
// the request in and stores it a moment later, after any list the clean-up takes). A Sellfern create, here the new
// webhook of a rotation, is sent again with its Idempotency-Key: Sellfern answers, once the webhook is stored, with
// that webhook, which is deleted, and the error says so; the old webhook and its secret stay. A SelSup create, which
// has no key, cannot learn it: the error says so plainly, and once SelSup stores it, the next apply names it. Neither
// says that nothing is left.
func TestAccInterruptedSlowCreateLeavesNothingSilent(t *testing.T) {
	requireAcc(t)
	m := mockserver.New(mockserver.Options{Seed: 24})
	rotating := func(gen int) string {
		return fmt.Sprintf(`
resource "sellfern_webhook" "rotating" {
  provider = webhooks
  url      = "https://hooks.example.com/rotating"
  events   = ["order.created"]

  rotate_when_changed = { generation = "%d" }

  lifecycle {
    create_before_destroy = true
  }
}
`, gen)
	}
	const slow = `
resource "selsup_webhook" "slow" {
  provider = webhooks
  url      = "https://hooks.example.com/slow"
  types    = ["ORDER"]
}
`
	held := holdCreates(t, m, 0)
	held.release() // the first apply is answered in full
	ws := workspaceRunner{t: t, ws: held.workspace(t)}
	writeConfig(t, ws.ws, rotating(1))
	ws.run(0, "init")
	ws.run(0, "apply", "-auto-approve")
	old := idOf(t, ws, "sellfern_webhook.rotating")

	// interrupt applies config with every create taken in but stored late and its answer held back, sends SIGINT
	// once a create is in flight (then runs first), and returns what the apply printed.
	interrupt := func(config string, then func()) string {
		t.Helper()
		writeConfig(t, ws.ws, config)
		m.SetLateCommits(-1, 0)
		held.hold(1)
		cmd, out := held.applyUntilInFlight(t, ws.ws)
		m.SetLateCommits(0, 0) // the clean-up's requests are answered at once
		then()
		held.release()
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err == nil {
			t.Fatalf("the interrupted apply succeeded:\n%s", out.String())
		}
		m.OnRequest(nil)
		m.CommitLateNow() // whatever the service still holds is stored now
		return out.String()
	}

	// The rotation's create, interrupted: its re-send is told the key is in use until Sellfern stores the webhook.
	var resends atomic.Int32
	out := interrupt(rotating(2), func() {
		m.OnRequest(func(route string) {
			if route == "sellfern.create" && resends.Add(1) == 1 {
				m.CommitLateNow()
			}
		})
	})
	if strings.Contains(out, "nothing is left") {
		t.Fatalf("the interrupted create claims what it cannot know:\n%s", out)
	}
	var made string
	for _, w := range m.Journal() {
		if w.Service == "sellfern" && w.Op == mockserver.JournalCreate && w.ID != old {
			made = w.ID
		}
	}
	wantAll(t, out, "creating the Sellfern webhook for https://hooks.example.com/rotating was interrupted",
		"Re-sent with its Idempotency-Key terraform-webhooks-create-",
		fmt.Sprintf("the request was answered with the webhook it made, %s, which the provider then deleted", made))
	if held := m.SellfernWebhooks(); len(held) != 1 || held[0].ID != old || idOf(t, ws, "sellfern_webhook.rotating") != old {
		t.Fatalf("after the interrupted rotation the mock holds %+v; want only the old webhook %s, still in state", held, old)
	}

	// A SelSup create, interrupted: its list shows nothing yet, and SelSup stores the webhook after the apply ended.
	out = interrupt(rotating(1)+slow, func() {})
	if strings.Contains(out, "nothing is left") {
		t.Fatalf("the interrupted create claims what it cannot know:\n%s", out)
	}
	wantAll(t, out, "creating the SelSup webhook for https://hooks.example.com/slow was interrupted",
		"a list taken then holds no webhook its request made",
		"The service takes no idempotency key, so a request it has not finished may still store a webhook: if it does, "+
			"the next apply that creates this webhook names it in a warning")
	stored := m.SelSupWebhooks()
	if len(stored) != 1 {
		t.Fatalf("SelSup holds %d webhooks after its late commit, want 1", len(stored))
	}
	out = ws.run(0, "apply", "-auto-approve")
	made = idOf(t, ws, "selsup_webhook.slow")
	wantAll(t, out, fmt.Sprintf("Warning: SelSup webhooks identical to the new %s already exist: %d", made, stored[0].ID))
}
