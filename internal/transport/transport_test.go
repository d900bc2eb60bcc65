package transport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"
)

func newClient(t *testing.T, url string, mutate ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		Settings:   Settings{BaseURL: url, UserAgent: "terraform-provider-webhooks/test", MaxRetries: DefaultMaxRetries},
		Service:    "Test",
		AuthHeader: "Authorization",
		AuthValue:  "Bearer sk_test_secret_token",
		Secrets:    []string{"sk_test_secret_token"},
		MinBackoff: time.Millisecond,
		MaxBackoff: 5 * time.Millisecond,
	}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sequence answers each request with the next status in turn, then 200.
func sequence(t *testing.T, statuses ...int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i < len(statuses) {
			if statuses[i] == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "0")
			}
			w.WriteHeader(statuses[i])
			return
		}
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestRetriesIdempotentCallsOnRetryableStatuses(t *testing.T) {
	for _, method := range []string{http.MethodGet, http.MethodPatch, http.MethodDelete} {
		srv, n := sequence(t, 429, 500, 502, 503)
		c := newClient(t, srv.URL)
		resp, err := c.Do(context.Background(), method, "x", nil, nil)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		if resp.StatusCode != 200 || n.Load() != 5 {
			t.Fatalf("%s: status %d after %d attempts, want 200 after 5", method, resp.StatusCode, n.Load())
		}
	}
}

func TestNeverRetriesPost(t *testing.T) {
	srv, n := sequence(t, 503)
	c := newClient(t, srv.URL)
	_, err := c.Do(context.Background(), http.MethodPost, "x", nil, map[string]string{"a": "b"})
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != 503 {
		t.Fatalf("want StatusError 503, got %v", err)
	}
	if n.Load() != 1 {
		t.Fatalf("POST sent %d times, want 1", n.Load())
	}
	if !OutcomeUnknown(err) {
		t.Fatal("a 503 to a create must count as an unknown outcome")
	}
}

func TestDoesNotRetryClientErrors(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 409, 422, 501} {
		srv, n := sequence(t, status)
		c := newClient(t, srv.URL)
		_, err := c.Do(context.Background(), http.MethodGet, "x", nil, nil)
		var se *StatusError
		if !errors.As(err, &se) || se.StatusCode != status || n.Load() != 1 || Retryable(err) {
			t.Fatalf("status %d: err %v after %d attempts (retryable %v), want the status after 1, not retryable",
				status, err, n.Load(), Retryable(err))
		}
	}
}

func TestBoundedAttempts(t *testing.T) {
	srv, n := sequence(t, 503, 503, 503, 503, 503, 503, 503, 503)
	c := newClient(t, srv.URL, func(c *Config) { c.MaxRetries = 2 })
	_, err := c.Do(context.Background(), http.MethodGet, "x", nil, nil)
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != 503 {
		t.Fatalf("want the last 503, got %v", err)
	}
	if n.Load() != 3 || se.Attempts != 3 {
		t.Fatalf("%d attempts (error says %d), want 3", n.Load(), se.Attempts)
	}
	if !strings.Contains(err.Error(), "after 3 attempts") {
		t.Fatalf("error should say how many attempts: %v", err)
	}
}

