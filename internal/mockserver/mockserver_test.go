package mockserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

// --- helpers shared by the test files ---

const (
	sfAuth = "Bearer " + mockserver.DemoSellfernToken
	ssAuth = mockserver.DemoSelSupKey
)

// resp is a captured response.
type resp struct {
	status int
	header http.Header
	body   []byte
}

// object decodes the body as a JSON object.
func (r resp) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// array decodes the body as a JSON array of objects.
func (r resp) array(t *testing.T) []map[string]any {
	t.Helper()
	var a []map[string]any
	if err := json.Unmarshal(r.body, &a); err != nil {
		t.Fatalf("body is not a JSON array: %v\n%s", err, r.body)
	}
	return a
}

// serve sends one request straight to the handler (no network).
func serve(t *testing.T, h http.Handler, method, path, auth, body string) resp {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return resp{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// sf calls the Sellfern API with the demo token.
func sf(t *testing.T, s *mockserver.Server, method, path, body string) resp {
	t.Helper()
	return serve(t, s, method, "/sellfern"+path, sfAuth, body)
}

// ss calls the SelSup API with the demo key.
func ss(t *testing.T, s *mockserver.Server, method, path, body string) resp {
	t.Helper()
	return serve(t, s, method, "/selsup"+path, ssAuth, body)
}

// started returns a listening server that is closed when the test ends.
func started(t *testing.T, opts mockserver.Options) *mockserver.Server {
	t.Helper()
	s := mockserver.New(opts)
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// httpDo sends a real HTTP request on a fresh connection (no keep-alive, so a
// dropped connection is never retried by the transport).
func httpDo(t *testing.T, method, url, auth, body string) (resp, error) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := client.Do(req)
	if err != nil {
		return resp{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return resp{}, err
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}, nil
}

func mustHTTP(t *testing.T, method, url, auth string) resp {
	t.Helper()
	r, err := httpDo(t, method, url, auth, "")
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return r
}

func wantStatus(t *testing.T, r resp, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body: %s", r.status, status, r.body)
	}
}

// --- Start, Close, URLs ---

func TestStartRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:0", "example.com:0", "no-port"} {
		s := mockserver.New(mockserver.Options{})
		if err := s.Start(addr); err == nil {
			s.Close()
			t.Errorf("Start(%q) succeeded, want an error", addr)
		}
	}
}

func TestStartURLsAndClose(t *testing.T) {
	s := mockserver.New(mockserver.Options{})
	s.Close() // never started: a no-op
	if s.URL() != "" {
		t.Fatalf("URL before Start = %q, want empty", s.URL())
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
		t.Errorf("URL = %q", s.URL())
	}
	if got, want := s.SellfernBaseURL(), s.URL()+"/sellfern"; got != want {
		t.Errorf("SellfernBaseURL = %q, want %q", got, want)
	}
	if got, want := s.SelSupBaseURL(), s.URL()+"/selsup"; got != want {
		t.Errorf("SelSupBaseURL = %q, want %q", got, want)
	}
	if err := s.Start("127.0.0.1:0"); err == nil {
		t.Error("second Start succeeded")
	}
	r := mustHTTP(t, "GET", s.SellfernBaseURL()+"/api/v2/webhooks", sfAuth)
	wantStatus(t, r, http.StatusOK)

	s.Close()
	s.Close() // idempotent
	if _, err := httpDo(t, "GET", s.SellfernBaseURL()+"/api/v2/webhooks", sfAuth, ""); err == nil {
		t.Error("request after Close succeeded")
	}
}

func TestStartLocalhost(t *testing.T) {
	s := mockserver.New(mockserver.Options{})
	if err := s.Start("localhost:0"); err != nil {
		// Refusing is right where localhost does not resolve to a loopback address; nothing else is.
		if !strings.Contains(err.Error(), "non-loopback") {
			t.Fatalf("Start(localhost:0): %v", err)
		}
		return
	}
	defer s.Close()
	wantStatus(t, mustHTTP(t, "GET", s.SelSupBaseURL()+"/api/webhook/", ssAuth), http.StatusOK)
}

// --- routing ---

