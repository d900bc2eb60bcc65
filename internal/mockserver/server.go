// Package mockserver is a faithful in-memory fake of the Sellfern and SelSup
// webhook APIs. It enforces the vendors' rules (auth, validation, error bodies,
// the one-time secret, delete confirmation) so that tests run against it prove
// something about a client, and it can add latency and inject faults (503, 429,
// dropped connections, creates whose response is lost) to exercise retries.
//
// The mock knows the vendors' rules only; it contains no provider logic.
package mockserver

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Credentials the default Options accept.
const (
	DemoSellfernToken    = "sk_test_mock_demo"    // has scope webhooks:manage
	NoScopeSellfernToken = "sk_test_mock_noscope" // valid token WITHOUT the scope -> 403 missing_scope
	DemoSelSupKey        = "mock-selsup-demo-key"
	DemoSelSupClientID   = int64(4242)
)

// URL prefixes under which each service's API is mounted.
const (
	sellfernPrefix = "/sellfern"
	selsupPrefix   = "/selsup"
	controlPrefix  = "/_mock/"
)

// Options configures a Server. The zero value is a usable mock with the demo
// credentials, no latency and no faults.
type Options struct {
	SellfernTokens  map[string]bool  // token -> has webhooks:manage; nil = {DemoSellfernToken:true, NoScopeSellfernToken:false}
	SelSupKeys      map[string]int64 // key -> clientId; nil = {DemoSelSupKey: DemoSelSupClientID}
	Latency         time.Duration    // added to every API request before it is handled
	Faults          FaultOptions
	Seed            int64 // seeds the RNG used for ids, secrets, faults, shuffling; 0 = time-based
	Shuffle         bool  // lists AND each webhook's events/types arrays are returned in a random order
	SelSupOmitTypes bool  // SelSup list omits the "types" field entirely (docs don't promise it)
	// SelSupOrganizations, when set, are the only organization ids the accounts have: a create naming another
	// gets 400 "Организация не найдена", a rule only the service can check (the provider cannot know them).
	SelSupOrganizations []int64
	// RateLimit, when PerSecond is set, limits the requests of each credential (ratelimit.go).
	RateLimit RateLimit
	// DeliverTo, when set, is where Sellfern's deliveries are made: http://HOST:PORT on a loopback host, to which
	// each delivery adds its webhook URL's path and query (deliveries.go). Without it deliveries are recorded, not
	// made. New panics on an address CheckDeliverTo refuses.
	DeliverTo string
}

// runtimeConfig is the part of Options that can change while serving.
type runtimeConfig struct {
	latency       time.Duration
	responseDelay time.Duration
	onRequest     func(route string)
	faults        FaultOptions
	shuffle       bool
	omitTypes     bool
	answers       map[string]Answer // route -> canned answer (modes.go)
	stalls        map[string]bool
	normalizeURLs bool
	cleanPaths    bool
	twin          bool
	twinAge       time.Duration
	// testNoDelivery makes Sellfern's test call answer without the delivery it made.
	testNoDelivery bool
	limiter        *limiter // nil: no rate limit
	ignoreKeys     bool     // Sellfern processes every request whatever its Idempotency-Key (idempotency.go)
	notServed      bool
	pageSize       int
	deliverySuffix string
	// sellfernPageStyle and listHints: how a list says more follows (pages.go).
	sellfernPageStyle bool
	listHints         map[string]ListHint
	// added: events or types a service has added to its documented ones, by service (added_events.go).
	added map[string][]string
	// deliverTo is where deliveries are made (nil: recorded only), each within deliveryTimeout (deliveries.go).
	deliverTo       *url.URL
	deliveryTimeout time.Duration
}

