package transport

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sharedClient is a client whose pace is shared through dir, as a provider process of run would share it.
func sharedClient(t *testing.T, url, dir, run string, perSecond float64, token string) *Client {
	t.Helper()
	paces := NewSharedPaces(dir)
	paces.run = run
	return newClient(t, url, func(c *Config) {
		c.Paces, c.RequestsPerSecond, c.MaxElapsed = paces, perSecond, time.Minute
		c.AuthValue, c.Secrets = "Bearer "+token, []string{token}
	})
}

// Two processes of one run (two provider blocks) share one pace through the file, under the lower of their
// ceilings; another run on the machine keeps its own ceiling; a pause one process was asked for holds for all.
// The file names the account by a hash and holds no credential.
func TestPaceSharedBetweenProcesses(t *testing.T) {
	var arrivals []time.Time
	pause := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrivals = append(arrivals, time.Now())
		if pause {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		io.WriteString(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	const token = "sk_test_shared_secret"
	slow := sharedClient(t, srv.URL, dir, "run-1", 4, token)
	fast := sharedClient(t, srv.URL, dir, "run-1", 50, token)
	if slow.pace == fast.pace {
		t.Fatal("two registries handed out one pace: the test would not cross a process boundary")
	}
	for _, c := range []*Client{slow, fast, fast, slow, fast} {
		if _, err := c.Do(context.Background(), http.MethodGet, "x", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i < len(arrivals); i++ {
		if gap := arrivals[i].Sub(arrivals[i-1]); gap < 200*time.Millisecond {
			t.Fatalf("calls %d and %d of one run came %s apart; the lower ceiling, 4 per second, wants 250ms", i, i+1, gap)
		}
	}
	// Another run on the machine, on the same account, keeps its own ceiling.
	arrivals = nil
	other := sharedClient(t, srv.URL, dir, "run-2", 0, token)
	for range 3 {
		if _, err := other.Do(context.Background(), http.MethodGet, "x", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if took := arrivals[2].Sub(arrivals[0]); took > 200*time.Millisecond {
		t.Fatalf("another run with no ceiling took %s for 3 calls: it was held to this run's", took)
	}
	// A pause asked of one process holds for every process on the account.
	pause = true
	if _, err := fast.Do(context.Background(), http.MethodGet, "x", nil, nil); err == nil {
		t.Fatal("the 429 was not returned")
	}
	n := len(arrivals)
	_, err := other.Do(context.Background(), http.MethodGet, "x", nil, nil)
	if !errors.Is(err, ErrPaced) || len(arrivals) != n || !strings.Contains(err.Error(), "Retry-After: 3600") {
		t.Fatalf("another process's call: %v, %d requests; want it not sent for the pause", err, len(arrivals)-n)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Fatalf("%d files in the shared directory (%v), want one for the one account", len(entries), err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, entries[0].Name()))
	if strings.Contains(string(data), token) || strings.Contains(entries[0].Name(), token) {
		t.Fatalf("the shared state holds the credential: %s", data)
	}
	info, _ := os.Stat(filepath.Join(dir, entries[0].Name()))
	if mode := info.Mode().Perm(); mode&0o077 != 0 {
		t.Fatalf("the shared state is readable by others: %v", mode)
	}
}

// One process's registry gives clients of the same account one pace, and others their own.
func TestPacesInAProcess(t *testing.T) {
	paces := NewPaces()
	client := func(url, token string, perSecond float64) *Client {
		return newClient(t, url, func(c *Config) {
			c.Paces, c.RequestsPerSecond, c.AuthValue = paces, perSecond, "Bearer "+token
		})
	}
	a := client("https://api.example.com", "one", 5)
	b := client("https://api.example.com", "one", 2)
	if a.pace != b.pace {
		t.Fatal("two clients of one account got two paces")
	}
	if got := a.pace.describe(); got != "2 requests per second, the configured ceiling" {
		t.Fatalf("the shared pace is %q, want the lower ceiling", got)
	}
	if client("https://api.example.com", "two", 0).pace == a.pace || client("https://other.example.com", "one", 0).pace == a.pace {
		t.Fatal("another credential or base URL shares the account's pace")
	}
}

// A directory that cannot be used leaves a process with a pace of its own; files of old runs are removed.
func TestPaceShareFallsBack(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{}`) }))
	t.Cleanup(srv.Close)
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	c := sharedClient(t, srv.URL, notADir, "run", 0, "tok")
	if _, err := c.Do(context.Background(), http.MethodGet, "x", nil, nil); err != nil {
		t.Fatalf("a call failed because its pace could not be shared: %v", err)
	}

	dir := t.TempDir()
	old := filepath.Join(dir, "0123.json")
	if err := os.WriteFile(old, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	long := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(old, long, long); err != nil {
		t.Fatal(err)
	}
	sharedClient(t, srv.URL, dir, "run", 0, "tok")
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Fatalf("the state of a run two days old is still there: %v", err)
	}
}

// The slow start is the machine's: while nothing is known of the account, a call in flight in one process holds
// the only room there is, through the file, until its answer comes; another process's call then finds room.
func TestPaceSlowStartSharedBetweenProcesses(t *testing.T) {
	dir := t.TempDir()
	first := sharedClient(t, "http://127.0.0.1:9", dir, "run-1", 0, "tok")
	second := sharedClient(t, "http://127.0.0.1:9", dir, "run-2", 0, "tok")
	id, err := first.pace.wait(context.Background(), time.Minute, first.pace.ticket())
	if err != nil {
		t.Fatal(err)
	}
	// Looked at as of the moment the first call went, so that a slow machine does not widen the window meanwhile.
	sent := time.Now()
	room := func() bool {
		var ok bool
		second.pace.update(func(s *paceState) { ok = s.room(sent) })
		return ok
	}
	if room() {
		t.Fatal("another process found room beside the machine's first call in flight")
	}
	first.pace.accept(id, time.Now(), http.Header{}, http.StatusOK, "GET /x")
	if !room() {
		t.Fatal("no room once the first call was answered")
	}
}