func TestUnknownRoutes(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	cases := []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/", 404, ""},
		{"GET", "/nope", 404, ""},
		{"GET", "/sellfernx/api/v2/webhooks", 404, ""},
		{"GET", "/sellfern", 404, ""},
		{"GET", "/sellfern/api/v2/webhooks/", 404, ""}, // strict: no trailing slash
		{"GET", "/sellfern/api/v1/webhooks", 404, ""},
		{"GET", "/sellfern/api/v2/webhooks/wh_1/nope", 404, ""},
		{"PUT", "/sellfern/api/v2/webhooks", 405, "GET, POST"},
		{"GET", "/sellfern/api/v2/webhooks/wh_1", 405, "PATCH, DELETE"},
		{"GET", "/selsup/api/webhook", 404, ""}, // strict: the documented path has the slash
		{"GET", "/selsup/api/webhooks/", 404, ""},
		{"PUT", "/selsup/api/webhook/", 405, "GET, POST"},
		{"GET", "/selsup/api/webhook/1001", 405, "DELETE"},
	}
	for _, c := range cases {
		r := serve(t, s, c.method, c.path, "", "")
		if r.status != c.status {
			t.Errorf("%s %s: status %d, want %d (%s)", c.method, c.path, r.status, c.status, r.body)
		}
		if got := r.header.Get("Allow"); got != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
		}
		if !json.Valid(r.body) || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
			t.Errorf("%s %s: want a JSON body, got %q (%s)", c.method, c.path, r.body, r.header.Get("Content-Type"))
		}
	}
	if got := s.Count("unknown"); got != len(cases) {
		t.Errorf(`Count("unknown") = %d, want %d`, got, len(cases))
	}
	// A known route with a wrong method uses each service's error shape.
	r := serve(t, s, "PUT", "/sellfern/api/v2/webhooks", "", "")
	if code := errorCode(t, r); code != "method_not_allowed" {
		t.Errorf("Sellfern 405 code = %q", code)
	}
	r = serve(t, s, "PUT", "/selsup/api/webhook/", "", "")
	if e := r.object(t)["error"]; e != "METHOD_NOT_ALLOWED" {
		t.Errorf("SelSup 405 error = %v", e)
	}
}

// --- counters ---

func TestStatsCounters(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	created := createSellfern(t, s, "https://example.com/a", "order.created")
	id := created["id"].(string)
	sf(t, s, "GET", "/api/v2/webhooks", "")
	sf(t, s, "GET", "/api/v2/webhooks", "")
	sf(t, s, "PATCH", "/api/v2/webhooks/"+id, `{}`)
	sf(t, s, "POST", "/api/v2/webhooks/"+id+"/test", "")
	sf(t, s, "GET", "/api/v2/webhooks/"+id+"/deliveries", "")
	sf(t, s, "DELETE", "/api/v2/webhooks/"+id+"?confirm="+id, "")
	ss(t, s, "POST", "/api/webhook/", `{"url":"https://example.com","types":["ORDER"]}`)
	ss(t, s, "GET", "/api/webhook/", "")
	ss(t, s, "DELETE", "/api/webhook/1001", "")
	serve(t, s, "GET", "/sellfern/api/v2/webhooks", "", "") // 401 still reached the route
	serve(t, s, "GET", "/elsewhere", "", "")

	want := map[string]int{
		"sellfern.create": 1, "sellfern.list": 3, "sellfern.update": 1, "sellfern.test": 1,
		"sellfern.deliveries": 1, "sellfern.delete": 1,
		"selsup.create": 1, "selsup.list": 1, "selsup.delete": 1, "unknown": 1,
	}
	st := s.Stats()
	for k, n := range want {
		if st.Requests[k] != n || s.Count(k) != n {
			t.Errorf("requests[%s] = %d (Count %d), want %d", k, st.Requests[k], s.Count(k), n)
		}
	}
	if st.Total != 12 {
		t.Errorf("Total = %d, want 12", st.Total)
	}

	st.Requests["sellfern.list"] = 999 // a deep copy: the server must not see this
	st.Faults[mockserver.Fault503] = 999
	if s.Count("sellfern.list") != 3 || s.Stats().Faults[mockserver.Fault503] != 0 {
		t.Error("Stats() shares its maps with the server")
	}

	s.ResetStats()
	st = s.Stats()
	if st.Total != 0 || len(st.Requests) != 0 || len(st.Faults) != 0 || st.FaultsAfterCommit != 0 {
		t.Errorf("after ResetStats: %+v", st)
	}
	if len(s.SelSupWebhooks()) != 0 || len(s.SellfernWebhooks()) != 0 {
		t.Error("state changed unexpectedly")
	}
}

// --- control endpoints ---