// Server is the mock. It implements http.Handler, so it can be mounted in an
// httptest.Server, or it can listen by itself with Start. All methods are safe
// for concurrent use.
type Server struct {
	rng   *lockedRand
	stats statsRecorder

	cfgMu sync.RWMutex
	cfg   runtimeConfig

	sellfern *sellfernAPI
	selsup   *selsupAPI
	mounts   []mount
	journal  journal // the order of the API's changes (journal.go)
	late     lateCommits

	twinMu sync.Mutex
	twins  []string // ids of the webhooks SetTwin made

	answered atomic.Uint64 // Sellfern answers so far, for their request ids

	lifeMu  sync.Mutex
	started bool
	closed  bool
	ln      net.Listener
	httpSrv *http.Server
	served  chan struct{} // closed when the Serve goroutine has returned
}

// mount binds a service to its URL prefix.
type mount struct {
	prefix string
	svc    service
}

// New returns a Server with empty state. It does not listen; use Start or
// mount it as an http.Handler.
func New(opts Options) *Server {
	seed := opts.Seed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	tokens := opts.SellfernTokens
	if tokens == nil {
		tokens = map[string]bool{DemoSellfernToken: true, NoScopeSellfernToken: false}
	}
	keys := opts.SelSupKeys
	if keys == nil {
		keys = map[string]int64{DemoSelSupKey: DemoSelSupClientID}
	}

	s := &Server{
		rng:   newLockedRand(seed),
		stats: newStatsRecorder(),
		cfg: runtimeConfig{
			latency:   max(opts.Latency, 0),
			faults:    normalizeFaults(opts.Faults),
			shuffle:   opts.Shuffle,
			omitTypes: opts.SelSupOmitTypes,
			limiter:   newLimiter(opts.RateLimit),

			deliverTo:       mustDeliverTo(opts.DeliverTo),
			deliveryTimeout: defaultDeliveryTimeout,
		},
	}
	// Clone the credential maps so that a caller mutating its own map later
	// cannot race with request handling.
	s.sellfern = newSellfernAPI(s, maps.Clone(tokens))
	s.selsup = newSelSupAPI(s, maps.Clone(keys), slices.Clone(opts.SelSupOrganizations))
	s.mounts = []mount{
		{prefix: sellfernPrefix, svc: s.sellfern},
		{prefix: selsupPrefix, svc: s.selsup},
	}
	return s
}

// ServeHTTP handles one request. For API requests the order is fixed: count -> latency -> rate limit -> stall ->
// fault decision -> late commit (latecommit.go) -> canned answer -> (auth, Sellfern's idempotency and) handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, controlPrefix) {
		s.serveControl(w, r)
		return
	}

	cfg := s.config()
	routed := r.URL.EscapedPath()
	if cfg.cleanPaths {
		routed = cleanPath(r)
	}
	svc, prefix, rest := s.serviceFor(routed)
	if svc == nil {
		// Outside both APIs there is no vendor error shape to speak, so such
		// requests get neither latency nor faults: just a counted 404.
		s.stats.request(routeUnknown)
		writeJSON(w, http.StatusNotFound, jsonContentType, map[string]string{
			"error":   "not_found",
			"message": fmt.Sprintf("no API at %s; the mock serves %s and %s", r.URL.Path, sellfernPrefix, selsupPrefix),
		})
		return
	}

	m := matchRoute(svc.routes(), r.Method, rest)
	s.stats.request(m.key())

	if cfg.onRequest != nil {
		cfg.onRequest(m.key())
	}
	if !sleepContext(r, cfg.latency) {
		return // the client went away while we were "slow"; nobody to answer
	}

	routeKey := routeUnknown
	if m.route != nil {
		routeKey = m.route.key
	}
	if v := cfg.limiter.admit(w, r, prefix, svc); !v.admitted || v.unused > 0 {
		s.stats.rateLimit(routeKey, v)
		if !v.admitted {
			return
		}
	}
	if cfg.notServed {
		notServed(w)
		return
	}
	if cfg.stalls[routeKey] {
		stall(r)
		return
	}
	if f, hit := s.pickFault(cfg.faults, routeKey, m.route != nil && m.route.create); hit {
		committed := false
		if f.afterCommit {
			// The create really happens; only its response is lost.
			dw := newDiscardWriter()
			m.route.handle(dw, r, m.param)
			committed = dw.succeeded()
		}
		s.stats.fault(routeKey, f.kind, committed)
		deliverFault(w, svc, f.kind, cfg.faults.RetryAfter)
		return
	}
	if m.route != nil && m.route.create {
		if l, late := s.pickLateCommit(); late {
			s.serveLate(w, r, m.route, m.param, l)
			return
		}
	}

	if a, ok := cfg.answers[routeKey]; ok {
		answerWith(w, a)
		return
	}

	switch {
	case m.route != nil && cfg.responseDelay > 0:
		// The work is done now; only the answer is slow. A client that gives up meanwhile never learns the
		// outcome, the case a lost create response is made of.
		rec := httptest.NewRecorder()
		m.route.handle(rec, r, m.param)
		if !sleepContext(r, cfg.responseDelay) {
			return
		}
		maps.Copy(w.Header(), rec.Header())
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	case m.route != nil:
		m.route.handle(w, r, m.param)
	case len(m.allow) > 0:
		svc.methodNotAllowed(w, r, m.allow)
	default:
		svc.notFound(w, r)
	}
}

