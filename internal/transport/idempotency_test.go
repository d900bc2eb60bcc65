package transport

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/terraform-plugin-log/tflogtest"
)

// keysSeen serves the given statuses in turn (then 200) and records the Idempotency-Key of every request.
func keysSeen(t *testing.T, statuses ...int) (*httptest.Server, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var keys []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		i := len(keys)
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		mu.Unlock()
		if i < len(statuses) {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(statuses[i])
			return
		}
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), keys...) }
}

// Every attempt of a keyed call carries its key: the retries of a PATCH and the re-sends after a 429 alike.
func TestKeyOnEveryAttempt(t *testing.T) {
	srv, keys := keysSeen(t, 503, 429, 502)
	c := newClient(t, srv.URL)
	key := NewIdempotencyKey("update")
	if _, err := c.DoKeyed(context.Background(), key, http.MethodPatch, "x", nil, map[string]bool{"enabled": false}); err != nil {
		t.Fatal(err)
	}
	got := keys()
	if len(got) != 4 {
		t.Fatalf("%d attempts, want 4", len(got))
	}
	for i, k := range got {
		if k != key {
			t.Fatalf("attempt %d carried key %q, want %q", i+1, k, key)
		}
	}
	// A call without a key sends none.
	if _, err := c.Do(context.Background(), http.MethodGet, "x", nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := keys(); got[len(got)-1] != "" {
		t.Fatalf("a call without a key sent %q", got[len(got)-1])
	}
}

// A key does not make the transport repeat a POST after a failure (its caller decides), but a 429, which did
// nothing, is sent again with the same key.
func TestKeyedPostIsNotRetriedButRefusalsAre(t *testing.T) {
	srv, keys := keysSeen(t, 429, 503)
	c := newClient(t, srv.URL)
	key := NewIdempotencyKey("create")
	_, err := c.DoKeyed(context.Background(), key, http.MethodPost, "x", nil, map[string]string{"a": "b"})
	if !OutcomeUnknown(err) || !Retryable(err) {
		t.Fatalf("want the 503 as an unknown, retryable outcome; got %v", err)
	}
	if got := keys(); len(got) != 2 || got[0] != key || got[1] != key {
		t.Fatalf("keys %q, want %q twice (the 429 sent again, the 503 not)", got, key)
	}
}

func TestKeyInUse(t *testing.T) {
	srv, _ := keysSeen(t, 409, 409)
	c := newClient(t, srv.URL)
	_, err := c.DoKeyed(context.Background(), "k", http.MethodPost, "x", nil, nil)
	if !KeyInUse(err) || OutcomeUnknown(err) {
		t.Fatalf("a 409 to a keyed call: KeyInUse %v, OutcomeUnknown %v; want true, false (%v)", KeyInUse(err), OutcomeUnknown(err), err)
	}
	_, err = c.Do(context.Background(), http.MethodPost, "x", nil, nil)
	if KeyInUse(err) {
		t.Fatalf("a 409 to a call without a key is not about a key: %v", err)
	}
}

func TestNewIdempotencyKey(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		k := NewIdempotencyKey("create")
		if !strings.HasPrefix(k, "terraform-webhooks-create-") || len(k) != len("terraform-webhooks-create-")+32 || len(k) > 255 {
			t.Fatalf("key %q: want the prefix and 32 hex digits, at most 255 characters", k)
		}
		if seen[k] {
			t.Fatalf("key %q handed out twice", k)
		}
		seen[k] = true
	}
}

// The key is not secret: the debug line of each attempt shows it, so that a log tells which requests were one
// operation.
func TestKeyIsLogged(t *testing.T) {
	var logs bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &logs)
	srv, _ := keysSeen(t)
	c := newClient(t, srv.URL)
	if _, err := c.DoKeyed(ctx, "terraform-webhooks-test-0123", http.MethodPost, "x", nil, nil); err != nil {
		t.Fatal(err)
	}
	entries, err := tflogtest.MultilineJSONDecode(&logs)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e["@message"] == "API request" && e["idempotency_key"] == "terraform-webhooks-test-0123" {
			return
		}
	}
	t.Fatalf("no API request line names the key: %v", entries)
}

// net/http would send a keyed POST again by itself when the reused connection it went out on breaks before the
// answer (it deems a request with an Idempotency-Key idempotent): the transport does not let it, so a test call
// promised once goes once.
func TestKeyedPostIsNotReplayedByNetHTTP(t *testing.T) {
	var posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			io.WriteString(w, `{}`) // opens the connection the POST reuses
			return
		}
		posts.Add(1)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close() // read, perhaps acted on, never answered
		}
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, func(c *Config) { c.MaxRetries = 0 })
	if _, err := c.Do(context.Background(), http.MethodGet, "x", nil, nil); err != nil {
		t.Fatal(err)
	}
	_, err := c.DoKeyed(context.Background(), NewIdempotencyKey("test"), http.MethodPost, "x/test", nil, nil)
	if err == nil || !OutcomeUnknown(err) {
		t.Fatalf("want a dropped connection, got %v", err)
	}
	if n := posts.Load(); n != 1 {
		t.Fatalf("the server saw the POST %d times, want once", n)
	}
}
