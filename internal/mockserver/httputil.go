package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

const (
	jsonContentType = "application/json"
	maxBodyBytes    = 1 << 20 // 1 MiB, the most either API accepts in a request body
)

// service is one vendor API mounted under a prefix. Each service speaks its
// own error shapes, so everything that writes an error goes through it.
type service interface {
	routes() []route
	notFound(w http.ResponseWriter, r *http.Request)
	methodNotAllowed(w http.ResponseWriter, r *http.Request, allow []string)
	// writeFault answers an injected 503 or 429 in the service's error shape
	// (Retry-After is already set for a 429).
	writeFault(w http.ResponseWriter, kind FaultKind)
}

// handlerFunc handles a matched route; param is the unescaped path parameter
// ("" for routes without one).
type handlerFunc func(w http.ResponseWriter, r *http.Request, param string)

// route is one method + path of an API. Patterns are slash-separated, relative
// to the service prefix; the segment "{}" matches one non-empty segment.
type route struct {
	method string
	segs   []string
	key    string // the Stats route key
	create bool   // creates a webhook: the only routes where a fault may land after commit
	handle handlerFunc
}

func newRoute(method, pattern, key string, create bool, h handlerFunc) route {
	return route{
		method: method,
		segs:   strings.Split(strings.TrimPrefix(pattern, "/"), "/"),
		key:    key,
		create: create,
		handle: h,
	}
}

// routeMatch is the outcome of routing: a route, or the methods allowed on a
// known path (405), or neither (404).
type routeMatch struct {
	route *route
	param string
	allow []string
}

func (m routeMatch) key() string {
	if m.route == nil {
		return routeUnknown
	}
	return m.route.key
}

// matchRoute routes by exact path segments. Matching is strict (no trailing
// slash or case folding) because a client that calls a slightly wrong path
// should fail against the mock as it would against the vendor.
func matchRoute(routes []route, method, escapedRest string) routeMatch {
	var m routeMatch
	if !strings.HasPrefix(escapedRest, "/") {
		return m
	}
	raw := strings.Split(escapedRest[1:], "/")
	segs := make([]string, len(raw))
	for i, seg := range raw {
		// Unescape per segment so that an encoded "/" stays inside its segment.
		u, err := url.PathUnescape(seg)
		if err != nil {
			return m
		}
		segs[i] = u
	}
	for i := range routes {
		rt := &routes[i]
		param, ok := matchSegments(rt.segs, segs)
		if !ok {
			continue
		}
		if rt.method != method {
			m.allow = append(m.allow, rt.method)
			continue
		}
		return routeMatch{route: rt, param: param}
	}
	return m
}

func matchSegments(pattern, segs []string) (param string, ok bool) {
	if len(pattern) != len(segs) {
		return "", false
	}
	for i, p := range pattern {
		switch {
		case p == "{}":
			if segs[i] == "" {
				return "", false
			}
			param = segs[i]
		case p != segs[i]:
			return "", false
		}
	}
	return param, true
}

// writeJSON writes v, one of the mock's own types, as JSON and a newline.
func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	body := encodeJSON(v)
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// encodeJSON is marshalJSON for the mock's own types, which always encode: failing is a bug.
func encodeJSON(v any) []byte {
	body, err := marshalJSON(v)
	if err != nil {
		panic(fmt.Sprintf("mockserver: cannot encode %T: %v", v, err))
	}
	return body
}

// marshalJSON is v as JSON without a final newline. HTML escaping is off so that text such as names round-trips
// byte for byte, as the vendors' JSON libraries do.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// bodyProblem says why a request body is not a usable JSON object.
type bodyProblem int

const (
	bodyOK        bodyProblem = iota
	bodyTooLarge              // over maxBodyBytes
	bodyMalformed             // empty, not JSON, or trailing data
	bodyNotObject             // valid JSON, but not an object
)

// readJSONObject reads the body (at most maxBodyBytes) and parses it as one
// JSON object. Fields stay raw so that each service decodes them with its own
// rules and words its own errors; keys are matched exactly (encoding/json's
// struct decoding would also accept "URL" for "url", which vendors do not).
func readJSONObject(w http.ResponseWriter, r *http.Request) (map[string]json.RawMessage, bodyProblem) {
	if r.Body == nil { // a hand-built request used directly with ServeHTTP
		return nil, bodyMalformed
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, bodyTooLarge
		}
		return nil, bodyMalformed
	}
	if !json.Valid(body) {
		return nil, bodyMalformed
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return nil, bodyNotObject
	}
	return obj, bodyOK
}

// fieldState describes one field of a request object after decoding.
type fieldState int

const (
	fieldAbsent fieldState = iota
	fieldNull
	fieldSet
	fieldWrongType
)

// decodeField decodes obj[name] into dst and reports what was there. A JSON
// null leaves dst untouched, because the services treat null differently.
func decodeField(obj map[string]json.RawMessage, name string, dst any) fieldState {
	raw, ok := obj[name]
	if !ok {
		return fieldAbsent
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return fieldNull
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fieldWrongType
	}
	return fieldSet
}

// discardWriter is the ResponseWriter for a create whose response an
// after-commit fault will replace: the handler runs for real, its answer is
// thrown away, and only the status is kept to tell whether it stored anything.
type discardWriter struct {
	header http.Header
	status int
}

func newDiscardWriter() *discardWriter { return &discardWriter{header: http.Header{}} }

func (d *discardWriter) Header() http.Header { return d.header }

func (d *discardWriter) Write(p []byte) (int, error) {
	if d.status == 0 {
		d.status = http.StatusOK
	}
	return len(p), nil
}

func (d *discardWriter) WriteHeader(status int) {
	if d.status == 0 {
		d.status = status
	}
}

func (d *discardWriter) succeeded() bool { return d.status >= 200 && d.status < 300 }
