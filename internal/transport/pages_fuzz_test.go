package transport_test

import (
	"net/http"
	"testing"

	"github.com/seed/terraform-provider-webhooks/internal/apitest"
	"github.com/seed/terraform-provider-webhooks/internal/safetext"
	"github.com/seed/terraform-provider-webhooks/internal/transport"
)

// FuzzIncomplete: whatever a list answer's header and body, Incomplete never panics and names what it saw in a
// short message escaped for a terminal, the same each time; a plain envelope or array of the items is complete.
func FuzzIncomplete(f *testing.F) {
	for _, tc := range []struct {
		header, value, body string
		items               int
	}{
		{"", "", `{"success":true,"data":[1],"meta":{"request_id":"req_1"}}`, 1},
		{"", "", `{"success":true,"data":[1],"meta":{"total":20,"page":1,"limit":10}}`, 1},
		{"", "", `{"meta":{"pagination":{"links":{"next":"/x?page=2"}}}}`, 1},
		{"", "", `{"has_more":"true","hasNext":1,"last":false,"totalElements":"5"}`, 2},
		{"", "", `{"links":[{"rel":"next","href":"/x?page=2"}],"_links":{"next":{"href":null}}}`, 0},
		{"X-Total-Count", "20", `[1]`, 1},
		{"Content-Range", "items 0-9/20", `[]`, -1},
		{"Link", `<https://a.example/x?page=2>; rel="next"`, ``, 1},
		{"X-Next-Cursor", "\x1b]0;pwned\x07", `{"cursor":"\u202e"}`, 1},
	} {
		f.Add(tc.header, tc.value, []byte(tc.body), tc.items)
	}
	f.Fuzz(func(t *testing.T, header, value string, body []byte, items int) {
		defer apitest.FuzzInput(t, header, value, body, items)
		r := &transport.Response{Header: http.Header{}, Body: body}
		if header != "" {
			r.Header[http.CanonicalHeaderKey(header)] = []string{value}
		}
		items = max(items%1000, -1)
		got := r.Incomplete(items)
		if again := r.Incomplete(items); again != got {
			t.Fatalf("two answers for one input: %q, then %q", got, again)
		}
		if safetext.Unsafe(got) || len([]rune(got)) > 200 {
			t.Fatalf("the message is not short and escaped: %q", got)
		}
		if plain := (&transport.Response{Header: http.Header{}, Body: []byte(`{"success":true,"data":[],"meta":{"request_id":"x"}}`)}); plain.Incomplete(0) != "" {
			t.Fatal("a plain envelope is taken for a part")
		}
	})
}
