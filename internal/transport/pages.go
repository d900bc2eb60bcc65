package transport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Entries counts the elements of a JSON array (the argument Incomplete takes), or returns -1 for anything else.
func Entries(data []byte) int {
	var elems []json.RawMessage
	if data = bytes.TrimSpace(data); len(data) == 0 || data[0] != '[' || json.Unmarshal(data, &elems) != nil {
		return -1
	}
	return len(elems)
}

// Incomplete says how an answer to a list call shows that it holds only part of a longer list, or returns "" when
// nothing in it says so. items is how many entries the answer holds, or -1 when the caller could not count them
// (then a total cannot be compared with anything, and only the other hints count).
//
// Neither API documents pages, and a partial list read as complete would take the missing webhooks for deleted
// (and create them again), so every common way of saying "more follows" counts, in the headers or in a JSON object
// body at its top, or in an object under "meta", "pagination", "paging", "page", "page_info", "links", "_links" or
// "data", nested up to three deep ("meta.pagination.links.next"):
//
//   - a total larger than the entries that came: "total", "totalCount", "total_count", "totalElements", "count" and
//     their kin, the X-Total-Count header, or a Content-Range whose total is larger;
//   - more than one page: "totalPages", "pageCount", "last_page" and their kin above 1, or an X-Total-Pages header;
//   - a next page, link, cursor or token that is not empty ("next", "next_page_url", "cursor", "nextPageToken",
//     "@odata.nextLink", a "links" array with rel "next", a Link header with rel="next", X-Next-Page …);
//   - "has_more", "hasMore", "hasNext" and their kin true in any JSON form ("true", 1), or X-Has-More;
//   - "last": false (and "isLast"), as Spring's pages say it.
//
// What a complete list may carry passes: a total equal to the entries, "has_more": false, "next": null, one page,
// a Content-Range that covers everything. The answer names the first hint found, headers first, then the body from
// its top down, as `"meta.total": 20, where the answer holds 10`.
func (r *Response) Incomplete(items int) string {
	if how := r.incompleteHeaders(r.Header.Values, items); how != "" {
		return how
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(r.Body, &top) != nil || top == nil {
		return ""
	}
	return r.incompleteBody(top, items)
}

// shown is a JSON value as a message quotes it (through Text: a next link may carry a token): a string decoded
// and quoted, anything else compact.
func (r *Response) shown(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return `"` + r.Text(s, 60) + `"`
	}
	var compact bytes.Buffer
	if json.Compact(&compact, v) == nil {
		v = compact.Bytes()
	}
	return r.Text(string(v), 60)
}

// The keys that say more follows, by what their value must be to say it. The lists are in the order they are
// tried, so that the message names the plainest hint of an answer that gives several.
var (
	moreKeys   = []string{"has_more", "hasMore", "has_next", "hasNext", "has_next_page", "hasNextPage", "more", "more_results", "moreResults"}
	lastKeys   = []string{"last", "is_last", "isLast", "is_last_page", "isLastPage"}
	nextKeys   = []string{"next", "next_url", "nextUrl", "next_link", "nextLink", "next_page", "nextPage", "next_page_url", "nextPageUrl", "next_cursor", "nextCursor", "next_page_token", "nextPageToken", "next_token", "nextToken", "cursor", "continuation_token", "continuationToken", "@odata.nextLink"}
	totalKeys  = []string{"total", "total_count", "totalCount", "total_elements", "totalElements", "total_items", "totalItems", "total_results", "totalResults", "total_entries", "totalEntries", "total_size", "totalSize", "count"}
	pagesKeys  = []string{"total_pages", "totalPages", "page_count", "pageCount", "num_pages", "numPages", "last_page", "lastPage", "pages"}
	containers = []string{"meta", "pagination", "paging", "page", "page_info", "pageInfo", "links", "_links", "data"}
)

// maxNesting is how deep containers are searched: the top is 0, so "meta.pagination.links" is the deepest.
const maxNesting = 3

