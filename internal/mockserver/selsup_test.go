package mockserver_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

const selsupContentType = "application/json; charset=utf-8"

func wantSelSupError(t *testing.T, r resp, status int, code, localMessage string, params map[string]any) {
	t.Helper()
	if r.status != status {
		t.Errorf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != selsupContentType {
		t.Errorf("Content-Type = %q", ct)
	}
	var e struct {
		Error        string         `json:"error"`
		LocalMessage string         `json:"localMessage"`
		Params       map[string]any `json:"params"`
	}
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("not JSON: %s", r.body)
	}
	if e.Error != code || e.LocalMessage != localMessage {
		t.Errorf("error = %q %q, want %q %q", e.Error, e.LocalMessage, code, localMessage)
	}
	if params != nil && !reflect.DeepEqual(e.Params, params) {
		t.Errorf("params = %v, want %v", e.Params, params)
	}
}

func createSelSup(t *testing.T, s *mockserver.Server, body string) map[string]any {
	t.Helper()
	r := ss(t, s, "POST", "/api/webhook/", body)
	wantStatus(t, r, http.StatusOK)
	return r.object(t)
}

func TestSelSupAuth(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	for _, auth := range []string{
		"",
		"Bearer " + mockserver.DemoSelSupKey, // the key must be sent raw
		"wrong-key",
		mockserver.DemoSelSupKey + "x",
	} {
		for _, c := range []struct{ method, path, body string }{
			{"GET", "/selsup/api/webhook/", ""},
			{"POST", "/selsup/api/webhook/", `{`},
			{"DELETE", "/selsup/api/webhook/abc", ""},
		} {
			r := serve(t, s, c.method, c.path, auth, c.body)
			wantStatus(t, r, http.StatusForbidden)
			if got := compactJSON(t, r.body); got != `{"error":"ACCESS_DENIED"}` {
				t.Errorf("auth %q %s: body %s", auth, c.method, got)
			}
		}
	}
	r := ss(t, s, "GET", "/api/webhook/", "")
	wantStatus(t, r, http.StatusOK)
	if got := compactJSON(t, r.body); got != `[]` {
		t.Errorf("empty list = %s", got)
	}
	if ct := r.header.Get("Content-Type"); ct != selsupContentType {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestSelSupCreate(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	// The documentation's sample sends id and clientId; the service sets them.
	got := createSelSup(t, s, `{"id":"Иванович","name":"Иван","url":"https://example.com/resource","clientId":123,"organizationId":77,"types":["CREATE_ORDER","ORDER_STATUS"]}`)
	want := map[string]any{
		"id": float64(1001), "name": "Иван", "url": "https://example.com/resource", "clientId": float64(4242),
		"organizationId": float64(77), "types": []any{"CREATE_ORDER", "ORDER_STATUS"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("created = %v\nwant %v", got, want)
	}
	// http is allowed; ids count up; unset name and organizationId.
	got = createSelSup(t, s, `{"url":"http://example.com:8080/x","types":["CREATE_PRODUCT","ORDER","ORDER_STATUS","CREATE_ORDER"],"organizationId":null,"name":null}`)
	if got["id"] != float64(1002) || got["name"] != "" {
		t.Errorf("second create = %v", got)
	}
	if _, ok := got["organizationId"]; ok {
		t.Errorf("unset organizationId is present: %v", got)
	}
	stored := s.SelSupWebhooks()
	if len(stored) != 2 || stored[0].ClientID != mockserver.DemoSelSupClientID || stored[0].OrganizationID != 77 {
		t.Errorf("stored = %+v", stored)
	}
}

func TestSelSupCreateValidation(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	const badBody = "Некорректное тело запроса"
	const badURL = "Некорректный адрес вебхука: требуется абсолютный URL"
	urlField := map[string]any{"field": "url"}
	long := "https://example.com/" + strings.Repeat("a", 2048)
	cases := []struct {
		name, body, code, msg string
		params                map[string]any
	}{
		{"malformed", `{"url":`, "BAD_REQUEST", badBody, nil},
		{"empty", ``, "BAD_REQUEST", badBody, nil},
		{"array", `[{"url":"https://example.com"}]`, "BAD_REQUEST", badBody, nil},
		{"url missing", `{"types":["ORDER"]}`, "VALIDATION_ERROR", badURL, urlField},
		{"url relative", `{"url":"/hook","types":["ORDER"]}`, "VALIDATION_ERROR", badURL, urlField},
		{"url no host", `{"url":"https://","types":["ORDER"]}`, "VALIDATION_ERROR", badURL, urlField},
		{"url space", `{"url":"https://exa mple.com","types":["ORDER"]}`, "VALIDATION_ERROR", badURL, urlField},
		{"url scheme", `{"url":"ftp://example.com","types":["ORDER"]}`, "VALIDATION_ERROR", "Некорректный адрес вебхука: допускаются только http и https", urlField},
		{"url userinfo", `{"url":"https://u:p@example.com","types":["ORDER"]}`, "VALIDATION_ERROR", "Адрес вебхука не должен содержать имя пользователя и пароль", urlField},
		{"url too long", `{"url":"` + long + `","types":["ORDER"]}`, "VALIDATION_ERROR", "Адрес вебхука слишком длинный: допускается не более 2048 символов", urlField},
		{"url number", `{"url":1,"types":["ORDER"]}`, "BAD_REQUEST", badBody, map[string]any{"field": "url"}},
		{"types missing", `{"url":"https://example.com"}`, "VALIDATION_ERROR", "Нужно указать хотя бы один тип события", map[string]any{"field": "types"}},
		{"types empty", `{"url":"https://example.com","types":[]}`, "VALIDATION_ERROR", "Нужно указать хотя бы один тип события", map[string]any{"field": "types"}},
		{"types unknown", `{"url":"https://example.com","types":["ORDER","FOO"]}`, "VALIDATION_ERROR", "Неизвестный тип события: FOO", map[string]any{"field": "types", "value": "FOO"}},
		{"types case", `{"url":"https://example.com","types":["order"]}`, "VALIDATION_ERROR", "Неизвестный тип события: order", map[string]any{"field": "types", "value": "order"}},
		{"types duplicate", `{"url":"https://example.com","types":["ORDER","ORDER"]}`, "VALIDATION_ERROR", "Тип события указан повторно: ORDER", map[string]any{"field": "types", "value": "ORDER"}},
		{"types string", `{"url":"https://example.com","types":"ORDER"}`, "BAD_REQUEST", badBody, map[string]any{"field": "types"}},
		{"org zero", `{"url":"https://example.com","types":["ORDER"],"organizationId":0}`, "VALIDATION_ERROR", "Организация не найдена", map[string]any{"field": "organizationId", "value": float64(0)}},
		{"org negative", `{"url":"https://example.com","types":["ORDER"],"organizationId":-5}`, "VALIDATION_ERROR", "Организация не найдена", map[string]any{"field": "organizationId", "value": float64(-5)}},
		{"org string", `{"url":"https://example.com","types":["ORDER"],"organizationId":"АО \"Торговый дом\""}`, "BAD_REQUEST", badBody, map[string]any{"field": "organizationId"}},
		{"org numeric string", `{"url":"https://example.com","types":["ORDER"],"organizationId":"12"}`, "BAD_REQUEST", badBody, map[string]any{"field": "organizationId"}},
		{"org fraction", `{"url":"https://example.com","types":["ORDER"],"organizationId":1.5}`, "BAD_REQUEST", badBody, map[string]any{"field": "organizationId"}},
		{"name number", `{"name":5,"url":"https://example.com","types":["ORDER"]}`, "BAD_REQUEST", badBody, map[string]any{"field": "name"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantSelSupError(t, ss(t, s, "POST", "/api/webhook/", c.body), http.StatusBadRequest, c.code, c.msg, c.params)
		})
	}
	if n := len(s.SelSupWebhooks()); n != 0 {
		t.Errorf("%d webhooks stored by invalid requests", n)
	}
	// SelSup's documents set no limit on a name's length: 1000 runes (2000 bytes) is fine.
	createSelSup(t, s, `{"name":"`+strings.Repeat("я", 1000)+`","url":"https://example.com","types":["ORDER"]}`)

	big := `{"url":"https://example.com","types":["ORDER"],"pad":"` + strings.Repeat("x", 1<<20) + `"}`
	wantSelSupError(t, ss(t, s, "POST", "/api/webhook/", big), http.StatusBadRequest, "BAD_REQUEST", badBody, nil)
}

func TestSelSupNameRoundTrip(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	names := []string{
		"Вебхук «Заказы» для ООО \"Ромашка\" <склад> & 🚀",
		"  пробелы по краям  ",
		"Ёжик\u00a0\u200bи\tтаб",
		"",
	}
	for _, name := range names {
		body, _ := json.Marshal(map[string]any{"name": name, "url": "https://example.com", "types": []string{"ORDER"}})
		r := ss(t, s, "POST", "/api/webhook/", string(body))
		wantStatus(t, r, http.StatusOK)
		if r.object(t)["name"] != name {
			t.Errorf("create answered name %q, want %q", r.object(t)["name"], name)
		}
	}
	list := ss(t, s, "GET", "/api/webhook/", "")
	// No HTML escaping: the UTF-8 bytes of the name are in the body as sent.
	if !strings.Contains(string(list.body), "<склад> & 🚀") {
		t.Errorf("name not byte-exact in the list body: %s", list.body)
	}
	for i, w := range list.array(t) {
		if w["name"] != names[i] {
			t.Errorf("list name %q, want %q", w["name"], names[i])
		}
		if _, ok := w["name"]; !ok {
			t.Error("name missing from the list")
		}
	}
	for i, w := range s.SelSupWebhooks() {
		if w.Name != names[i] {
			t.Errorf("stored name %q, want %q", w.Name, names[i])
		}
	}
}

func TestSelSupListShape(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	createSelSup(t, s, `{"name":"a","url":"https://example.com/a","organizationId":5,"types":["ORDER"]}`)
	createSelSup(t, s, `{"url":"https://example.com/b","types":["CREATE_ORDER","ORDER"]}`)

	list := ss(t, s, "GET", "/api/webhook/", "").array(t)
	if len(list) != 2 || list[0]["id"] != float64(1001) || list[1]["id"] != float64(1002) {
		t.Fatalf("list = %v", list)
	}
	if list[0]["organizationId"] != float64(5) {
		t.Errorf("organizationId = %v", list[0]["organizationId"])
	}
	if _, ok := list[1]["organizationId"]; ok {
		t.Error("unset organizationId should be omitted")
	}
	if list[1]["name"] != "" {
		t.Errorf("unset name = %v, want \"\"", list[1]["name"])
	}
	if !reflect.DeepEqual(list[1]["types"], []any{"CREATE_ORDER", "ORDER"}) {
		t.Errorf("types = %v", list[1]["types"])
	}

	// The omit-types switch: the docs do not promise "types" in the list.
	s.SetSelSupOmitTypes(true)
	for _, w := range ss(t, s, "GET", "/api/webhook/", "").array(t) {
		if _, ok := w["types"]; ok {
			t.Errorf("types present with SelSupOmitTypes: %v", w)
		}
	}
	// The create response still carries them.
	if got := createSelSup(t, s, `{"url":"https://example.com/c","types":["ORDER"]}`); got["types"] == nil {
		t.Errorf("create response lacks types: %v", got)
	}
	s.SetSelSupOmitTypes(false)
	if w := ss(t, s, "GET", "/api/webhook/", "").array(t)[0]; w["types"] == nil {
		t.Error("types still omitted after switching back")
	}
	o := mockserver.New(mockserver.Options{SelSupOmitTypes: true})
	createSelSup(t, o, `{"url":"https://example.com","types":["ORDER"]}`)
	if w := ss(t, o, "GET", "/api/webhook/", "").array(t)[0]; w["types"] != nil {
		t.Error("Options.SelSupOmitTypes ignored")
	}
}

func TestSelSupClientsAreSeparate(t *testing.T) {
	s := mockserver.New(mockserver.Options{SelSupKeys: map[string]int64{"k1": 1, "k2": 2}})
	wantStatus(t, ss(t, s, "GET", "/api/webhook/", ""), http.StatusForbidden) // the demo key is not configured
	r := serve(t, s, "POST", "/selsup/api/webhook/", "k1", `{"url":"https://example.com","types":["ORDER"]}`)
	wantStatus(t, r, http.StatusOK)
	if r.object(t)["clientId"] != float64(1) {
		t.Errorf("clientId = %v", r.object(t)["clientId"])
	}
	if got := compactJSON(t, serve(t, s, "GET", "/selsup/api/webhook/", "k2", "").body); got != "[]" {
		t.Errorf("k2 sees %s", got)
	}
	wantSelSupError(t, serve(t, s, "DELETE", "/selsup/api/webhook/1001", "k2", ""), 404, "NOT_FOUND", "Вебхук не найден", nil)
	wantStatus(t, serve(t, s, "DELETE", "/selsup/api/webhook/1001", "k1", ""), http.StatusOK)
}

func TestSelSupDelete(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	createSelSup(t, s, `{"url":"https://example.com/a","types":["ORDER"]}`)
	createSelSup(t, s, `{"url":"https://example.com/b","types":["ORDER"]}`)

	for _, bad := range []string{"abc", "1001.0", "1e3", "99999999999999999999"} {
		wantSelSupError(t, ss(t, s, "DELETE", "/api/webhook/"+bad, ""), 400, "BAD_REQUEST",
			"Некорректный идентификатор вебхука: "+bad, map[string]any{"field": "webhookId", "value": bad})
	}
	r := ss(t, s, "DELETE", "/api/webhook/4242", "")
	wantStatus(t, r, http.StatusNotFound)
	if got := compactJSON(t, r.body); got != `{"error":"NOT_FOUND","localMessage":"Вебхук не найден"}` {
		t.Errorf("404 body = %s", got)
	}

	r = ss(t, s, "DELETE", "/api/webhook/1002", "")
	wantStatus(t, r, http.StatusOK)
	if len(r.body) != 0 {
		t.Errorf("delete body = %q, want empty", r.body)
	}
	wantStatus(t, ss(t, s, "DELETE", "/api/webhook/1002", ""), http.StatusNotFound)
	if list := ss(t, s, "GET", "/api/webhook/", "").array(t); len(list) != 1 || list[0]["id"] != float64(1001) {
		t.Errorf("list after delete = %v", list)
	}
	// Ids are never reused.
	if got := createSelSup(t, s, `{"url":"https://example.com/c","types":["ORDER"]}`); got["id"] != float64(1003) {
		t.Errorf("id after delete = %v, want 1003", got["id"])
	}
}

func TestSelSupOrganizationsOfTheAccount(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1, SelSupOrganizations: []int64{17, 18}})
	createSelSup(t, s, `{"url":"https://example.com/a","types":["ORDER"],"organizationId":17}`)
	createSelSup(t, s, `{"url":"https://example.com/b","types":["ORDER"]}`) // no organization: nothing to check
	r := ss(t, s, "POST", "/api/webhook/", `{"url":"https://example.com/c","types":["ORDER"],"organizationId":99}`)
	wantSelSupError(t, r, http.StatusBadRequest, "VALIDATION_ERROR", "Организация не найдена",
		map[string]any{"field": "organizationId", "value": float64(99)})
	if n := len(s.SelSupWebhooks()); n != 2 {
		t.Errorf("%d webhooks stored, want 2", n)
	}
}
