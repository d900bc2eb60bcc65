package mockserver

import (
	"maps"
	"net/http"
)

// Neither API documents pages for its webhooks (README.md beside this file). These switches make a list answer
// look like one page of a longer list, in each of the ways a service may say so, so that a client can prove that
// it never takes a page for the whole list.

// ListHint is one way for a list answer to say that more follows: headers to add, and, for Sellfern, keys to
// merge into its envelope ({"success", "data", "meta"}; an object is merged key by key, so {"meta": {"total": 20}}
// keeps meta.request_id). SelSup's list is a bare JSON array, so only a hint's headers reach it.
type ListHint struct {
	Header map[string]string
	Body   map[string]any
}

// SetListHint makes every answer of the list route ("sellfern.list", "sellfern.deliveries", "selsup.list") carry
// h, whatever the list holds; nil removes it. The hint says what it says literally: {"meta": {"total": 20}} on a
// list of 1 is a list that claims 19 more.
func (s *Server) SetListHint(route string, h *ListHint) {
	s.updateConfig(func(c *runtimeConfig) {
		c.listHints = maps.Clone(c.listHints)
		if c.listHints == nil {
			c.listHints = map[string]ListHint{}
		}
		if h == nil {
			delete(c.listHints, route)
			return
		}
		c.listHints[route] = *h
	})
}

// SetSellfernPageStyle makes Sellfern's paged lists (SetPageSize) say so the way Sellfern's other endpoints page,
// with page/limit and a total: {"success": true, "data": [first page], "meta": {"page": 1, "limit": N, "total": T,
// "totalPages": P}}, instead of "has_more" and "next_cursor".
func (s *Server) SetSellfernPageStyle(on bool) {
	s.updateConfig(func(c *runtimeConfig) { c.sellfernPageStyle = on })
}

// applyListHint adds the route's hint headers and returns the keys to merge into the body (nil for none).
func applyListHint(w http.ResponseWriter, cfg runtimeConfig, route string) map[string]any {
	h, ok := cfg.listHints[route]
	if !ok {
		return nil
	}
	for k, v := range h.Header {
		w.Header().Set(k, v)
	}
	return h.Body
}

// mergeJSON merges extra into into, key by key, objects recursively.
func mergeJSON(into, extra map[string]any) {
	for k, v := range extra {
		inner, isObj := v.(map[string]any)
		existing, hasObj := into[k].(map[string]any)
		if isObj && hasObj {
			merged := maps.Clone(existing)
			mergeJSON(merged, inner)
			into[k] = merged
			continue
		}
		into[k] = v
	}
}
