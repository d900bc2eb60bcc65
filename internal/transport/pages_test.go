package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/terraform-plugin-log/tflogtest"
)

// TestIncomplete: every common way a list answer says that more follows is named, wherever it sits (headers, the
// top of the body, under meta, pagination, paging, page, links, or meta.pagination.links); what a complete answer
// carries passes.
func TestIncomplete(t *testing.T) {
	const ten = `[1,2,3,4,5,6,7,8,9,10]`
	for _, tc := range []struct {
		name   string
		header http.Header
		body   string
		items  int
		want   string // "" for a complete answer
	}{
		// Totals larger than what came, in each spelling and place.
		{name: "meta.total", body: `{"success":true,"data":` + ten + `,"meta":{"total":20,"page":1,"limit":10}}`, items: 10,
			want: `"meta.total": 20, where the answer holds 10`},
		{name: "top-level total", body: `{"data":[],"total":3}`, items: 0, want: `"total": 3, where the answer holds 0`},
		{name: "pagination.total", body: `{"data":[1],"pagination":{"total":2}}`, items: 1, want: `"pagination.total": 2`},
		{name: "totalElements beside last false", body: `{"content":[1],"totalElements":5}`, items: 1, want: `"totalElements": 5`},
		{name: "totalCount", body: `{"paging":{"totalCount":"7"}}`, items: 1, want: `"paging.totalCount": "7", where the answer holds 1`},
		{name: "total_count", body: `{"meta":{"total_count":2}}`, items: 1, want: `"meta.total_count": 2`},
		{name: "count", body: `{"count":11,"results":[]}`, items: 10, want: `"count": 11, where the answer holds 10`},
		{name: "meta.totalPages", body: `{"meta":{"totalPages":2}}`, items: 10, want: `"meta.totalPages": 2, more than one page`},
		{name: "page object", body: `{"page":{"size":1,"number":0,"totalPages":3}}`, items: 1, want: `"page.totalPages": 3`},
		{name: "last_page", body: `{"last_page":4,"current_page":1}`, items: 1, want: `"last_page": 4`},
		// Next links, cursors and tokens.
		{name: "links.next", body: `{"links":{"next":"https://api.example.com/x?page=2","prev":null}}`, items: 1,
			want: `"links.next": "https://api.example.com/x?page=2"`},
		{name: "meta.pagination.links.next", body: `{"meta":{"pagination":{"links":{"next":"/x?page=2"}}}}`, items: 1,
			want: `"meta.pagination.links.next": "/x?page=2"`},
		{name: "next_page_url", body: `{"next_page_url":"https://a.example/x?page=2"}`, items: 1, want: `"next_page_url"`},
		{name: "cursor", body: `{"data":[],"cursor":"abc"}`, items: 0, want: `"cursor": "abc"`},
		{name: "next_cursor", body: `{"has_more":false,"next_cursor":"c2"}`, items: 1, want: `"next_cursor": "c2"`},
		{name: "nextPageToken", body: `{"nextPageToken":"tok"}`, items: 1, want: `"nextPageToken": "tok"`},
		{name: "odata", body: `{"@odata.nextLink":"https://a.example/x?$skip=10"}`, items: 1, want: `"@odata.nextLink"`},
		{name: "HAL next", body: `{"_links":{"next":{"href":"/x?page=2"}}}`, items: 1, want: `"_links.next": {"href":"/x?page=2"}`},
		{name: "links array", body: `{"links":[{"rel":"self","href":"/x"},{"rel":"next","href":"/x?page=2"}]}`, items: 1,
			want: `"links" with a link whose rel is "next" ("/x?page=2")`},
		{name: "next page number", body: `{"meta":{"nextPage":2}}`, items: 1, want: `"meta.nextPage": 2`},
		// has_more in any form.
		{name: "has_more true", body: `{"has_more":true}`, items: 1, want: `"has_more": true`},
		{name: "has_more string", body: `{"has_more":"true"}`, items: 1, want: `"has_more": "true"`},
		{name: "has_more string in capitals", body: `{"paging":{"has_more":" TRUE "}}`, items: 1, want: `"paging.has_more": "TRUE"`},
		{name: "has_more 1", body: `{"has_more":1}`, items: 1, want: `"has_more": 1`},
		{name: "meta.hasNext", body: `{"meta":{"hasNext":true}}`, items: 1, want: `"meta.hasNext": true`},
		{name: "hasMore", body: `{"pagination":{"hasMore":"yes"}}`, items: 1, want: `"pagination.hasMore": "yes"`},
		{name: "pageInfo.hasNextPage", body: `{"pageInfo":{"hasNextPage":true,"endCursor":"x"}}`, items: 1, want: `"pageInfo.hasNextPage": true`},
		// Spring's last: false.
		{name: "last false", body: `{"content":[1],"last":false,"totalElements":1}`, items: 1, want: `"last": false`},
		{name: "last string false", body: `{"last":"false"}`, items: 1, want: `"last": "false"`},
		// Headers.
		{name: "Link rel next", header: http.Header{"Link": {`<https://a.example/x?page=2>; rel="next"`}}, items: 1, want: `a Link header with rel="next"`},
		{name: "Link with several relations", header: http.Header{"Link": {`</x?page=1>; rel="first", </x?page=2>; rel="last next"`}}, items: 1, want: `rel="next"`},
		{name: "X-Total-Count", header: http.Header{"X-Total-Count": {"3"}}, body: `[1,2]`, items: 2, want: `an X-Total-Count: 3 header, where the answer holds 2`},
		{name: "X-Total-Pages", header: http.Header{"X-Total-Pages": {"2"}}, items: 1, want: `an X-Total-Pages: 2 header`},
		{name: "X-Has-More", header: http.Header{"X-Has-More": {"True"}}, items: 1, want: `an X-Has-More: True header`},
		{name: "X-Next-Cursor", header: http.Header{"X-Next-Cursor": {"c2"}}, items: 1, want: `an X-Next-Cursor header ("c2")`},
		{name: "Content-Range total larger", header: http.Header{"Content-Range": {"items 0-9/20"}}, items: 10, want: `a Content-Range: items 0-9/20 header`},
		{name: "Content-Range later part", header: http.Header{"Content-Range": {"items 10-19/20"}}, items: 10, want: `a Content-Range: items 10-19/20 header`},
		{name: "Content-Range uncounted", header: http.Header{"Content-Range": {"webhooks 0-1/5"}}, items: -1, want: `Content-Range`},

		// Complete answers.
		{name: "plain envelope", body: `{"success":true,"data":` + ten + `,"meta":{"request_id":"req_1"}}`, items: 10},
		{name: "total equal", body: `{"data":[1,2],"meta":{"total":2,"page":1,"limit":10,"totalPages":1}}`, items: 2},
		{name: "has_more false", body: `{"has_more":false,"next_cursor":null}`, items: 1},
		{name: "has_more string false", body: `{"has_more":"false","hasMore":0}`, items: 1},
		{name: "next null", body: `{"links":{"self":"/x","next":null,"last":"/x?page=1"}}`, items: 1},
		{name: "next empty", body: `{"next":"","cursor":"","nextPageToken":null}`, items: 1},
		{name: "HAL next without href", body: `{"_links":{"self":{"href":"/x"},"next":{"href":null}}}`, items: 1},
		{name: "last true", body: `{"last":true,"totalPages":1,"totalElements":1}`, items: 1},
		{name: "total uncounted", body: `{"total":20}`, items: -1},
		{name: "a total smaller than the items", body: `{"total":1}`, items: 2},
		{name: "array body", body: ten, items: 10},
		{name: "not JSON", body: `<html>`, items: -1},
		{name: "X-Total-Count equal", header: http.Header{"X-Total-Count": {"2"}}, body: `[1,2]`, items: 2},
		{name: "X-Has-More false", header: http.Header{"X-Has-More": {"false"}}, items: 1},
		{name: "Content-Range whole", header: http.Header{"Content-Range": {"items 0-9/10"}}, items: 10},
		{name: "Content-Range unknown total", header: http.Header{"Content-Range": {"items 0-9/*"}}, items: 10},
		{name: "Link without next", header: http.Header{"Link": {`</x?page=1>; rel="first", </x?page=1>; rel="last"`}}, items: 1},
		{name: "Link next-archive is another relation", header: http.Header{"Link": {`</x>; rel="next-archive"`}}, items: 1},
		{name: "hints inside the listed items are not the answer's", body: `{"data":[{"next":"x","total":99,"has_more":true}]}`, items: 1},
		{name: "deeper than three levels", body: `{"meta":{"pagination":{"links":{"data":{"next":"x"}}}}}`, items: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			header := tc.header
			if header == nil {
				header = http.Header{}
			}
			r := &Response{Header: header, Body: []byte(tc.body)}
			got := r.Incomplete(tc.items)
			switch {
			case tc.want == "" && got != "":
				t.Fatalf("a complete answer is taken for a part: %s", got)
			case tc.want != "" && !strings.Contains(got, tc.want):
				t.Fatalf("got %q, want it to name %q", got, tc.want)
			}
		})
	}
}