func TestRetriesDroppedConnections(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 2 {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	c := newClient(t, srv.URL)
	if _, err := c.Do(context.Background(), http.MethodGet, "x", nil, nil); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 3 {
		t.Fatalf("%d attempts, want 3", n.Load())
	}
	// The same drop on a create is reported, not repeated, and counts as an unknown outcome.
	n.Store(0)
	_, err := c.Do(context.Background(), http.MethodPost, "x", nil, struct{}{})
	var ne *NetworkError
	if !errors.As(err, &ne) || n.Load() != 1 || !OutcomeUnknown(err) {
		t.Fatalf("POST on a dropped connection: err %v after %d attempts", err, n.Load())
	}
}

func TestBackoffHonoursRetryAfterUpToCap(t *testing.T) {
	c := newClient(t, "https://api.example.com", func(c *Config) { c.MaxRetryAfter = 2 * time.Second })
	resp := &http.Response{StatusCode: 503, Header: http.Header{"Retry-After": {"1"}}}
	if got := c.backoff(time.Millisecond, time.Second, 0, resp); got != time.Second {
		t.Fatalf("Retry-After 1: waited %v", got)
	}
	resp.Header.Set("Retry-After", "3600")
	if got := c.backoff(time.Millisecond, time.Second, 0, resp); got != 2*time.Second {
		t.Fatalf("Retry-After 3600 with a 2s cap: waited %v", got)
	}
	resp.Header.Set("Retry-After", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
	if got := c.backoff(time.Millisecond, time.Second, 0, resp); got != 2*time.Second {
		t.Fatalf("Retry-After as a date an hour away with a 2s cap: waited %v", got)
	}
}

func TestJitteredBackoffGrowsAndIsCapped(t *testing.T) {
	for attempt := range 40 {
		ceiling := min(100*time.Millisecond<<min(attempt, 30), 5*time.Second)
		if attempt >= 30 {
			ceiling = 5 * time.Second
		}
		for range 20 {
			got := JitteredBackoff(100*time.Millisecond, 5*time.Second, attempt)
			if got < ceiling/2 || got > ceiling {
				t.Fatalf("attempt %d: %v outside [%v, %v]", attempt, got, ceiling/2, ceiling)
			}
		}
	}
}

func TestTotalTimeIsBounded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(503)
	}))
	defer srv.Close()
	c := newClient(t, srv.URL, func(c *Config) {
		c.MaxRetries = 10
		c.MaxElapsed = 50 * time.Millisecond
	})
	_, err := c.Do(context.Background(), http.MethodGet, "x", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "gave up after 50ms") {
		t.Fatalf("want the budget error, got %v", err)
	}
	// The server asked for a second's wait; the budget ended the call during it, before a second attempt.
	var ne *NetworkError
	if !errors.As(err, &ne) || ne.Attempts != 1 {
		t.Fatalf("want one attempt within the budget, got %v", err)
	}
}

func TestPerRequestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := newClient(t, srv.URL, func(c *Config) {
		c.MaxRetries = 0
		c.RequestTimeout = 20 * time.Millisecond
	})
	_, err := c.Do(context.Background(), http.MethodGet, "x", nil, nil)
	var ne *NetworkError
	if !errors.As(err, &ne) || !strings.Contains(err.Error(), "no answer within 20ms (the request timeout)") {
		t.Fatalf("want a timeout NetworkError, got %v", err)
	}
}

func TestContextCancellation(t *testing.T) {
	started := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done()
	}))
	defer srv.Close()
	c := newClient(t, srv.URL)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	_, err := c.Do(ctx, http.MethodGet, "x", nil, nil)
	var ne *NetworkError
	if !errors.As(err, &ne) || !ne.Cancelled || !errors.Is(err, context.Canceled) {
		t.Fatalf("want a cancelled NetworkError, got %v", err)
	}
}

func TestBodyIsCapped(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("x", 2048))
	}))
	defer srv.Close()
	c := newClient(t, srv.URL, func(c *Config) { c.MaxBodyBytes = 1024 })
	_, err := c.Do(context.Background(), http.MethodGet, "x", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "larger than 1024 bytes") {
		t.Fatalf("want the size cap error, got %v", err)
	}
}

func TestSendsHeadersAndJSON(t *testing.T) {
	var got *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		body, _ = io.ReadAll(r.Body)
		io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	c := newClient(t, srv.URL+"/prefix/")
	if _, err := c.Do(context.Background(), http.MethodPost, "api/v2/webhooks", nil, map[string]any{"url": "https://x"}); err != nil {
		t.Fatal(err)
	}
	for header, want := range map[string]string{
		"Authorization": "Bearer sk_test_secret_token",
		"User-Agent":    "terraform-provider-webhooks/test",
		"Content-Type":  "application/json",
		"Accept":        "application/json",
	} {
		if v := got.Header.Get(header); v != want {
			t.Errorf("%s: %q, want %q", header, v, want)
		}
	}
	if got.URL.Path != "/prefix/api/v2/webhooks" || string(body) != `{"url":"https://x"}` {
		t.Errorf("sent %s %s", got.URL.Path, body)
	}
}