func TestControlEndpoints(t *testing.T) {
	s := started(t, mockserver.Options{Seed: 1})
	created := createSellfern(t, s, "https://example.com/a", "order.created")
	ss(t, s, "POST", "/api/webhook/", `{"name":"Имя","url":"https://example.com","types":["ORDER"]}`)
	sf(t, s, "GET", "/api/v2/webhooks", "")

	// Faults and latency never touch the control endpoints, nor do they count.
	s.SetFaults(mockserver.FaultOptions{Rate: 1})
	s.SetLatency(time.Hour)

	r := mustHTTP(t, "GET", s.URL()+"/_mock/stats", "")
	wantStatus(t, r, http.StatusOK)
	var st struct {
		Requests          map[string]int `json:"requests"`
		Faults            map[string]int `json:"faults"`
		FaultsAfterCommit *int           `json:"faults_after_commit"`
		Total             *int           `json:"total"`
	}
	if err := json.Unmarshal(r.body, &st); err != nil {
		t.Fatal(err)
	}
	if st.Requests["sellfern.create"] != 1 || st.Requests["selsup.create"] != 1 || st.Requests["sellfern.list"] != 1 ||
		st.Faults == nil || st.FaultsAfterCommit == nil || *st.FaultsAfterCommit != 0 || st.Total == nil || *st.Total != 3 {
		t.Errorf("stats = %s", r.body)
	}

	r = mustHTTP(t, "GET", s.URL()+"/_mock/state", "")
	wantStatus(t, r, http.StatusOK)
	var state struct {
		Sellfern []map[string]any `json:"sellfern"`
		SelSup   []map[string]any `json:"selsup"`
	}
	if err := json.Unmarshal(r.body, &state); err != nil {
		t.Fatal(err)
	}
	if len(state.Sellfern) != 1 || state.Sellfern[0]["secret"] != created["secret"] {
		t.Errorf("state.sellfern = %v, want the webhook with its secret", state.Sellfern)
	}
	if len(state.SelSup) != 1 || state.SelSup[0]["name"] != "Имя" || state.SelSup[0]["id"] != float64(1001) {
		t.Errorf("state.selsup = %v", state.SelSup)
	}

	r = mustHTTP(t, "POST", s.URL()+"/_mock/reset", "")
	wantStatus(t, r, http.StatusNoContent)
	if st := s.Stats(); st.Total != 0 {
		t.Errorf("Total after reset = %d", st.Total)
	}

	wantStatus(t, mustHTTP(t, "POST", s.URL()+"/_mock/stats", ""), http.StatusMethodNotAllowed)
	wantStatus(t, mustHTTP(t, "GET", s.URL()+"/_mock/reset", ""), http.StatusMethodNotAllowed)
	wantStatus(t, mustHTTP(t, "GET", s.URL()+"/_mock/nope", ""), http.StatusNotFound)
	if st := s.Stats(); st.Total != 0 || len(st.Faults) != 0 {
		t.Errorf("control requests were counted or faulted: %+v", st)
	}
}

// --- latency ---

func TestLatencyIsAdded(t *testing.T) {
	const d = 30 * time.Millisecond
	s := mockserver.New(mockserver.Options{Latency: d})
	start := time.Now()
	wantStatus(t, sf(t, s, "GET", "/api/v2/webhooks", ""), http.StatusOK)
	if elapsed := time.Since(start); elapsed < d {
		t.Errorf("request took %v, want at least %v", elapsed, d)
	}
}

func TestLatencyRespectsCancellation(t *testing.T) {
	s := mockserver.New(mockserver.Options{})
	s.SetLatency(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequestWithContext(ctx, "GET", "/sellfern/api/v2/webhooks", nil)
	req.Header.Set("Authorization", sfAuth)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req) // must return at once, not after an hour
	if rec.Body.Len() != 0 || rec.Header().Get("Content-Type") != "" {
		t.Errorf("a cancelled request got an answer: %d %q", rec.Code, rec.Body)
	}
	if s.Count("sellfern.list") != 1 {
		t.Error("the cancelled request was not counted")
	}
}

// --- state access ---