// TestIncompleteQuotesSafely: a hint's value is quoted escaped once, short, and without the secrets the client
// redacts (a next link may carry the token that asked for it), so that a server can neither write to the terminal
// nor have a secret shown through it.
func TestIncompleteQuotesSafely(t *testing.T) {
	r := &Response{Header: http.Header{}, Body: []byte(`{"next":"\u001b]0;pwned\u0007` + strings.Repeat("x", 200) + `"}`)}
	got := r.Incomplete(1)
	if strings.ContainsAny(got, "\x1b\x07") || !strings.HasPrefix(got, `"next": "\x1b]0;pwned\x07xxx`) || len([]rune(got)) > 80 {
		t.Fatalf("%q", got)
	}
	redact := func(s string) string { return strings.ReplaceAll(s, "sk_live_secret", "***") }
	for _, r := range []*Response{
		{Header: http.Header{}, Body: []byte(`{"links":{"next":"/x?token=sk_live_\u0073ecret"}}`), redact: redact},
		{Header: http.Header{}, Body: []byte(`{"_links":{"next":{"href":"/x?token=sk_live_secret"}}}`), redact: redact},
		{Header: http.Header{"X-Next-Cursor": {"sk_live_secret"}}, redact: redact},
	} {
		if got := r.Incomplete(1); got == "" || strings.Contains(got, "sk_live_secret") || !strings.Contains(got, "***") {
			t.Errorf("%q", got)
		}
	}
}

