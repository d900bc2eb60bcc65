package apitest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/seed/terraform-provider-webhooks/examples/resources/sellfern_webhook/verify"
)

// Receiver is a webhook endpoint on a loopback port that checks Sellfern's signatures, for tests and the demo: the
// mock delivers to it when its URL is the mock's deliver-to address. It verifies each delivery's
// X-Sellfern-Signature over the raw body with the secrets it was given, in constant time, records what arrived, and
// answers 204 when a secret verifies, else 401 "signature does not verify" (or 204 all the same when it accepts
// unverified deliveries, for a test that checks them once it knows the secrets). All methods are safe for
// concurrent use.
type Receiver struct {
	URL string // http://127.0.0.1:PORT
	srv *httptest.Server

	mu         sync.Mutex
	secrets    []namedSecret
	unverified bool                // answer 204 to a delivery no secret verifies
	verified   func([]byte) []byte // what is verified instead of the raw body (nil: the raw body)
	arrivals   []Arrival
}

type namedSecret struct{ name, secret string }

// Arrival is one request the receiver got.
type Arrival struct {
	Method      string
	Path        string // the path and query it was sent to
	ContentType string
	Event       string // X-Sellfern-Event
	Signature   string // X-Sellfern-Signature
	Body        []byte // the raw body, byte for byte
	// VerifiedWith is the name of the secret that verified the delivery when it arrived ("" when none did).
	VerifiedWith string
	Status       int // what the receiver answered
}

// VerifiesWith reports whether the arrival's signature is the one secret makes of its raw body. It checks with
// verify.Verified, the code the sellfern_webhook page shows receivers, so that every test that verifies a delivery
// proves the page's code too.
func (a Arrival) VerifiesWith(secret string) bool {
	return verify.Verified(a.Body, a.Signature, secret)
}

// EventID is the "id" of the event in the body, or "" when the body has none.
func (a Arrival) EventID() string {
	var e struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(a.Body, &e)
	return e.ID
}

// NewReceiver starts a receiver on a loopback port; Close stops it.
func NewReceiver() *Receiver {
	r := &Receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	r.URL = r.srv.URL
	return r
}

// StartReceiver starts a receiver for one test, closed when the test ends.
func StartReceiver(t testing.TB) *Receiver {
	t.Helper()
	r := NewReceiver()
	t.Cleanup(r.Close)
	return r
}

// Close stops the receiver, once the requests it is answering are done.
func (r *Receiver) Close() { r.srv.Close() }

// Accept makes the receiver verify deliveries with secret too; name is what Arrival.VerifiedWith says of it.
func (r *Receiver) Accept(name, secret string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets = append(r.secrets, namedSecret{name: name, secret: secret})
}

// Forget makes the receiver stop accepting the secret called name.
func (r *Receiver) Forget(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets = slices.DeleteFunc(r.secrets, func(s namedSecret) bool { return s.name == name })
}

// AcceptUnverified makes the receiver answer 204 to deliveries no secret verifies (or, off, 401 again). They are
// still recorded with VerifiedWith "".
func (r *Receiver) AcceptUnverified(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unverified = on
}

// VerifyInstead makes the receiver verify f(body) instead of the raw body, as a handler that parses the JSON and
// serialises it again before checking does; nil goes back to the raw body. Arrivals keep the raw body.
func (r *Receiver) VerifyInstead(f func(body []byte) []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.verified = f
}

// Arrivals returns what arrived so far, oldest first.
func (r *Receiver) Arrivals() []Arrival {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.arrivals)
}

// Take returns what arrived since the last Take (or since the start), oldest first, and forgets it.
func (r *Receiver) Take() []Arrival {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.arrivals
	r.arrivals = nil
	return out
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, 1<<20))
	if err != nil {
		http.Error(w, "cannot read the body", http.StatusBadRequest)
		return
	}
	a := Arrival{
		Method:      req.Method,
		Path:        req.URL.RequestURI(),
		ContentType: req.Header.Get("Content-Type"),
		Event:       req.Header.Get("X-Sellfern-Event"),
		Signature:   req.Header.Get("X-Sellfern-Signature"),
		Body:        body,
		Status:      http.StatusNoContent,
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	checked := body
	if r.verified != nil {
		checked = r.verified(slices.Clone(body))
	}
	for _, s := range r.secrets {
		if verify.Verified(checked, a.Signature, s.secret) {
			a.VerifiedWith = s.name
			break
		}
	}
	if a.VerifiedWith == "" && !r.unverified {
		a.Status = http.StatusUnauthorized
	}
	r.arrivals = append(r.arrivals, a)
	if a.Status == http.StatusUnauthorized {
		http.Error(w, "signature does not verify", a.Status)
		return
	}
	w.WriteHeader(a.Status)
}