func TestRedirectToAnotherHostDropsCredentials(t *testing.T) {
	var leaked atomic.Value
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store(r.Header.Get("Authorization"))
		io.WriteString(w, `{}`)
	}))
	defer other.Close()
	// 127.0.0.1 and localhost are different hosts to a browser and to us.
	target := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target+"/elsewhere", http.StatusFound)
	}))
	defer origin.Close()

	c := newClient(t, origin.URL)
	_, err := c.Do(context.Background(), http.MethodGet, "x", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "the server redirected to http://localhost:") ||
		!strings.Contains(err.Error(), "another host, so the credentials were not sent there") {
		t.Fatalf("want the redirect named as the cause, got %v", err)
	}
	if !errors.Is(err, ErrNotSent) || Retryable(err) || OutcomeUnknown(err) {
		t.Fatalf("a refused redirect is final and certain: ErrNotSent %v, retryable %v, unknown outcome %v",
			errors.Is(err, ErrNotSent), Retryable(err), OutcomeUnknown(err))
	}
	if v, ok := leaked.Load().(string); ok {
		t.Fatalf("the other host was called (Authorization %q); it must not be", v)
	}
}

func TestSameHostRedirectKeepsCredentials(t *testing.T) {
	var seen atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/new", http.StatusMovedPermanently)
			return
		}
		seen.Store(r.Header.Get("Authorization"))
		io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	c := newClient(t, srv.URL)
	if _, err := c.Do(context.Background(), http.MethodGet, "old", nil, nil); err != nil {
		t.Fatal(err)
	}
	if v, _ := seen.Load().(string); v != "Bearer sk_test_secret_token" {
		t.Fatalf("same-host redirect lost the credential: %q", v)
	}
}

