package selsup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/seed/terraform-provider-webhooks/internal/apitest"

	"github.com/seed/terraform-provider-webhooks/internal/transport"
)

// In fuzzed bodies, TOKEN stands for the client's API key, so that the fuzzer can place it anywhere.
const fuzzKey = "ss-fuzz-KEY-9e8d7c6b"

func fuzzClient(t *testing.T, rt http.RoundTripper) *Client {
	c, err := New(Config{APIKey: fuzzKey, Settings: transport.Settings{
		BaseURL:    "http://127.0.0.1:9", // never dialled: the transport answers
		UserAgent:  "terraform-provider-webhooks/fuzz",
		HTTPClient: &http.Client{Transport: rt},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// checkFuzzMessage holds every error to the rules for what a user may read: a message, printable, valid UTF-8,
// under 2 KB, and free of the API key whatever the server sent.
func checkFuzzMessage(t *testing.T, err error) string {
	t.Helper()
	msg := err.Error()
	if problem := apitest.MessageProblem(msg, fuzzKey); problem != "" {
		t.Fatal(problem)
	}
	return msg
}

// plain reports whether s would be shown unchanged: no longer than the shortest field bound, printable,
// single-spaced, and not the key.
func plain(s string) bool {
	return s != "" && utf8.RuneCountInString(s) <= maxCode && transport.CleanText(s, maxCode) == s && !strings.Contains(s, fuzzKey)
}

// FuzzErrorBody: whatever error answer SelSup gives (status 300–599, any content type, any body), list and delete
// fail with an *APIError of that status whose message follows checkFuzzMessage; the documented bodies with plain
// text are shown with their code and localMessage (Russian included) as sent.
func FuzzErrorBody(f *testing.F) {
	f.Add(uint16(100), "application/json", []byte(`{"error":"VALIDATION_ERROR","localMessage":"Организация не найдена","params":{"field":"organizationId"}}`), false)
	f.Add(uint16(103), "application/json", []byte(`{"error":"ACCESS_DENIED","localMessage":"Ключ TOKEN неверен"}`), true)
	f.Fuzz(func(t *testing.T, status uint16, contentType string, body []byte, del bool) {
		defer apitest.FuzzInput(t, status, contentType, body, del)
		st := 300 + int(status)%300
		body = bytes.ReplaceAll(body, []byte("TOKEN"), []byte(fuzzKey))
		c := fuzzClient(t, apitest.CannedTransport{Status: st, ContentType: contentType, Body: body})
		var err error
		if del {
			err = c.DeleteWebhook(context.Background(), 1001)
		} else {
			_, err = c.ListWebhooks(context.Background())
		}
		if err == nil {
			t.Fatalf("HTTP %d answered with success", st)
		}
		msg := checkFuzzMessage(t, err)
		var ae *APIError
		if !errors.As(err, &ae) {
			t.Fatalf("HTTP %d gave %T, want *APIError: %v", st, err, err)
		}
		if ae.StatusCode != st || !strings.Contains(msg, "HTTP "+strconv.Itoa(st)) {
			t.Fatalf("status %d, message %q; want HTTP %d", ae.StatusCode, msg, st)
		}
		var doc struct {
			Error        string `json:"error"`
			LocalMessage string `json:"localMessage"`
			Message      string `json:"message"`
		}
		// A message cut to its overall bound may have lost a later field: judge only whole messages.
		if json.Unmarshal(body, &doc) == nil && len(msg) <= transport.MaxMessageBytes {
			for _, s := range []string{doc.Error, doc.LocalMessage, doc.Message} {
				if plain(s) && !strings.Contains(msg, s) {
					t.Fatalf("message %q does not show the server's %q", msg, s)
				}
			}
		}
	})
}

// FuzzSuccessBody: whatever a 2xx answer to the list or a create holds, the client returns webhooks or a clear
// error, never panics or quotes the key; a create that succeeds has a positive id.
func FuzzSuccessBody(f *testing.F) {
	f.Add(uint16(0), []byte(`[{"id":1001,"name":"Заказы","url":"https://a","clientId":4242,"organizationId":7,"types":["ORDER"]}]`), false)
	f.Add(uint16(0), []byte(`{"id":"1002","url":"https://h.example.com/f","types":["ORDER"]}`), true)
	f.Add(uint16(0), []byte(`{"content":[{"id":1001,"url":"https://a"}],"totalPages":2,"next":"TOKEN"}`), false)
	f.Fuzz(func(t *testing.T, status uint16, body []byte, create bool) {
		defer apitest.FuzzInput(t, status, body, create)
		st := 200 + int(status)%100
		body = bytes.ReplaceAll(body, []byte("TOKEN"), []byte(fuzzKey))
		ctx := context.Background()
		if create {
			c := fuzzClient(t, apitest.CannedTransport{Status: st, ContentType: "application/json", Body: body, GetBody: []byte(`[]`)})
			w, err := c.CreateWebhook(ctx, CreateRequest{URL: "https://h.example.com/f", Types: []string{"ORDER"}})
			if err != nil {
				checkFuzzMessage(t, err)
				return
			}
			if w == nil || w.ID == 0 {
				t.Fatalf("create succeeded without an id: %+v", w)
			}
			return
		}
		c := fuzzClient(t, apitest.CannedTransport{Status: st, ContentType: "application/json", Body: body})
		if _, err := c.ListWebhooks(ctx); err != nil {
			checkFuzzMessage(t, err)
		}
	})
}

// FuzzWebhookJSON: the wire decoding of one webhook never panics; an integer, given as a JSON number or as a
// numeric string, is read as that integer in every numeric field, and an id that is not positive is refused;
// Types is nil exactly when "types" is absent or null.
func FuzzWebhookJSON(f *testing.F) {
	f.Add([]byte(`{"id":"1042","name":"Иван","url":"https://x","clientId":"4242","organizationId":"7","types":["ORDER"]}`), int64(1042))
	f.Add([]byte(`{"id":null,"types":null}`), int64(-1))
	f.Fuzz(func(t *testing.T, body []byte, n int64) {
		defer apitest.FuzzInput(t, body, n)
		var w wireWebhook
		if json.Unmarshal(body, &w) == nil {
			got, problem := w.webhook()
			var raw map[string]json.RawMessage
			if json.Unmarshal(body, &raw) == nil && problem == "" {
				typesRaw, present := raw["types"]
				absent := !present || strings.TrimSpace(string(typesRaw)) == "null"
				// encoding/json matches keys case-insensitively: only judge when no other spelling is there.
				if onlyExactKey(raw, "types") && absent != (got.Types == nil) {
					t.Fatalf("types %s read as %#v", typesRaw, got.Types)
				}
			}
		}
		var list []wireWebhook
		_ = json.Unmarshal(body, &list)
		for _, w := range list {
			_, _ = w.webhook()
		}

		num := strconv.FormatInt(n, 10)
		for _, doc := range []string{
			`{"id":` + num + `,"url":"https://x","clientId":` + num + `,"organizationId":` + num + `}`,
			`{"id":"` + num + `","url":"https://x","clientId":"` + num + `","organizationId":"` + num + `"}`,
		} {
			var w wireWebhook
			if err := json.Unmarshal([]byte(doc), &w); err != nil {
				t.Fatalf("%s: %v", doc, err)
			}
			got, problem := w.webhook()
			switch {
			case n <= 0 && problem == "":
				t.Fatalf("%s: the id %d was accepted", doc, n)
			case n > 0 && (problem != "" || got.ID != n || got.ClientID != n || got.OrganizationID != n):
				t.Fatalf("%s read as %+v (%s)", doc, got, problem)
			}
		}

		// A single value: whatever flexInt accepts is an integer that strconv agrees with.
		var f flexInt
		if err := json.Unmarshal(body, &f); err == nil {
			s := strings.TrimSpace(string(body))
			if unq, err := strconv.Unquote(s); err == nil {
				s = unq
			}
			if s != "null" && s != "" {
				if v, err := strconv.ParseInt(s, 10, 64); err != nil || v != int64(f) {
					t.Fatalf("flexInt read %q as %d; strconv says %d, %v", body, f, v, err)
				}
			}
		}
	})
}

func onlyExactKey(raw map[string]json.RawMessage, key string) bool {
	for k := range raw {
		if k != key && strings.EqualFold(k, key) {
			return false
		}
	}
	return true
}

// FuzzParseID: an id ParseID accepts is positive and prints back as the same integer; one it refuses gets a
// message naming it.
func FuzzParseID(f *testing.F) {
	for _, s := range []string{"1042", "0", "-1", "wh_abc123", " 1", "1 ", "+7", "007", "9223372036854775808", "١٢٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		defer apitest.FuzzInput(t, s)
		id, err := ParseID(s)
		if err != nil {
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", s)) {
				t.Fatalf("ParseID(%q): %v does not name the input", s, err)
			}
			return
		}
		if id <= 0 {
			t.Fatalf("ParseID(%q) = %d", s, id)
		}
		if back, err := ParseID(FormatID(id)); err != nil || back != id {
			t.Fatalf("FormatID(%d) = %q parses back to %d, %v", id, FormatID(id), back, err)
		}
	})
}
