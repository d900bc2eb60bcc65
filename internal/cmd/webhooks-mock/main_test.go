package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed/terraform-provider-webhooks/internal/apitest"
	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

func TestRunPrintsSettingsAndServes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr strings.Builder
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"-seed", "5", "-seed-sellfern", "3", "-seed-selsup", "2", "-shuffle"}, pw, &stderr)
		_ = pw.CloseWithError(err)
		done <- err
	}()

	// Reading the six lines is the readiness signal: no sleeping.
	sc := bufio.NewScanner(pr)
	settings := map[string]string{}
	var keys []string
	for len(keys) < 6 && sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			t.Fatalf("line %q is not KEY=VALUE", sc.Text())
		}
		keys = append(keys, k)
		settings[k] = v
	}
	if err := sc.Err(); err != nil || len(keys) != 6 {
		t.Fatalf("read %v, err %v, stderr %q", keys, err, stderr.String())
	}
	if got := strings.Join(keys, ","); got != "MOCK_URL,SELLFERN_BASE_URL,SELLFERN_TOKEN,SELSUP_BASE_URL,SELSUP_API_KEY,MOCK_PID" {
		t.Errorf("keys = %s", got)
	}
	base := settings["MOCK_URL"]
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`).MatchString(base) ||
		settings["SELLFERN_BASE_URL"] != base+"/sellfern" || settings["SELSUP_BASE_URL"] != base+"/selsup" ||
		settings["SELLFERN_TOKEN"] != mockserver.DemoSellfernToken || settings["SELSUP_API_KEY"] != mockserver.DemoSelSupKey ||
		settings["MOCK_PID"] != strconv.Itoa(os.Getpid()) {
		t.Errorf("settings = %v", settings)
	}

	var sf struct {
		Data []struct {
			URL string `json:"url"`
		} `json:"data"`
	}
	get(t, settings["SELLFERN_BASE_URL"]+"/api/v2/webhooks", "Bearer "+settings["SELLFERN_TOKEN"], &sf)
	if len(sf.Data) != 3 {
		t.Errorf("Sellfern has %d seeded webhooks, want 3", len(sf.Data))
	}
	var ss []struct {
		ID  int64  `json:"id"`
		URL string `json:"url"`
	}
	get(t, settings["SELSUP_BASE_URL"]+"/api/webhook/", settings["SELSUP_API_KEY"], &ss)
	if len(ss) != 2 {
		t.Errorf("SelSup has %d seeded webhooks, want 2", len(ss))
	}
	for _, w := range ss {
		if !strings.HasPrefix(w.URL, "https://example.com/seed/") {
			t.Errorf("seeded url %q", w.URL)
		}
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}

func TestRunRefusesNonLoopback(t *testing.T) {
	var stdout, stderr strings.Builder
	err := run(context.Background(), []string{"-addr", "0.0.0.0:0"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("err = %v, want a loopback error", err)
	}
	if stdout.Len() != 0 {
		t.Errorf("printed settings for a refused address: %q", stdout.String())
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-fault-rate", "1.5"},
		{"-fault-after-commit", "-0.1"},
		{"-fault-kinds", "503,500"},
		{"-seed-sellfern", "-1"},
		{"-late-commits", "-2"},
		{"-late-commits", "1", "-late-commit-delay", "0s"},
		{"-latency", "soon"},
		{"-sellfern-failing-endpoint", "https://hooks.example.com/x"},
		{"-sellfern-failing-endpoint", "https://hooks.example.com/x=oops"},
		{"-sellfern-failing-endpoint", "https://hooks.example.com/x=1000"},
		{"-rate-neighbour-hold", "8s"},
		{"-rate-limit", "5", "-rate-neighbour-hold", "-1s"},
		{"-rate-quota", "3", "-rate-quota-window", "0s"},
		{"-deliver-to", "http://192.0.2.1:8080"},
		{"-deliver-to", "http://127.0.0.1:8080/hooks"},
		{"-sellfern-added-events", "product.created,"},
		{"-selsup-added-types", ""},
		{"extra"},
	} {
		var stdout, stderr strings.Builder
		err := run(context.Background(), args, &stdout, &stderr)
		if !errors.Is(err, errUsage) || stderr.Len() == 0 || stdout.Len() != 0 {
			t.Errorf("%v: err %v, stderr %q, stdout %q", args, err, stderr.String(), stdout.String())
		}
	}
}

// TestRunFailingEndpoint: -sellfern-failing-endpoint makes the test call to a webhook at that URL record a failed
// delivery with the status given, a status 0 an unreachable endpoint, and leaves other URLs working.
func TestRunFailingEndpoint(t *testing.T) {
	const failing, unreachable, working = "https://hooks.example.com/a?x=1", "https://hooks.example.com/b", "https://hooks.example.com/c"
	settings, stop := startRun(t, "-sellfern-failing-endpoint", failing+"=500", "-sellfern-failing-endpoint", unreachable+"=0")
	base, auth := settings["SELLFERN_BASE_URL"]+"/api/v2/webhooks", "Bearer "+settings["SELLFERN_TOKEN"]
	for url, want := range map[string]struct {
		status  int
		success bool
	}{failing: {500, false}, unreachable: {0, false}, working: {200, true}} {
		var created struct {
			Data struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		send(t, http.MethodPost, base, auth, fmt.Sprintf(`{"url": %q, "events": ["order.created"]}`, url), &created)
		var tested struct {
			Data struct {
				StatusCode int    `json:"status_code"`
				Success    bool   `json:"success"`
				Error      string `json:"error"`
			} `json:"data"`
		}
		send(t, http.MethodPost, base+"/"+created.Data.ID+"/test", auth, "", &tested)
		if d := tested.Data; d.StatusCode != want.status || d.Success != want.success || (d.Error == "") != want.success {
			t.Errorf("test event to %s: %+v, want status %d, success %v", url, d, want.status, want.success)
		}
	}
	stop()
}

// TestRunDeliverTo: with -deliver-to, a test call and an event emitted through the control call reach the receiver
// at the webhook URL's path and query, signed with the webhook's secret, and the receiver's answer is recorded.
func TestRunDeliverTo(t *testing.T) {
	rcv := apitest.StartReceiver(t)
	settings, stop := startRun(t, "-deliver-to", rcv.URL)
	base, auth := settings["SELLFERN_BASE_URL"]+"/api/v2/webhooks", "Bearer "+settings["SELLFERN_TOKEN"]
	var created struct {
		Data struct {
			ID     string `json:"id"`
			Secret string `json:"secret"`
		} `json:"data"`
	}
	send(t, http.MethodPost, base, auth, `{"url": "https://hooks.example.com/orders?team=a", "events": ["order.created"]}`, &created)
	rcv.Accept("orders", created.Data.Secret)
	var tested struct {
		Data struct {
			StatusCode int `json:"status_code"`
		} `json:"data"`
	}
	send(t, http.MethodPost, base+"/"+created.Data.ID+"/test", auth, "", &tested)
	var emitted struct {
		Deliveries []struct {
			WebhookID  string `json:"webhook_id"`
			StatusCode int    `json:"status_code"`
		} `json:"deliveries"`
	}
	send(t, http.MethodPost, settings["MOCK_URL"]+"/_mock/sellfern/emit", "", `{"event": "order.created", "data": {"n": 1}}`, &emitted)
	if tested.Data.StatusCode != http.StatusNoContent || len(emitted.Deliveries) != 1 ||
		emitted.Deliveries[0].WebhookID != created.Data.ID || emitted.Deliveries[0].StatusCode != http.StatusNoContent {
		t.Errorf("test delivery %+v, emitted %+v: want both answered 204", tested.Data, emitted)
	}
	got := rcv.Arrivals()
	if len(got) != 2 {
		t.Fatalf("the receiver got %d deliveries, want 2", len(got))
	}
	for _, a := range got {
		if a.Path != "/orders?team=a" || a.VerifiedWith != "orders" || a.Event != "order.created" {
			t.Errorf("arrival %+v", a)
		}
	}
	stop()
}

// startRun runs the mock with args until stop, which fails the test unless run then ends cleanly. It returns the
// settings the mock prints; reading them is the readiness signal.
func startRun(t *testing.T, args ...string) (settings map[string]string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, args, pw, io.Discard)
		_ = pw.CloseWithError(err)
		done <- err
	}()
	settings = map[string]string{}
	for sc := bufio.NewScanner(pr); len(settings) < 6 && sc.Scan(); {
		k, v, _ := strings.Cut(sc.Text(), "=")
		settings[k] = v
	}
	return settings, func() {
		t.Helper()
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("run: %v", err)
		}
	}
}

func TestParseFaultKinds(t *testing.T) {
	kinds, err := parseFaultKinds(" 503, drop ")
	if err != nil || len(kinds) != 2 || kinds[0] != mockserver.Fault503 || kinds[1] != mockserver.FaultDrop {
		t.Errorf("kinds = %v, err %v", kinds, err)
	}
	if kinds, err := parseFaultKinds(""); err != nil || kinds != nil {
		t.Errorf("empty: %v, %v", kinds, err)
	}
}

func get(t *testing.T, url, auth string, into any) {
	t.Helper()
	send(t, http.MethodGet, url, auth, "", into)
}

// send makes one request with a JSON body (none when body is "") and decodes the 2xx answer into into.
func send(t *testing.T, method, url, auth, body string, into any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", auth)
	client := &http.Client{Timeout: 10 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %s", method, url, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(into); err != nil {
		t.Fatal(err)
	}
}

// listSellfern lists the Sellfern webhooks of the mock settings describe, with its token, and returns the answer.
func listSellfern(t *testing.T, settings map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, settings["SELLFERN_BASE_URL"]+"/api/v2/webhooks", nil)
	req.Header.Set("Authorization", "Bearer "+settings["SELLFERN_TOKEN"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// TestRunRateLimit: with -rate-limit 2 -rate-burst 2 -rate-headers, a third request in the same moment gets 429
// with Retry-After, and every answer says where the bucket stands.
func TestRunRateLimit(t *testing.T) {
	settings, stop := startRun(t, "-rate-limit", "2", "-rate-burst", "2", "-rate-headers")
	var statuses []int
	for range 3 {
		res := listSellfern(t, settings)
		statuses = append(statuses, res.StatusCode)
		if res.Header.Get("RateLimit-Limit") != "2" || res.Header.Get("RateLimit-Remaining") == "" {
			t.Errorf("answer %d lacks the rate-limit headers: %v", len(statuses), res.Header)
		}
		if res.StatusCode == http.StatusTooManyRequests && res.Header.Get("Retry-After") != "1" {
			t.Errorf("a 429 with Retry-After %q, want 1", res.Header.Get("Retry-After"))
		}
	}
	if statuses[0] != 200 || statuses[1] != 200 || statuses[2] != http.StatusTooManyRequests {
		t.Fatalf("statuses %v, want 200 200 429", statuses)
	}
	stop()
}

// TestRunRateLimitModes: -rate-neighbour-hold refuses every request of a credential while the neighbour holds
// its quota, and -rate-quota with -rate-headers ends a window's quota with RateLimit-Remaining: 0 and a reset
// that far away, then refuses with Retry-After until the window ends.
func TestRunRateLimitModes(t *testing.T) {
	get := func(settings map[string]string) *http.Response { return listSellfern(t, settings) }
	held, stop := startRun(t, "-rate-limit", "50", "-rate-neighbour-hold", "1h")
	for range 3 {
		if res := get(held); res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "1" {
			t.Fatalf("during the hold: %s, Retry-After %q; want 429 and 1", res.Status, res.Header.Get("Retry-After"))
		}
	}
	stop()

	quota, stop := startRun(t, "-rate-quota", "2", "-rate-quota-window", "1h", "-rate-headers")
	first, second, third := get(quota), get(quota), get(quota)
	if first.StatusCode != 200 || first.Header.Get("RateLimit-Remaining") != "1" {
		t.Errorf("first: %s, remaining %q", first.Status, first.Header.Get("RateLimit-Remaining"))
	}
	if second.StatusCode != 200 || second.Header.Get("RateLimit-Remaining") != "0" || second.Header.Get("RateLimit-Reset") != "3600" {
		t.Errorf("second: %s, %v; want 200 with the quota spent for an hour", second.Status, second.Header)
	}
	if third.StatusCode != http.StatusTooManyRequests || third.Header.Get("Retry-After") != "3600" {
		t.Errorf("third: %s, Retry-After %q; want 429 and 3600", third.Status, third.Header.Get("Retry-After"))
	}
	stop()
}

// TestRunIdempotencySwitches: -late-commits answers the first create 504 and stores it -late-commit-delay later
// (a re-send with its key meanwhile is refused 409, then replayed); -ignore-idempotency-keys makes a re-send a
// second webhook.
func TestRunIdempotencySwitches(t *testing.T) {
	post := func(settings map[string]string, key string) int {
		req, _ := http.NewRequest(http.MethodPost, settings["SELLFERN_BASE_URL"]+"/api/v2/webhooks",
			strings.NewReader(`{"url": "https://hooks.example.com/late", "events": ["order.created"]}`))
		req.Header.Set("Authorization", "Bearer "+settings["SELLFERN_TOKEN"])
		req.Header.Set("Idempotency-Key", key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	count := func(settings map[string]string) int {
		var state struct {
			Sellfern []json.RawMessage `json:"sellfern"`
		}
		send(t, http.MethodGet, settings["MOCK_URL"]+"/_mock/state", "", "", &state)
		return len(state.Sellfern)
	}

	settings, stop := startRun(t, "-late-commits", "1", "-late-commit-delay", "1h")
	if a, b, n := post(settings, "k"), post(settings, "k"), count(settings); a != http.StatusGatewayTimeout || b != http.StatusConflict || n != 0 {
		t.Errorf("late commit: %d then %d with %d webhooks; want 504, 409 and none yet", a, b, n)
	}
	stop()

	settings, stop = startRun(t, "-ignore-idempotency-keys")
	if a, b, n := post(settings, "k"), post(settings, "k"), count(settings); a != http.StatusCreated || b != http.StatusCreated || n != 2 {
		t.Errorf("keys ignored: %d then %d with %d webhooks; want 201, 201 and 2", a, b, n)
	}
	stop()
}

// TestRunAddedEvents: -sellfern-added-events and -selsup-added-types make the services accept events and types they
// have added since their documents (Sellfern emits them too), so that a user can try one the provider does not know.
func TestRunAddedEvents(t *testing.T) {
	settings, stop := startRun(t, "-sellfern-added-events", "product.created, product.updated", "-sellfern-added-events",
		"catalog.synced", "-selsup-added-types", "NEW_TYPE")
	defer stop()
	var made struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	send(t, http.MethodPost, settings["SELLFERN_BASE_URL"]+"/api/v2/webhooks", "Bearer "+settings["SELLFERN_TOKEN"],
		`{"url": "https://hooks.example.com/products", "events": ["product.created", "product.updated", "catalog.synced"]}`, &made)
	var emitted struct {
		Deliveries []struct {
			WebhookID string `json:"webhook_id"`
		} `json:"deliveries"`
	}
	send(t, http.MethodPost, settings["MOCK_URL"]+"/_mock/sellfern/emit", "", `{"event": "catalog.synced"}`, &emitted)
	if len(emitted.Deliveries) != 1 || emitted.Deliveries[0].WebhookID != made.Data.ID {
		t.Errorf("emitting catalog.synced reached %+v, want %s", emitted.Deliveries, made.Data.ID)
	}
	var selsup struct {
		ID int64 `json:"id"`
	}
	send(t, http.MethodPost, settings["SELSUP_BASE_URL"]+"/api/webhook/", settings["SELSUP_API_KEY"],
		`{"name": "new", "url": "https://hooks.example.com/new", "types": ["NEW_TYPE"]}`, &selsup)
	if selsup.ID == 0 {
		t.Error("SelSup made no webhook with NEW_TYPE")
	}
}