// incompleteBody searches a JSON object and the containers under it, breadth first, for a hint that more follows.
func (r *Response) incompleteBody(top map[string]json.RawMessage, items int) string {
	type level struct {
		path  string
		depth int
		obj   map[string]json.RawMessage
	}
	queue := []level{{obj: top}}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if how := r.incompleteObject(cur.path, cur.obj, items); how != "" {
			return how
		}
		if cur.depth >= maxNesting {
			continue
		}
		for _, key := range containers {
			raw, ok := cur.obj[key]
			if !ok {
				continue
			}
			var inner map[string]json.RawMessage
			if json.Unmarshal(raw, &inner) == nil && inner != nil {
				queue = append(queue, level{path: join(cur.path, key), depth: cur.depth + 1, obj: inner})
				continue
			}
			if key == "links" || key == "_links" {
				if how := r.nextInLinkArray(join(cur.path, key), raw); how != "" {
					return how
				}
			}
		}
	}
	return ""
}

// incompleteObject looks at the keys of one object (at path) for a hint that more follows.
func (r *Response) incompleteObject(path string, obj map[string]json.RawMessage, items int) string {
	for _, key := range moreKeys {
		if v, ok := obj[key]; ok && truthy(v) {
			return fmt.Sprintf("%q: %s", join(path, key), r.shown(v))
		}
	}
	for _, key := range lastKeys {
		if v, ok := obj[key]; ok && falsy(v) {
			return fmt.Sprintf("%q: %s", join(path, key), r.shown(v))
		}
	}
	for _, key := range nextKeys {
		if v, ok := obj[key]; ok && !empty(v) {
			return fmt.Sprintf("%q: %s", join(path, key), r.shown(v))
		}
	}
	if items >= 0 {
		for _, key := range totalKeys {
			if n, ok := number(obj[key]); ok && n > float64(items) {
				return fmt.Sprintf("%q: %s, where the answer holds %d", join(path, key), r.shown(obj[key]), items)
			}
		}
	}
	for _, key := range pagesKeys {
		if n, ok := number(obj[key]); ok && n > 1 {
			return fmt.Sprintf("%q: %s, more than one page", join(path, key), r.shown(obj[key]))
		}
	}
	return ""
}

// nextInLinkArray finds a link with relation "next" in a links array: [{"rel": "next", "href": "…"}].
func (r *Response) nextInLinkArray(path string, raw json.RawMessage) string {
	var links []map[string]json.RawMessage
	if json.Unmarshal(raw, &links) != nil {
		return ""
	}
	for _, link := range links {
		var rel string
		if json.Unmarshal(link["rel"], &rel) != nil || !slices.Contains(strings.Fields(strings.ToLower(rel)), "next") {
			continue
		}
		for _, target := range []string{"href", "url", "uri"} {
			if v, ok := link[target]; ok && !empty(v) {
				return fmt.Sprintf("%q with a link whose rel is \"next\" (%s)", path, r.shown(v))
			}
		}
	}
	return ""
}

