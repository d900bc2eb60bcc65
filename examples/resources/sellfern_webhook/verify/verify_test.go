package verify_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/seed/terraform-provider-webhooks/examples/resources/sellfern_webhook/verify"
	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

// TestHandler runs the code the sellfern_webhook page shows against the deliveries the mock signs as Sellfern does:
// it accepts what its secrets sign, refuses anything else with 401 "signature does not verify", accepts both
// webhooks of a rotation while it holds both secrets, and refuses a body that was parsed and serialised again.
func TestHandler(t *testing.T) {
	var mu sync.Mutex
	var secrets []string
	var handled []string // event ids
	var lastBody []byte  // the last delivery's raw body and signature
	var lastSignature string
	h := verify.Handler(
		func() []string { mu.Lock(); defer mu.Unlock(); return slices.Clone(secrets) },
		func(event string, body []byte) error {
			var e struct {
				ID   string `json:"id"`
				Type string `json:"type"`
			}
			if err := json.Unmarshal(body, &e); err != nil || e.Type != event {
				t.Errorf("handed %q with body %s (%v)", event, body, err)
			}
			mu.Lock()
			defer mu.Unlock()
			handled = append(handled, e.ID)
			return nil
		})
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		lastBody, lastSignature = body, r.Header.Get("X-Sellfern-Signature")
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, r)
	}))
	defer rcv.Close()
	m := mockserver.New(mockserver.Options{Seed: 1, DeliverTo: rcv.URL})
	old := m.SellfernPut(mockserver.SellfernWebhook{URL: "https://hooks.example.com/orders", Events: []string{"order.created"}, Enabled: true})
	statuses := func() []int {
		t.Helper()
		em, err := m.EmitSellfernEvent("order.created", map[string]any{"order_id": "ord_1"})
		if err != nil {
			t.Fatal(err)
		}
		var out []int
		for _, d := range em.Deliveries {
			out = append(out, d.StatusCode)
			if d.StatusCode == http.StatusUnauthorized && d.Error != "signature does not verify" {
				t.Errorf("refused with %q", d.Error)
			}
		}
		return out
	}

	hold := func(s ...string) { mu.Lock(); defer mu.Unlock(); secrets = s }

	if got := statuses(); !slices.Equal(got, []int{401}) {
		t.Errorf("without the secret: %v, want 401", got)
	}
	hold(old.Secret)
	if got := statuses(); !slices.Equal(got, []int{204}) || len(handled) != 1 {
		t.Errorf("with the secret: %v (handled %v), want 204", got, handled)
	}

	// A rotation: the new webhook exists beside the old one; the receiver holds both secrets, then the new one alone.
	replacement := m.SellfernPut(mockserver.SellfernWebhook{URL: old.URL, Events: old.Events, Enabled: true})
	if got := statuses(); !slices.Equal(got, []int{204, 401}) {
		t.Errorf("before the hand-off: %v, want the old webhook's accepted and the new one's refused", got)
	}
	hold(replacement.Secret, old.Secret)
	if got := statuses(); !slices.Equal(got, []int{204, 204}) || handled[len(handled)-1] != handled[len(handled)-2] {
		t.Errorf("with both secrets: %v, handled %v: want both accepted, one event twice", got, handled)
	}
	m.SellfernDelete(old.ID)
	hold(replacement.Secret)
	if got := statuses(); !slices.Equal(got, []int{204}) {
		t.Errorf("after the old webhook is gone: %v", got)
	}

	// The body parsed and serialised again is other bytes: it does not verify.
	var parsed map[string]any
	if err := json.Unmarshal(lastBody, &parsed); err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(parsed)
	if !verify.Verified(lastBody, lastSignature, replacement.Secret) || verify.Verified(again, lastSignature, replacement.Secret) {
		t.Errorf("the raw body %s must verify and the re-serialised one %s must not", lastBody, again)
	}
}