func TestSellfernStateAccess(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 3})
	w := s.SellfernPut(mockserver.SellfernWebhook{URL: "https://example.com/x", Events: []string{"ticket.created"}, Enabled: true})
	if !idPattern.MatchString(w.ID) || !secretPattern.MatchString(w.Secret) || w.CreatedAt.IsZero() {
		t.Fatalf("SellfernPut insert = %+v", w)
	}

	// Replace: a change "outside Terraform"; secret and created_at are kept.
	w.Events[0] = "order.created" // the returned copy is ours to change
	if got, _ := s.SellfernWebhook(w.ID); got.Events[0] != "ticket.created" {
		t.Fatal("SellfernPut returned the stored slice")
	}
	upd := s.SellfernPut(mockserver.SellfernWebhook{ID: w.ID, URL: "https://example.com/changed", Events: []string{"order.updated"}})
	if upd.Secret != w.Secret || !upd.CreatedAt.Equal(w.CreatedAt) || upd.Enabled {
		t.Errorf("replace = %+v, want secret and created_at kept, enabled false", upd)
	}
	list := sellfernList(t, s)
	if len(list) != 1 || list[0]["url"] != "https://example.com/changed" || list[0]["enabled"] != false {
		t.Errorf("API list after replace = %v", list)
	}

	// An unknown non-empty ID is inserted under that ID, in creation order.
	s.SellfernPut(mockserver.SellfernWebhook{ID: "wh_custom", URL: "https://example.com/c"})
	all := s.SellfernWebhooks()
	if len(all) != 2 || all[0].ID != w.ID || all[1].ID != "wh_custom" || all[1].Secret == "" {
		t.Errorf("SellfernWebhooks = %+v", all)
	}
	all[0].Events = nil
	if got, _ := s.SellfernWebhook(w.ID); len(got.Events) != 1 {
		t.Error("SellfernWebhooks returned shared slices")
	}
	// A webhook with no events still lists an array, not null.
	if got := sellfernList(t, s)[1]["events"]; got == nil {
		t.Errorf("events of an event-less webhook = %v, want []", got)
	}

	if !s.SellfernDelete("wh_custom") || s.SellfernDelete("wh_custom") {
		t.Error("SellfernDelete should report true once, then false")
	}
	if _, ok := s.SellfernWebhook("wh_custom"); ok {
		t.Error("deleted webhook still there")
	}
	if s.SellfernDeliveries("wh_nope") != nil {
		t.Error("deliveries of an unknown webhook should be nil")
	}
}

func TestSelSupStateAccess(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 3})
	w := s.SelSupPut(mockserver.SelSupWebhook{Name: "a", URL: "https://example.com/a", Types: []string{"ORDER"}})
	if w.ID != 1001 || w.ClientID != mockserver.DemoSelSupClientID {
		t.Fatalf("SelSupPut insert = %+v", w)
	}
	s.SelSupPut(mockserver.SelSupWebhook{ID: 5000, URL: "https://example.com/b", Types: []string{"ORDER"}, ClientID: 7})
	created := ss(t, s, "POST", "/api/webhook/", `{"url":"https://example.com/c","types":["ORDER"]}`).object(t)
	if created["id"] != float64(5001) {
		t.Errorf("id after SelSupPut(5000) = %v, want 5001", created["id"])
	}

	w.URL = "https://example.com/changed"
	w.OrganizationID = 9
	s.SelSupPut(w)
	got, ok := s.SelSupWebhook(1001)
	if !ok || got.URL != "https://example.com/changed" || got.OrganizationID != 9 {
		t.Errorf("after replace: %+v", got)
	}
	// The demo key sees its own client's webhooks only (not client 7's).
	list := ss(t, s, "GET", "/api/webhook/", "").array(t)
	if len(list) != 2 || list[0]["url"] != "https://example.com/changed" || list[1]["id"] != float64(5001) {
		t.Errorf("list = %v", list)
	}
	all := s.SelSupWebhooks()
	if len(all) != 3 || all[1].ClientID != 7 {
		t.Errorf("SelSupWebhooks = %+v", all)
	}
	all[0].Types[0] = "X"
	if got, _ := s.SelSupWebhook(1001); got.Types[0] != "ORDER" {
		t.Error("SelSupWebhooks returned shared slices")
	}
	if !s.SelSupDelete(5000) || s.SelSupDelete(5000) {
		t.Error("SelSupDelete should report true once, then false")
	}
}

// --- concurrency (meaningful under -race) ---