// serviceFor returns the service mounted at the start of path, its prefix, and the rest of the path after the
// prefix ("" or beginning with "/").
func (s *Server) serviceFor(path string) (service, string, string) {
	for _, m := range s.mounts {
		rest, ok := strings.CutPrefix(path, m.prefix)
		if ok && (rest == "" || rest[0] == '/') {
			return m.svc, m.prefix, rest
		}
	}
	return nil, "", ""
}

// config returns a snapshot of the runtime switches, so one request sees a
// consistent set even if a test flips them concurrently.
func (s *Server) config() runtimeConfig {
	s.cfgMu.RLock()
	defer s.cfgMu.RUnlock()
	return s.cfg
}

func (s *Server) updateConfig(f func(*runtimeConfig)) {
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	f(&s.cfg)
}

// SetFaults replaces the fault injection settings.
func (s *Server) SetFaults(f FaultOptions) {
	f = normalizeFaults(f)
	s.updateConfig(func(c *runtimeConfig) { c.faults = f })
}

// SetResponseDelay delays every API answer by d after the request has been carried out (unlike latency,
// which comes before): a client that gives up during the delay does not learn what its request did.
func (s *Server) SetResponseDelay(d time.Duration) {
	s.updateConfig(func(c *runtimeConfig) { c.responseDelay = max(d, 0) })
}

// OnRequest registers f to be called with the route key of every API request as it arrives, before latency
// and faults, so that tests can act at a precise moment (an interrupt while requests are in flight) without
// polling. f must not block.
func (s *Server) OnRequest(f func(route string)) {
	s.updateConfig(func(c *runtimeConfig) { c.onRequest = f })
}

// SetLatency sets the delay added to every API request.
func (s *Server) SetLatency(d time.Duration) {
	s.updateConfig(func(c *runtimeConfig) { c.latency = max(d, 0) })
}

// SetShuffle turns random ordering of lists and arrays on or off.
func (s *Server) SetShuffle(on bool) {
	s.updateConfig(func(c *runtimeConfig) { c.shuffle = on })
}

// SetSelSupOmitTypes makes the SelSup list omit "types" (or include it again).
func (s *Server) SetSelSupOmitTypes(on bool) {
	s.updateConfig(func(c *runtimeConfig) { c.omitTypes = on })
}

// SetSellfernTestOmitsDelivery makes Sellfern's test call answer {"success":true} without the delivery it
// recorded (or include it again). Sellfern's documents do not show what the test call answers, so a client must
// cope with either; the delivery is still recorded and listed.
func (s *Server) SetSellfernTestOmitsDelivery(on bool) {
	s.updateConfig(func(c *runtimeConfig) { c.testNoDelivery = on })
}