// metaRequestID reads {"meta": {"request_id": …}}, as the Sellfern client tells the transport to.
func metaRequestID(_ http.Header, body []byte) string {
	var env struct {
		Meta struct {
			RequestID string `json:"request_id"`
		} `json:"meta"`
	}
	_ = json.Unmarshal(body, &env)
	return env.Meta.RequestID
}

// TestRequestIDInLogAndErrors: the request id a service gives each answer is in the debug line of every attempt,
// in the answer, and in the errors about it, redacted and escaped; the body is read for it and still reaches the
// caller whole.
func TestRequestIDInLogAndErrors(t *testing.T) {
	var logs bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &logs)
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"meta":{"request_id":"req_first"}}`)
		case 2:
			io.WriteString(w, `{"data":[1,2],"total":3,"meta":{"request_id":"req_second"}}`)
		default:
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"meta":{"request_id":"req_`+"\\u001b[31m"+`sk_test_secret_token"}}`)
		}
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, func(cfg *Config) { cfg.RequestID = metaRequestID })
	resp, err := c.Do(ctx, http.MethodGet, "list", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.RequestID != "req_second" || !strings.HasPrefix(string(resp.Body), `{"data":[1,2]`) {
		t.Fatalf("answer: id %q, body %s", resp.RequestID, resp.Body)
	}
	if msg := resp.NotAsPromised("only part of it: " + resp.Incomplete(2)).Error(); !strings.Contains(msg,
		`Test API answered GET /list with HTTP 200 (request id req_second) but only part of it: "total": 3, where the answer holds 2`) {
		t.Fatalf("decode error: %s", msg)
	}
	entries, err := tflogtest.MultilineJSONDecode(&logs)
	if err != nil {
		t.Fatal(err)
	}
	var ids []any
	for _, e := range entries {
		if e["@message"] == "API request" {
			ids = append(ids, e["request_id"])
		}
	}
	if len(ids) != 2 || ids[0] != "req_first" || ids[1] != "req_second" {
		t.Fatalf("the debug lines carry the request ids %v, want req_first then req_second", ids)
	}

	_, err = c.Do(ctx, http.MethodGet, "x", nil, nil)
	var se *StatusError
	if !errors.As(err, &se) || se.RequestID != `req_\x1b[31m***` || !strings.Contains(err.Error(), `with HTTP 400 (request id req_\x1b[31m***)`) {
		t.Fatalf("status error: %v (id %q)", err, se.RequestID)
	}
}
