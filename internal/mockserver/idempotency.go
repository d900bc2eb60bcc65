package mockserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Sellfern's idempotency, as its developer guide ("Idempotency", and the API overview) states it: write endpoints
// (POST, PATCH) accept an optional Idempotency-Key header. A new key: the request is processed and its answer
// stored. The same key with the same request: the stored answer is replayed, the create's one-time secret included,
// and nothing is done again. The same key with a different request: 422 idempotency_conflict. Keys are kept 24
// hours. "Retry uncertain network or 5xx failures with the same key": a 5xx is therefore not stored, so a re-send
// after one is processed. The mock's decisions where the pages are silent (README.md beside this file):
//
//   - keys belong to a credential: the same key sent with another token is another key;
//   - "the same request" is the same method, path and query, and a body that is the same JSON value (white space
//     and the order of an object's keys do not count);
//   - a request whose key is still being processed (an earlier attempt the service has not finished) gets
//     409 idempotency_key_in_use and nothing is done: what HTTP's Idempotency-Key draft specifies for that case;
//   - a key longer than 255 characters is 400 validation_error (the limit Sellfern's V1 API documents);
//   - every answer of the endpoint but a 5xx is stored, errors included: the same request would get it again;
//   - authentication comes first, so a refused token neither uses nor learns a key.

const (
	// idempotencyLife is how long a key's answer is kept.
	idempotencyLife = 24 * time.Hour
	maxKeyChars     = 255

	sfIdempotencyConflict = "idempotency_conflict"
	sfKeyInUse            = "idempotency_key_in_use"
)

// idempotencyStore holds the keys of one service.
type idempotencyStore struct {
	now func() time.Time

	mu      sync.Mutex
	entries map[idempotencyID]*idempotencyEntry
}

type idempotencyID struct{ credential, key string }

// idempotencyEntry is one key: the request it was first used with, and the answer once there is one.
type idempotencyEntry struct {
	request string
	created time.Time
	done    bool
	status  int
	header  http.Header
	body    []byte
}

func newIdempotencyStore() *idempotencyStore {
	return &idempotencyStore{now: time.Now, entries: map[idempotencyID]*idempotencyEntry{}}
}

// begin looks key up for request: the entry to replay, a problem to answer with (a conflict, a key in use), or
// neither, in which case the key is now in flight and finish or abandon must follow.
func (st *idempotencyStore) begin(id idempotencyID, request string) (replay *idempotencyEntry, conflict, inUse bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	for k, e := range st.entries {
		if now.Sub(e.created) >= idempotencyLife {
			delete(st.entries, k)
		}
	}
	e, ok := st.entries[id]
	switch {
	case !ok:
		st.entries[id] = &idempotencyEntry{request: request, created: now}
		return nil, false, false
	case e.request != request:
		return nil, true, false
	case !e.done:
		return nil, false, true
	}
	c := *e
	return &c, false, false
}

// finish stores the answer to the request in flight under id; a 5xx is not stored, so the key is free again.
func (st *idempotencyStore) finish(id idempotencyID, rec *httptest.ResponseRecorder) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if rec.Code >= 500 {
		delete(st.entries, id)
		return
	}
	if e, ok := st.entries[id]; ok {
		e.done, e.status, e.header, e.body = true, rec.Code, rec.Header().Clone(), bytes.Clone(rec.Body.Bytes())
	}
}

// abandon frees a key whose request ended without an answer.
func (st *idempotencyStore) abandon(id idempotencyID) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if e, ok := st.entries[id]; ok && !e.done {
		delete(st.entries, id)
	}
}

// idempotent wraps a Sellfern write handler (inside authed, so the token is known) with the rules above.
func (a *sellfernAPI) idempotent(route string, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, param string) {
		key := r.Header.Get("Idempotency-Key")
		if key == "" || a.srv.config().ignoreKeys {
			h(w, r, param)
			return
		}
		if len([]rune(key)) > maxKeyChars {
			a.fail(w, http.StatusBadRequest, sfValidationError, fmt.Sprintf("Idempotency-Key must be 1 to %d characters", maxKeyChars))
			return
		}
		body, ok := a.bufferBody(w, r)
		if !ok {
			return
		}
		_, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		id := idempotencyID{credential: token, key: key}
		replay, conflict, inUse := a.keys.begin(id, requestFingerprint(r, body))
		switch {
		case conflict:
			a.srv.stats.idempotency(route, keyConflict)
			a.fail(w, http.StatusUnprocessableEntity, sfIdempotencyConflict,
				"Idempotency-Key was already used with a different request; nothing was done")
			return
		case inUse:
			a.srv.stats.idempotency(route, keyInUse)
			a.fail(w, http.StatusConflict, sfKeyInUse,
				"a request with this Idempotency-Key is still being processed; nothing was done: retry later")
			return
		case replay != nil:
			a.srv.stats.idempotency(route, keyReplayed)
			maps.Copy(w.Header(), replay.header)
			w.WriteHeader(replay.status)
			_, _ = w.Write(replay.body)
			return
		}
		finished := false
		defer func() {
			if !finished {
				a.keys.abandon(id)
			}
		}()
		rec := httptest.NewRecorder()
		h(rec, r, param)
		a.keys.finish(id, rec)
		finished = true
		maps.Copy(w.Header(), rec.Header())
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}
}

// bufferBody reads the request body so that it can be compared and then handed on, answering as the handler
// would when it is too large to read.
func (a *sellfernAPI) bufferBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.Body == nil {
		return nil, true
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		a.fail(w, http.StatusBadRequest, sfInvalidJSON, fmt.Sprintf("request body is larger than %d bytes", maxBodyBytes))
		return nil, false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, true
}

// requestFingerprint is what makes two requests "the same request" for a key: method, path, query, and the body
// as a JSON value (re-encoded, so white space and key order do not count), or its bytes when it is not JSON.
func requestFingerprint(r *http.Request, body []byte) string {
	canonical := body
	var v any
	if json.Unmarshal(body, &v) == nil {
		if b, err := json.Marshal(v); err == nil {
			canonical = b
		}
	}
	return r.Method + "\x00" + r.URL.EscapedPath() + "\x00" + r.URL.RawQuery + "\x00" + string(canonical)
}

// SetIgnoreIdempotencyKeys makes Sellfern ignore Idempotency-Key, as a proxy in front of it that drops the header
// would: every request is processed, so a re-sent create makes a second webhook. Not what Sellfern documents.
func (s *Server) SetIgnoreIdempotencyKeys(on bool) {
	s.updateConfig(func(c *runtimeConfig) { c.ignoreKeys = on })
}