// Start listens on addr (for example "127.0.0.1:0") and serves in the
// background. Only loopback hosts are accepted: the mock speaks plain HTTP and
// clients send real-looking credentials to it.
func (s *Server) Start(addr string) error {
	if err := checkLoopback(addr); err != nil {
		return err
	}
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.started {
		return errors.New("mockserver: server already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("mockserver: listen on %s: %w", addr, err)
	}
	// "localhost" could in principle resolve to something else; check what we got.
	if tcp, ok := ln.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		_ = ln.Close()
		return fmt.Errorf("mockserver: %s resolved to non-loopback address %s", addr, ln.Addr())
	}

	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	s.started, s.ln, s.httpSrv, s.served = true, ln, srv, served
	return nil
}

// Close stops the listener and closes open connections. It is idempotent and
// a no-op on a Server that was never started. A Server cannot be restarted.
func (s *Server) Close() {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.httpSrv == nil || s.closed {
		return
	}
	s.closed = true
	// Creates held to be stored late are stored now, rather than left waiting for ever.
	s.CommitLateNow()
	// Let requests in progress finish (briefly), so that what they did is in the state once Close returns.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if s.httpSrv.Shutdown(ctx) != nil {
		_ = s.httpSrv.Close()
	}
	<-s.served
}

// URL returns the base URL of a started server ("http://127.0.0.1:PORT"), or
// "" before Start.
func (s *Server) URL() string {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.ln == nil {
		return ""
	}
	return "http://" + s.ln.Addr().String()
}

// SellfernBaseURL is the base URL to configure a Sellfern client with.
func (s *Server) SellfernBaseURL() string { return s.URL() + sellfernPrefix }

// SelSupBaseURL is the base URL to configure a SelSup client with.
func (s *Server) SelSupBaseURL() string { return s.URL() + selsupPrefix }

// checkLoopback refuses listen addresses that are not on a loopback host,
// including an empty host, which would listen on every interface.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("mockserver: invalid listen address %q: %w", addr, err)
	}
	if isLoopbackName(host) {
		return nil
	}
	return fmt.Errorf("mockserver: refusing to listen on %q: only loopback hosts (127.0.0.1, ::1, localhost) are allowed", addr)
}

// sleepContext waits d unless the request is cancelled first; it reports
// whether the full delay elapsed.
func sleepContext(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// stateJSON is the body of GET /_mock/state: everything, secrets included.
type stateJSON struct {
	Sellfern []sellfernWebhookJSON `json:"sellfern"`
	SelSup   []selsupWebhookJSON   `json:"selsup"`
}

// serveControl answers the /_mock/ endpoints used by tools that run the mock
// in another process. They bypass auth, latency, faults and counters.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	type endpoint struct {
		method string
		serve  func()
	}
	endpoints := map[string]endpoint{
		"stats": {http.MethodGet, func() { writeJSON(w, http.StatusOK, jsonContentType, s.Stats()) }},
		"reset": {http.MethodPost, func() { s.ResetStats(); w.WriteHeader(http.StatusNoContent) }},
		"state": {http.MethodGet, func() {
			writeJSON(w, http.StatusOK, jsonContentType, stateJSON{
				Sellfern: s.sellfern.stateView(),
				SelSup:   s.selsup.stateView(),
			})
		}},
		"sellfern/emit": {http.MethodPost, func() { s.serveEmit(w, r) }},
	}
	ep, ok := endpoints[strings.TrimPrefix(r.URL.Path, controlPrefix)]
	switch {
	case !ok:
		writeJSON(w, http.StatusNotFound, jsonContentType, map[string]string{
			"error": "not_found", "message": "control endpoints: GET /_mock/stats, POST /_mock/reset, GET /_mock/state, POST /_mock/sellfern/emit",
		})
	case r.Method != ep.method:
		w.Header().Set("Allow", ep.method)
		writeJSON(w, http.StatusMethodNotAllowed, jsonContentType, map[string]string{
			"error": "method_not_allowed", "message": "use " + ep.method,
		})
	default:
		ep.serve()
	}
}
