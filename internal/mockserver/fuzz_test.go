package mockserver_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/seed/terraform-provider-webhooks/internal/apitest"
	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

// fuzzSellfernID is a webhook every fuzzed Sellfern server starts with, so
// that inputs can reach the update, delete, test and deliveries handlers.
const fuzzSellfernID = "wh_00000000000000aa"

func FuzzSellfernHandler(f *testing.F) {
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/v2/webhooks", ""},
		{"POST", "/api/v2/webhooks", `{"url":"https://example.com/h","events":["order.created","ticket.updated"]}`},
		{"POST", "/api/v2/webhooks", `{"url":"https://u@example.com","events":["order.created","order.created"]}`},
		{"PATCH", "/api/v2/webhooks/" + fuzzSellfernID, `{"enabled":false,"events":["expense.created"]}`},
		{"PATCH", "/api/v2/webhooks/" + fuzzSellfernID, `{"url":null}`},
		{"DELETE", "/api/v2/webhooks/" + fuzzSellfernID + "?confirm=" + fuzzSellfernID, ""},
		{"DELETE", "/api/v2/webhooks/%2F?confirm=%2F", ""},
		{"POST", "/api/v2/webhooks/" + fuzzSellfernID + "/test", ""},
		{"GET", "/api/v2/webhooks/" + fuzzSellfernID + "/deliveries", ""},
		{"OPTIONS", "/api/v2/webhooks", "[]"},
	} {
		f.Add(c.method, c.path, []byte(c.body))
	}
	f.Fuzz(func(t *testing.T, method, path string, body []byte) {
		defer apitest.FuzzInput(t, method, path, body)
		s := mockserver.New(mockserver.Options{Seed: 1, Shuffle: true})
		s.SellfernPut(mockserver.SellfernWebhook{
			ID: fuzzSellfernID, URL: "https://example.com/h", Events: []string{"order.created", "order.updated"}, Enabled: true,
		})
		checkFuzzResponse(t, s, method, "/sellfern"+path, "Bearer "+mockserver.DemoSellfernToken, body)
	})
}

func FuzzSelSupHandler(f *testing.F) {
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/webhook/", ""},
		{"POST", "/api/webhook/", `{"name":"Иван","url":"https://example.com/resource","organizationId":7,"types":["CREATE_ORDER"]}`},
		{"POST", "/api/webhook/", `{"id":"Иванович","clientId":123,"organizationId":"АО \"Торговый дом\""}`},
		{"POST", "/api/webhook/", `{"url":"ftp://x","types":["FOO","ORDER","ORDER"]}`},
		{"DELETE", "/api/webhook/1001", ""},
		{"DELETE", "/api/webhook/-1", ""},
		{"DELETE", "/api/webhook/abc", ""},
		{"GET", "/api/webhook", "{"},
	} {
		f.Add(c.method, c.path, []byte(c.body))
	}
	f.Fuzz(func(t *testing.T, method, path string, body []byte) {
		defer apitest.FuzzInput(t, method, path, body)
		s := mockserver.New(mockserver.Options{Seed: 1, Shuffle: true})
		s.SelSupPut(mockserver.SelSupWebhook{Name: "Заказы", URL: "https://example.com/h", Types: []string{"ORDER"}})
		checkFuzzResponse(t, s, method, "/selsup"+path, mockserver.DemoSelSupKey, body)
	})
}

// checkFuzzResponse sends one request and checks the answer is well formed: a
// valid status and a JSON body, the only exception being SelSup's documented
// empty 200 for a delete.
func checkFuzzResponse(t *testing.T, s *mockserver.Server, method, path, auth string, body []byte) {
	req, err := http.NewRequest(method, "http://mock"+path, bytes.NewReader(body))
	if err != nil {
		// Not an HTTP request (a method or URL no client could send): nothing reaches the mock, nothing to check.
		// It returns rather than skips, since a test run accepts no skip but a CLI version check's.
		return
	}
	req.Header.Set("Authorization", auth)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req) // a panic fails the fuzz test

	if rec.Code < 100 || rec.Code >= 600 {
		t.Fatalf("%s %s: status %d", method, path, rec.Code)
	}
	if rec.Body.Len() == 0 && method == http.MethodDelete && rec.Code == http.StatusOK && strings.HasPrefix(req.URL.Path, "/selsup/") {
		return
	}
	if !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") || !json.Valid(rec.Body.Bytes()) {
		t.Fatalf("%s %s: status %d, Content-Type %q, body %q is not JSON",
			method, path, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Bytes())
	}
}