func TestCredentialGuardRefusesPlainHTTPToRemoteHosts(t *testing.T) {
	guard := &credentialGuard{header: "Authorization", next: roundTripFunc(func(*http.Request) (*http.Response, error) {
		t.Fatal("the request reached the network")
		return nil, nil
	})}
	req, _ := http.NewRequest(http.MethodGet, "http://api.example.com/x", nil)
	req.Header.Set("Authorization", "Bearer secret")
	if _, err := guard.RoundTrip(req); err == nil || !strings.Contains(err.Error(), "refusing to send credentials over http://") {
		t.Fatalf("want a refusal, got %v", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestCheckBaseURL(t *testing.T) {
	ok := []string{"https://api.sellfern.com", "https://api.example.com/base/", "http://127.0.0.1:8080/sellfern", "http://localhost:1", "http://[::1]:9/x"}
	for _, u := range ok {
		if _, err := CheckBaseURL(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	bad := map[string]string{
		"":                                "empty",
		" https://api.example.com":        "white space",
		"api.example.com":                 "must be absolute",
		"http://api.example.com":          "plain http:// is allowed only for a loopback host",
		"http://localhost.example.com":    "plain http:// is allowed only for a loopback host",
		"http://10.0.0.1":                 "plain http:// is allowed only for a loopback host",
		"ftp://api.example.com":           "must use https://",
		"https://user:pw@api.example.com": "must not contain a user name or password",
		"https://api.example.com/?a=b":    "must not have a query",
	}
	for u, want := range bad {
		_, err := CheckBaseURL(u)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want an error containing %q", u, err, want)
		}
	}
}

func TestErrorsRedactSecretsEchoedByServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		io.WriteString(w, "you sent "+r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	c := newClient(t, srv.URL)
	_, err := c.Do(context.Background(), http.MethodGet, "x", nil, nil)
	if err == nil || strings.Contains(err.Error(), "sk_test_secret_token") {
		t.Fatalf("the error leaks the token: %v", err)
	}
	var se *StatusError
	if !errors.As(err, &se) || strings.Contains(string(se.Body), "sk_test_secret_token") {
		t.Fatal("the raw body kept the token")
	}
}

func TestBodySnippet(t *testing.T) {
	html := http.Header{"Content-Type": {"text/html; charset=utf-8"}}
	if got := BodySnippet(html, []byte("<html>x</html>")); got != "an HTML page (14 bytes) instead of JSON" {
		t.Errorf("html: %q", got)
	}
	if got := BodySnippet(nil, nil); got != "empty response body" {
		t.Errorf("empty: %q", got)
	}
	if got := BodySnippet(nil, []byte("bad\x00\x1b[31mgateway\n")); got != `"bad\x00\x1b[31mgateway"` {
		t.Errorf("control characters: %q", got)
	}
	if got := BodySnippet(nil, []byte(strings.Repeat("й", 300))); len([]rune(got)) != 203 {
		t.Errorf("long text not cut: %d runes", len([]rune(got)))
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{"localhost": true, "LOCALHOST": true, "127.0.0.1": true, "127.8.9.10": true, "::1": true,
		"localhost.example.com": false, "10.0.0.1": false, "example.com": false, "": false} {
		if got := IsLoopback(host); got != want {
			t.Errorf("%q: %v", host, got)
		}
	}
}

func TestLogsEachAttemptWithCredentialsMasked(t *testing.T) {
	var logs bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &logs)
	srv, _ := sequence(t, 503)
	c := newClient(t, srv.URL)
	if _, err := c.Do(ctx, http.MethodGet, "api/v2/webhooks", nil, nil); err != nil {
		t.Fatal(err)
	}
	entries, err := tflogtest.MultilineJSONDecode(&logs)
	if err != nil {
		t.Fatal(err)
	}
	var statuses []any
	for _, e := range entries {
		if e["@message"] == "API request" {
			statuses = append(statuses, e["status"])
			if e["path"] != "/api/v2/webhooks" || e["method"] != "GET" || e["service"] != "Test" {
				t.Errorf("log entry lacks the call: %v", e)
			}
		}
	}
	if len(statuses) != 2 || statuses[0] != float64(503) || statuses[1] != float64(200) {
		t.Fatalf("want one debug line per attempt (503 then 200), got %v", statuses)
	}

	// Anything logged under the client's context has the credentials masked, whatever logs it.
	logs.Reset()
	tflog.Debug(c.maskedContext(ctx), "leak attempt: Bearer sk_test_secret_token", map[string]any{"header": "sk_test_secret_token"})
	if strings.Contains(logs.String(), "sk_test_secret_token") || !strings.Contains(logs.String(), "***") {
		t.Fatalf("credentials not masked: %s", logs.String())
	}
}

func TestZeroRetriesMeansOneAttemptAndNegativeIsRefused(t *testing.T) {
	srv, n := sequence(t, 503, 503)
	c := newClient(t, srv.URL, func(c *Config) { c.MaxRetries = 0 })
	if _, err := c.Do(context.Background(), http.MethodGet, "x", nil, nil); err == nil || n.Load() != 1 || !Retryable(err) {
		t.Fatalf("MaxRetries 0: err %v after %d attempts; want the 503 after 1, judged retryable", err, n.Load())
	}
	if _, err := New(Config{Service: "Test", Settings: Settings{BaseURL: srv.URL, MaxRetries: -1}}); err == nil {
		t.Fatal("a negative MaxRetries must be refused, not read as a default")
	}
}

// A cancellation that arrives with an answer in hand is still a cancellation: the caller gave up.
func TestCancellationWinsOverAResponse(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cancel()
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"error":"busy"}`)
	}))
	defer srv.Close()
	c := newClient(t, srv.URL)
	_, err := c.Do(ctx, http.MethodGet, "x", nil, nil)
	var ne *NetworkError
	if !errors.As(err, &ne) || !ne.Cancelled || !errors.Is(err, context.Canceled) {
		t.Fatalf("want a cancelled NetworkError, got %v", err)
	}
}

// An id is one path segment whatever it holds: the request line keeps it escaped, and ids that a server or proxy
// would resolve to another path are refused before anything is sent.
func TestPathSegmentsStayEscaped(t *testing.T) {
	var requestURI atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requestURI.Store(r.RequestURI)
		io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	c := newClient(t, srv.URL+"/base")
	for id, want := range map[string]string{
		"wh_abc123": "/base/api/v2/webhooks/wh_abc123?confirm=x",
		"wh%2F..":   "/base/api/v2/webhooks/wh%252F..?confirm=x",
		"a b?c#d":   "/base/api/v2/webhooks/a%20b%3Fc%23d?confirm=x",
		"…ñ":        "/base/api/v2/webhooks/%E2%80%A6%C3%B1?confirm=x",
	} {
		seg, err := Segment(id)
		if err != nil {
			t.Fatalf("Segment(%q): %v", id, err)
		}
		if _, err := c.Do(context.Background(), http.MethodDelete, "api/v2/webhooks/"+seg, url.Values{"confirm": {"x"}}, nil); err != nil {
			t.Fatal(err)
		}
		if got := requestURI.Load(); got != want {
			t.Errorf("id %q: request URI %v, want %s", id, got, want)
		}
	}
	for _, id := range []string{"", ".", "..", "wh/../x", "/", "a\x00b", "a\nb", "a\u0085b"} {
		if seg, err := Segment(id); err == nil {
			t.Errorf("Segment(%q) = %q; want it refused", id, seg)
		}
	}
}
