package mockserver

import (
	"net/http"
	"slices"
	"strconv"
	"time"
)

// FaultKind is one way an injected fault shows itself to the client.
type FaultKind string

// The fault kinds the mock can inject.
const (
	Fault503  FaultKind = "503"  // 503 with Retry-After and a JSON error body in the service's error shape
	Fault429  FaultKind = "429"  // 429 with header Retry-After: <FaultOptions.RetryAfter in whole seconds, min 0>
	FaultDrop FaultKind = "drop" // hijack the connection and close it without any response
)

var allFaultKinds = []FaultKind{Fault503, Fault429, FaultDrop}

// FaultOptions configures fault injection. The zero value injects nothing.
type FaultOptions struct {
	Rate  float64     // 0..1: fraction of API requests (both services, every route) that fail
	Kinds []FaultKind // kinds to choose from uniformly; empty = all three
	// AfterCommitRatio (0..1): of the 503s and dropped connections that hit a CREATE (Sellfern POST /webhooks,
	// SelSup POST), this fraction happen AFTER the webhook is stored (client sees the fault; the webhook exists).
	// The rest happen before anything is stored. A 429 never comes after the work: a service that limits its
	// callers refuses the surplus before doing anything.
	AfterCommitRatio float64
	RetryAfter       time.Duration // Retry-After of a 429 or 503; default 0 means "0" seconds is sent
	// Routes, when set, limits faults to these route keys (e.g. "sellfern.create"): a service whose creates fail
	// while its lists work is the case where a client can always find out what a lost create did.
	Routes []string
}

// normalizeFaults clamps ratios into 0..1, drops unknown kinds and copies the
// Kinds slice so the caller cannot change it under a running server.
func normalizeFaults(f FaultOptions) FaultOptions {
	f.Rate = min(max(f.Rate, 0), 1)
	f.AfterCommitRatio = min(max(f.AfterCommitRatio, 0), 1)
	f.RetryAfter = max(f.RetryAfter, 0)
	kinds := make([]FaultKind, 0, len(f.Kinds))
	for _, k := range f.Kinds {
		if slices.Contains(allFaultKinds, k) {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) == 0 {
		kinds = slices.Clone(allFaultKinds)
	}
	f.Kinds = kinds
	f.Routes = slices.Clone(f.Routes)
	return f
}

// faultDecision is what pickFault chose for one request.
type faultDecision struct {
	kind        FaultKind
	afterCommit bool
}

// pickFault decides whether this request fails and how. With Rate 0 it draws
// nothing from the RNG, so ids stay reproducible for a given seed when faults
// are off.
func (s *Server) pickFault(f FaultOptions, routeKey string, create bool) (faultDecision, bool) {
	if f.Rate <= 0 || (f.Routes != nil && !slices.Contains(f.Routes, routeKey)) || s.rng.float64() >= f.Rate {
		return faultDecision{}, false
	}
	d := faultDecision{kind: f.Kinds[s.rng.intN(len(f.Kinds))]}
	if create && f.AfterCommitRatio > 0 && d.kind != Fault429 {
		d.afterCommit = s.rng.float64() < f.AfterCommitRatio
	}
	return d, true
}

// deliverFault sends the fault to the client in the service's shape.
func deliverFault(w http.ResponseWriter, svc service, kind FaultKind, retryAfter time.Duration) {
	switch kind {
	case FaultDrop:
		dropConnection(w)
	case Fault429:
		w.Header().Set("Retry-After", retryAfterSeconds(retryAfter))
		svc.writeFault(w, Fault429)
	default:
		// A service that is briefly unavailable says when to come back, as HTTP allows for a 503.
		w.Header().Set("Retry-After", retryAfterSeconds(retryAfter))
		svc.writeFault(w, Fault503)
	}
}

// retryAfterSeconds renders d in whole seconds, rounded up so that a client
// honouring the header never comes back earlier than configured.
func retryAfterSeconds(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
}

// dropConnection closes the connection without writing a response, as a
// crashed proxy or a network failure would.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2, a ResponseRecorder): aborting the handler is
		// the closest equivalent; net/http then resets the stream or connection.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}