// incompleteHeaders looks at the headers of a list answer for a hint that more follows.
func (r *Response) incompleteHeaders(values func(string) []string, items int) string {
	for _, link := range values("Link") {
		for part := range strings.SplitSeq(link, ",") {
			if relNext.MatchString(part) {
				return `a Link header with rel="next"`
			}
		}
	}
	get := func(name string) string {
		if v := values(name); len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	if v := get("X-Has-More"); v != "" && truthy(json.RawMessage(strconv.Quote(v))) {
		return fmt.Sprintf("an X-Has-More: %s header", r.Text(v, 20))
	}
	for _, name := range []string{"X-Next-Page", "X-Next-Cursor", "X-Next-Page-Token"} {
		if v := get(name); v != "" && !empty(json.RawMessage(strconv.Quote(v))) {
			return fmt.Sprintf(`an %s header ("%s")`, name, r.Text(v, 40))
		}
	}
	if items >= 0 {
		for _, name := range []string{"X-Total-Count", "X-Total"} {
			if n, err := strconv.ParseUint(get(name), 10, 63); err == nil && n > uint64(items) {
				return fmt.Sprintf("an %s: %d header, where the answer holds %d", name, n, items)
			}
		}
	}
	for _, name := range []string{"X-Total-Pages", "X-Page-Count"} {
		if n, err := strconv.ParseUint(get(name), 10, 63); err == nil && n > 1 {
			return fmt.Sprintf("an %s: %d header, more than one page", name, n)
		}
	}
	if v := get("Content-Range"); v != "" && rangeIsPart(v, items) {
		return fmt.Sprintf("a Content-Range: %s header", r.Text(v, 60))
	}
	return ""
}

// contentRange matches "<unit> <first>-<last>/<total>" and "<unit> */<total>"; a total of "*" is unknown.
var contentRange = regexp.MustCompile(`^\s*[A-Za-z][\w-]*\s+(?:(\d{1,18})-(\d{1,18})|\*)/(\d{1,18}|\*)\s*$`)

// rangeIsPart reports whether a Content-Range says the answer holds less than the whole: a range that starts
// after the first entry, or a known total larger than the entries that came (or than the range, when they were
// not counted). A total of "*" says nothing of the list's size and is not taken as a hint.
func rangeIsPart(v string, items int) bool {
	m := contentRange.FindStringSubmatch(v)
	if m == nil {
		return false
	}
	if first, _ := strconv.ParseUint(m[1], 10, 63); first > 0 {
		return true
	}
	if m[3] == "*" {
		return false
	}
	total, _ := strconv.ParseUint(m[3], 10, 63)
	got := uint64(max(items, 0))
	if items < 0 && m[2] != "" {
		last, _ := strconv.ParseUint(m[2], 10, 63)
		got = last + 1
	}
	return total > got
}

// truthy reports whether a JSON value says yes: true, a string "true" or "yes" in any case, or the number 1.
func truthy(v json.RawMessage) bool { yes, ok := answer(v); return ok && yes }

// falsy reports whether a JSON value says no: false, a string "false" or "no" in any case, or the number 0.
func falsy(v json.RawMessage) bool { yes, ok := answer(v); return ok && !yes }

// answer reads a JSON value as yes or no, in any of the forms truthy and falsy take; ok is false for any other.
func answer(v json.RawMessage) (yes, ok bool) {
	switch v = bytes.TrimSpace(v); string(v) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	if n, isNumber := number(v); isNumber {
		return n == 1, n == 1 || n == 0
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return false, false
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "1":
		return true, true
	case "false", "no", "0":
		return false, true
	}
	return false, false
}

// empty reports whether a JSON value names nothing: null, false, 0, an empty or blank string, "0", "null", an
// empty array, or an object whose values are all empty ({"href": null}).
func empty(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	switch string(v) {
	case "", "null", "false", "[]":
		return true
	}
	if n, ok := number(v); ok {
		return n == 0
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		s = strings.TrimSpace(s)
		return s == "" || s == "0" || s == "null" || strings.EqualFold(s, "false")
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(v, &obj) == nil {
		for _, inner := range obj {
			if !empty(inner) {
				return false
			}
		}
		return true
	}
	return false
}

// number reads a JSON number, or a string that holds one, as float64; a value of another kind is not one.
func number(v json.RawMessage) (float64, bool) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return 0, false
	}
	text := string(v)
	if v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) != nil {
			return 0, false
		}
		text = strings.TrimSpace(s)
	}
	n, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
		return 0, false
	}
	return n, true
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// relNext matches one link of a Link header whose relation is "next".
var relNext = regexp.MustCompile(`(?i);\s*rel\s*=\s*"?(?:[^";]*\s)?next(?:\s[^";]*)?"?\s*(?:;|$)`)