func TestConcurrentUse(t *testing.T) {
	// No drops: a ResponseRecorder cannot be hijacked (see TestDropWithoutHijacker).
	kinds := []mockserver.FaultKind{mockserver.Fault503, mockserver.Fault429}
	s := mockserver.New(mockserver.Options{
		Seed:    9,
		Shuffle: true,
		Faults:  mockserver.FaultOptions{Rate: 0.2, Kinds: kinds, AfterCommitRatio: 0.5},
	})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 30 {
				r := serve(t, s, "POST", "/sellfern/api/v2/webhooks", sfAuth,
					fmt.Sprintf(`{"url":"https://example.com/%d/%d","events":["order.created","ticket.updated"]}`, g, i))
				if r.status == http.StatusCreated {
					var env struct{ Data struct{ ID string } }
					_ = json.Unmarshal(r.body, &env)
					serve(t, s, "PATCH", "/sellfern/api/v2/webhooks/"+env.Data.ID, sfAuth, `{"enabled":false}`)
					serve(t, s, "POST", "/sellfern/api/v2/webhooks/"+env.Data.ID+"/test", sfAuth, "")
					if i%2 == 0 {
						serve(t, s, "DELETE", "/sellfern/api/v2/webhooks/"+env.Data.ID+"?confirm="+env.Data.ID, sfAuth, "")
					}
				}
				serve(t, s, "GET", "/sellfern/api/v2/webhooks", sfAuth, "")
				serve(t, s, "POST", "/selsup/api/webhook/", ssAuth, `{"name":"n","url":"https://example.com","types":["ORDER","ORDER_STATUS"]}`)
				serve(t, s, "GET", "/selsup/api/webhook/", ssAuth, "")
				serve(t, s, "DELETE", fmt.Sprintf("/selsup/api/webhook/%d", 1001+i), ssAuth, "")
			}
		})
	}
	wg.Go(func() {
		for i := range 50 {
			s.SetShuffle(i%2 == 0)
			s.SetSelSupOmitTypes(i%3 == 0)
			s.SetLatency(0)
			s.SetFaults(mockserver.FaultOptions{Rate: 0.1 * float64(i%3), Kinds: kinds, AfterCommitRatio: 0.5})
			_ = s.Stats()
			_ = s.SellfernWebhooks()
			_ = s.SelSupWebhooks()
			_ = serve(t, s, "GET", "/_mock/state", "", "")
			s.SellfernPut(mockserver.SellfernWebhook{URL: "https://example.com/put"})
			s.SelSupPut(mockserver.SelSupWebhook{URL: "https://example.com/put"})
		}
	})
	wg.Wait()
	st := s.Stats()
	sum := 0
	for _, n := range st.Requests {
		sum += n
	}
	if sum != st.Total {
		t.Errorf("sum of per-route counts %d != Total %d", sum, st.Total)
	}
}

// --- small shared assertions ---

// errorCode returns the Sellfern error code of an error response.
func errorCode(t *testing.T, r resp) string {
	t.Helper()
	code, _ := sellfernError(t, r)
	return code
}

// sellfernError returns the code and message of a Sellfern error response.
func sellfernError(t *testing.T, r resp) (code, message string) {
	t.Helper()
	var env struct {
		Success *bool `json:"success"`
		Error   struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
		Meta struct {
			RequestID string `json:"request_id"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(r.body, &env); err != nil || env.Success == nil || *env.Success {
		t.Fatalf("not a Sellfern error body: %s", r.body)
	}
	if !requestIDPattern.MatchString(env.Meta.RequestID) {
		t.Errorf("error without a request id in meta: %s", r.body)
	}
	if env.Error.Message == "" {
		t.Errorf("error without a message: %s", r.body)
	}
	return env.Error.Code, env.Error.Message
}

// compactJSON normalises a JSON body for exact comparisons.
// withoutRequestID is a Sellfern answer, compact, without the meta.request_id it must carry.
func withoutRequestID(t *testing.T, b []byte) string {
	t.Helper()
	var env map[string]any
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatalf("invalid JSON %q: %v", b, err)
	}
	meta, _ := env["meta"].(map[string]any)
	if id, _ := meta["request_id"].(string); !requestIDPattern.MatchString(id) {
		t.Errorf("answer without a request id in meta: %s", b)
	}
	delete(meta, "request_id")
	if len(meta) == 0 {
		delete(env, "meta")
	}
	out, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func compactJSON(t *testing.T, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatalf("invalid JSON %q: %v", b, err)
	}
	return buf.String()
}

func TestResponseDelayCommitsFirst(t *testing.T) {
	s := started(t, mockserver.Options{Seed: 1})
	routes := make(chan string, 10)
	s.OnRequest(func(route string) { routes <- route })
	s.SetResponseDelay(time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", s.SellfernBaseURL()+"/api/v2/webhooks",
		strings.NewReader(`{"url":"https://example.com/x","events":["order.created"]}`))
	req.Header.Set("Authorization", "Bearer "+mockserver.DemoSellfernToken)
	errc := make(chan error)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	if route := <-routes; route != "sellfern.create" {
		t.Fatalf("OnRequest saw %q", route)
	}
	cancel() // the client gives up while the answer is delayed
	if err := <-errc; err == nil {
		t.Fatal("the client got an answer despite the delay")
	}
	// The handler ran before the delay, so the webhook exists although nobody heard of it. The handler may
	// still be finishing when the client's call returns; Close waits for it.
	s.Close()
	if n := len(s.SellfernWebhooks()); n != 1 {
		t.Fatalf("%d webhooks stored, want 1", n)
	}
}
