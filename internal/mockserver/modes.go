package mockserver

import (
	"maps"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"golang.org/x/net/idna"
)

// The switches below make the mock answer as a real service may on a bad day, one behaviour each, so that every
// defence of a client runs against it. All are off unless a test turns them on.

// Answer is a canned answer that replaces a route's work: the request is counted, and answered with this, and
// nothing happens on the server.
type Answer struct {
	Status      int    // 0 means 200
	ContentType string // "" means application/json
	Body        string
}

// SetAnswer makes every request to route get a instead of being carried out; nil restores the route. It makes a
// 200 that says it failed ({"success": false, …}), a list that is null, a create whose answer names an id no path
// can hold.
func (s *Server) SetAnswer(route string, a *Answer) {
	s.updateConfig(func(c *runtimeConfig) {
		c.answers = maps.Clone(c.answers)
		if c.answers == nil {
			c.answers = map[string]Answer{}
		}
		if a == nil {
			delete(c.answers, route)
			return
		}
		c.answers[route] = *a
	})
}

// SetStall makes every request to route hang, unanswered, until the client gives up: a list that never returns.
func (s *Server) SetStall(route string, on bool) {
	s.updateConfig(func(c *runtimeConfig) {
		c.stalls = maps.Clone(c.stalls)
		if c.stalls == nil {
			c.stalls = map[string]bool{}
		}
		c.stalls[route] = on
	})
}

// SetNormalizeURLs makes both services store a webhook's URL the way some services do: scheme and host in lower
// case, an internationalised host in punycode, and the scheme's default port dropped. Lists then show a URL that
// is spelled differently from the one the client sent.
func (s *Server) SetNormalizeURLs(on bool) {
	s.updateConfig(func(c *runtimeConfig) { c.normalizeURLs = on })
}

// SetCleanPaths makes the mock route requests on their decoded and cleaned path, as a server behind a
// path-normalising proxy does: an escaped "/" becomes a separator and "." and ".." segments are resolved, so
// PATCH /api/v2/webhooks/wh%2F..%2Fx reaches webhook x.
func (s *Server) SetCleanPaths(on bool) {
	s.updateConfig(func(c *runtimeConfig) { c.cleanPaths = on })
}

// SetTwin makes every create store, just before the webhook asked for, an identical one that someone else made:
// another environment or CI run with the same configuration, on the same account. madeAgo dates it that far back
// (Sellfern's created_at), for a twin that a lagging list shows only now. Twins lists the ids of those made.
func (s *Server) SetTwin(on bool, madeAgo time.Duration) {
	s.updateConfig(func(c *runtimeConfig) { c.twin, c.twinAge = on, madeAgo })
}

// Twins returns the ids of the webhooks SetTwin made, as strings, oldest first.
func (s *Server) Twins() []string {
	s.twinMu.Lock()
	defer s.twinMu.Unlock()
	return append([]string(nil), s.twins...)
}

func (s *Server) noteTwin(id string) {
	s.twinMu.Lock()
	defer s.twinMu.Unlock()
	s.twins = append(s.twins, id)
}

// cleanPath is the escaped path a path-normalising server routes on.
func cleanPath(r *http.Request) string {
	cleaned := path.Clean(r.URL.Path)
	if strings.HasSuffix(r.URL.Path, "/") && cleaned != "/" {
		cleaned += "/"
	}
	return (&url.URL{Path: cleaned}).EscapedPath()
}

// normalizeURL is what SetNormalizeURLs stores for raw.
func normalizeURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	host := strings.ToLower(u.Hostname())
	if ascii, err := idna.Lookup.ToASCII(host); err == nil {
		host = ascii
	}
	switch port := u.Port(); {
	case port != "" && !(u.Scheme == "https" && port == "443") && !(u.Scheme == "http" && port == "80"):
		host = net.JoinHostPort(host, port)
	case strings.Contains(host, ":"):
		host = "[" + host + "]"
	}
	u.Host = host
	return u.String()
}

// answerWith writes a canned answer.
func answerWith(w http.ResponseWriter, a Answer) {
	contentType, status := a.ContentType, a.Status
	if contentType == "" {
		contentType = jsonContentType
	}
	if status == 0 {
		status = http.StatusOK
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(a.Body))
}

// stall holds the request until its client gives up.
func stall(r *http.Request) { <-r.Context().Done() }

// SetNotServed makes every API request get what a gateway answers during maintenance, or for a path it does not
// route: 404 with an HTML page, and nothing done. A client must not read a 404 to its list as "no webhooks".
func (s *Server) SetNotServed(on bool) {
	s.updateConfig(func(c *runtimeConfig) { c.notServed = on })
}

func notServed(w http.ResponseWriter) {
	answerWith(w, Answer{Status: http.StatusNotFound, ContentType: "text/html; charset=utf-8",
		Body: "<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1>" +
			"<p>The service is down for maintenance.</p></body></html>"})
}

// SetPageSize makes the lists answer at most n webhooks (0: all of them) and say that more follow, as a service
// that has started to page its lists would: Sellfern adds "has_more": true and a "next_cursor" to its envelope (or,
// with SetSellfernPageStyle, page/limit/total/totalPages in meta), SelSup a Link header with rel="next". Neither API
// documents pages, so the mock serves no further page. SetListHint (pages.go) puts any other hint on a list.
func (s *Server) SetPageSize(n int) {
	s.updateConfig(func(c *runtimeConfig) { c.pageSize = max(n, 0) })
}

// SetSellfernDeliveryIDSuffix appends suffix to the id of every delivery recorded from now on: a hostile service
// (or another user of the account) choosing text the provider shows, such as "\x1b]0;pwned\x07" or
// "\nAction complete: 1 invoked".
func (s *Server) SetSellfernDeliveryIDSuffix(suffix string) {
	s.updateConfig(func(c *runtimeConfig) { c.deliverySuffix = suffix })
}
