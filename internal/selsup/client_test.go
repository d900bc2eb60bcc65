package selsup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/seed/terraform-provider-webhooks/internal/apitest"

	"github.com/seed/terraform-provider-webhooks/internal/inventory"
	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/transport"
)

// testKey is the API key every test client sends; distinctive, so that finding it in a message means a leak.
const (
	testKey       = "ss-key-CLIENTTEST-51c0ffee"
	testClientID  = int64(777)
	testUserAgent = "terraform-provider-webhooks/1.2.3-test"
)

type recorded struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

type recorder struct {
	next http.Handler
	mu   sync.Mutex
	reqs []recorded
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
	rec.mu.Unlock()
	rec.next.ServeHTTP(w, r)
}

func (rec *recorder) requests() []recorded {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.reqs)
}

// newMock returns a mock that knows testKey (client testClientID), behind a recorder, and the SelSup base URL.
func newMock(t *testing.T, opts mockserver.Options) (*mockserver.Server, *recorder, string) {
	t.Helper()
	opts.SelSupKeys = map[string]int64{testKey: testClientID}
	if opts.Seed == 0 {
		opts.Seed = 5
	}
	m := mockserver.New(opts)
	rec := &recorder{next: m}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return m, rec, srv.URL + "/selsup"
}

func startedMock(t *testing.T, opts mockserver.Options) *mockserver.Server {
	t.Helper()
	opts.SelSupKeys = map[string]int64{testKey: testClientID}
	return apitest.StartMock(t, opts)
}

func newClient(t *testing.T, baseURL, key string, maxRetries int) *Client {
	t.Helper()
	c, err := New(Config{APIKey: key, Settings: transport.Settings{BaseURL: baseURL, UserAgent: testUserAgent, MaxRetries: maxRetries}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func serve(t *testing.T, h http.HandlerFunc) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return newClient(t, srv.URL, testKey, 0)
}

// checkMessage asserts what every error a user may see must satisfy.
func checkMessage(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		t.Fatal("want an error, got nil")
	}
	msg := err.Error()
	if problem := apitest.MessageProblem(msg, testKey); problem != "" {
		t.Error(problem)
	}
	return msg
}

func wantFragments(t *testing.T, msg string, want, notWant []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error message lacks %q:\n%s", w, msg)
		}
	}
	for _, w := range notWant {
		if strings.Contains(msg, w) {
			t.Errorf("error message should not contain %q:\n%s", w, msg)
		}
	}
}

// TestRoundTripAgainstMock: list, create and delete, typed, against the mock: integer ids, the client id set by
// the service, a Cyrillic name kept byte for byte, the raw key in Authorization (no Bearer) and the user agent.
func TestRoundTripAgainstMock(t *testing.T) {
	m, rec, base := newMock(t, mockserver.Options{})
	c := newClient(t, base, testKey, transport.DefaultMaxRetries)
	ctx := context.Background()

	name := "Заказы — склад «Север» ✓"
	created, err := c.CreateWebhook(ctx, CreateRequest{Name: name, URL: "https://hooks.example.com/ss", OrganizationID: 7, Types: []string{"ORDER_STATUS", "CREATE_ORDER"}})
	if err != nil {
		t.Fatalf("CreateWebhook: %v", err)
	}
	if created.ID < 1001 || created.ClientID != testClientID || created.Name != name || created.OrganizationID != 7 || created.URL != "https://hooks.example.com/ss" {
		t.Fatalf("created %+v", created)
	}
	if got := sortedCopy(created.Types); !slices.Equal(got, []string{"CREATE_ORDER", "ORDER_STATUS"}) {
		t.Errorf("created types %v", got)
	}
	held, ok := m.SelSupWebhook(created.ID)
	if !ok || held.Name != name || held.ClientID != testClientID {
		t.Fatalf("mock holds %+v, %v", held, ok)
	}

	second, err := c.CreateWebhook(ctx, CreateRequest{URL: "http://hooks.example.com/plain", Types: []string{"ORDER"}})
	if err != nil {
		t.Fatalf("second CreateWebhook: %v", err)
	}
	if second.Name != "" || second.OrganizationID != 0 || second.ID == created.ID {
		t.Errorf("second %+v", second)
	}

	list, err := c.ListWebhooks(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("ListWebhooks: %+v, %v", list, err)
	}
	got, err := c.GetWebhook(ctx, created.ID)
	if err != nil || got.Name != name || got.OrganizationID != 7 || got.ClientID != testClientID {
		t.Fatalf("GetWebhook: %+v, %v", got, err)
	}

	if err := c.DeleteWebhook(ctx, created.ID); err != nil {
		t.Fatalf("DeleteWebhook: %v", err)
	}
	if _, ok := m.SelSupWebhook(created.ID); ok {
		t.Fatal("mock still holds the deleted webhook")
	}
	// SelSup answers the second delete 404, and the list confirms the webhook is gone: done.
	if err := c.DeleteWebhook(ctx, created.ID); err != nil {
		t.Fatalf("second delete of a webhook the list confirms gone: %v", err)
	}
	_, err = c.GetWebhook(ctx, created.ID)
	if !IsNotFound(err) {
		t.Fatalf("GetWebhook after delete: want not found, got %v", err)
	}
	wantFragments(t, checkMessage(t, err), []string{fmt.Sprintf("SelSup has no webhook with id %d: the account's list of webhooks does not hold it", created.ID)}, nil)

	for _, r := range rec.requests() {
		if got := r.Header.Get("Authorization"); got != testKey {
			t.Errorf("%s %s: Authorization %q, want the raw key", r.Method, r.Path, got)
		}
		if got := r.Header.Get("User-Agent"); got != testUserAgent {
			t.Errorf("%s %s: User-Agent %q", r.Method, r.Path, got)
		}
		switch r.Method {
		case http.MethodGet, http.MethodPost:
			if r.Path != "/selsup/api/webhook/" {
				t.Errorf("%s sent to %s, want the documented /api/webhook/", r.Method, r.Path)
			}
		case http.MethodDelete:
			if r.Path != fmt.Sprintf("/selsup/api/webhook/%d", created.ID) {
				t.Errorf("delete sent to %s", r.Path)
			}
		}
		if r.Method == http.MethodPost && strings.Contains(string(r.Body), "Заказы") &&
			string(r.Body) != `{"name":"Заказы — склад «Север» ✓","url":"https://hooks.example.com/ss","organizationId":7,"types":["ORDER_STATUS","CREATE_ORDER"]}` {
			t.Errorf("create body %s", r.Body)
		}
	}
}

// TestListWithoutTypes: when the service leaves "types" out, Types is nil (unknown), not empty; an empty array
// stays an empty, non-nil slice.
func TestListWithoutTypes(t *testing.T) {
	m := startedMock(t, mockserver.Options{Seed: 9})
	c := newClient(t, m.SelSupBaseURL(), testKey, transport.DefaultMaxRetries)
	ctx := context.Background()
	w, err := c.CreateWebhook(ctx, CreateRequest{URL: "https://h.example.com/t", Types: []string{"ORDER"}})
	if err != nil {
		t.Fatal(err)
	}
	m.SetSelSupOmitTypes(true)
	got, err := newClient(t, m.SelSupBaseURL(), testKey, transport.DefaultMaxRetries).GetWebhook(ctx, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Types != nil {
		t.Errorf("Types = %#v, want nil when the list omits them", got.Types)
	}

	c2 := serve(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `[{"id":1,"url":"https://a","types":[]},{"id":2,"url":"https://b","types":null},{"id":3,"url":"https://c"}]`)
	})
	list, err := c2.ListWebhooks(ctx)
	if err != nil || len(list) != 3 {
		t.Fatalf("%+v, %v", list, err)
	}
	if list[0].Types == nil || len(list[0].Types) != 0 {
		t.Errorf("types [] read as %#v, want an empty non-nil slice", list[0].Types)
	}
	if list[1].Types != nil || list[2].Types != nil {
		t.Errorf("types null/absent read as %#v / %#v, want nil", list[1].Types, list[2].Types)
	}
}

// TestFlexibleDecoding: ids given as strings (the documents' own samples do it), nulls and unknown fields are read;
// a value that is no integer at all is a clear error.
func TestFlexibleDecoding(t *testing.T) {
	body := `[
		{"id":"1042","name":"Иван","url":"https://a.example.com","clientId":"4242","organizationId":"7","types":["ORDER"],"createdAt":"2026-01-01","extra":{"x":[1]}},
		{"id":1043,"name":null,"url":"https://b.example.com","clientId":4242,"organizationId":null,"types":["CREATE_ORDER","ORDER"]},
		{"id":"1044","url":"https://c.example.com","organizationId":""},
		{"id":9223372036854775807,"url":"https://d.example.com"}
	]`
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		switch r.Method {
		case http.MethodPost:
			io.WriteString(w, `{"id":"2001","name":"Н","url":"https://e.example.com","clientId":"4242","organizationId":"12","types":["ORDER"],"unknown":true}`)
		default:
			io.WriteString(w, body)
		}
	})
	ctx := context.Background()
	list, err := c.ListWebhooks(ctx)
	if err != nil {
		t.Fatalf("ListWebhooks: %v", err)
	}
	want := []Webhook{
		{ID: 1042, Name: "Иван", URL: "https://a.example.com", ClientID: 4242, OrganizationID: 7, Types: []string{"ORDER"}},
		{ID: 1043, URL: "https://b.example.com", ClientID: 4242, Types: []string{"CREATE_ORDER", "ORDER"}},
		{ID: 1044, URL: "https://c.example.com"},
		{ID: 9223372036854775807, URL: "https://d.example.com"},
	}
	if len(list) != len(want) {
		t.Fatalf("listed %d, want %d", len(list), len(want))
	}
	for i := range want {
		g, w := list[i], want[i]
		if g.ID != w.ID || g.Name != w.Name || g.URL != w.URL || g.ClientID != w.ClientID || g.OrganizationID != w.OrganizationID || !slices.Equal(g.Types, w.Types) {
			t.Errorf("webhook %d: got %+v, want %+v", i, g, w)
		}
	}
	created, err := c.CreateWebhook(ctx, CreateRequest{Name: "Н", URL: "https://e.example.com", OrganizationID: 12, Types: []string{"ORDER"}})
	if err != nil || created.ID != 2001 || created.ClientID != 4242 || created.OrganizationID != 12 {
		t.Fatalf("create: %+v, %v", created, err)
	}

	for _, bad := range []string{`[{"id":"abc"}]`, `[{"id":1.5}]`, `[{"id":99999999999999999999}]`, `{"id":1}`, `[{"id":true}]`, ``, `<html></html>`} {
		c := serve(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, bad) })
		_, err := c.ListWebhooks(ctx)
		wantFragments(t, checkMessage(t, err), []string{"SelSup API answered GET /api/webhook/ with HTTP 200 but"}, nil)
	}
}

// TestFlexIntUnit pins flexInt on single values.
func TestFlexIntUnit(t *testing.T) {
	for in, want := range map[string]int64{
		`0`: 0, `1042`: 1042, `"1042"`: 1042, `null`: 0, `""`: 0, `-5`: -5, `"-5"`: -5, ` 7 `: 7,
		`9223372036854775807`: 9223372036854775807, `"9223372036854775807"`: 9223372036854775807,
	} {
		var f flexInt
		if err := f.UnmarshalJSON([]byte(in)); err != nil || int64(f) != want {
			t.Errorf("flexInt(%s) = %d, %v; want %d", in, f, err, want)
		}
	}
	for _, in := range []string{`"abc"`, `1.5`, `1e3`, `true`, `[]`, `{}`, `"1 2"`, `9223372036854775808`, `"0x10"`} {
		var f flexInt
		if err := f.UnmarshalJSON([]byte(in)); err == nil {
			t.Errorf("flexInt(%s) = %d, want an error", in, f)
		}
	}
}

// TestParseFormatID: ids are positive decimal integers; anything else is refused with a message that names it.
func TestParseFormatID(t *testing.T) {
	for _, s := range []string{"1", "1001", "9223372036854775807"} {
		id, err := ParseID(s)
		if err != nil || FormatID(id) != s {
			t.Errorf("ParseID(%q) = %d, %v; FormatID gives %q", s, id, err, FormatID(id))
		}
	}
	for _, s := range []string{"", " ", "0", "-1", "abc", "wh_abc123", " 1001", "1001 ", "10 01", "1.5", "1e3", "0x10", "9223372036854775808", "١٢٣", "1001\n"} {
		id, err := ParseID(s)
		if err == nil {
			t.Errorf("ParseID(%q) = %d, want an error", s, id)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, fmt.Sprintf("%q", s)) || !strings.Contains(msg, "positive whole number") {
			t.Errorf("ParseID(%q): message %q does not name the input and the rule", s, msg)
		}
	}
	if FormatID(1042) != "1042" {
		t.Error("FormatID(1042)")
	}
}

type errorCase struct {
	name        string
	status      int
	contentType string
	body        string
	want        []string
	notWant     []string
	code        string
	local       string
	notFound    bool
	auth        bool
}

// TestErrorMessages: the three documented bodies, shown with status, code and localMessage (Russian intact), and
// every other body still clear, bounded and printable.
func TestErrorMessages(t *testing.T) {
	huge := strings.Repeat("Б", 1<<19)
	manyParams := make([]string, 0, 5000)
	for i := range 5000 {
		manyParams = append(manyParams, fmt.Sprintf(`"field%d":"значение%d"`, i, i))
	}
	cases := []errorCase{
		{name: "400 documented", status: 400, body: `{"error":"VALIDATION_ERROR","localMessage":"Организация не найдена","params":{"field":"organizationId","value":99}}`,
			want: []string{"SelSup rejected the request as invalid (HTTP 400 VALIDATION_ERROR): Организация не найдена; params: field=organizationId, value=99"},
			code: "VALIDATION_ERROR", local: "Организация не найдена"},
		{name: "400 documented, no params", status: 400, body: `{"error":"BAD_REQUEST","localMessage":"Некорректное тело запроса"}`,
			want: []string{"(HTTP 400 BAD_REQUEST): Некорректное тело запроса"}, code: "BAD_REQUEST", local: "Некорректное тело запроса"},
		{name: "403 documented", status: 403, body: `{"error":"ACCESS_DENIED"}`,
			want: []string{"SelSup refused the API key (HTTP 403 ACCESS_DENIED): it is wrong, revoked, or not allowed to manage webhooks"}, code: "ACCESS_DENIED", auth: true},
		{name: "500 documented", status: 500, body: `{"error":"INTERNAL_ERROR","message":"Внутренняя ошибка сервера","system":"java.lang.NullPointerException at ru.selsup.Webhook.save(Webhook.java:42)"}`,
			want: []string{"SelSup API error (HTTP 500 INTERNAL_ERROR): Внутренняя ошибка сервера; system: java.lang.NullPointerException at ru.selsup.Webhook.save(Webhook.java:42)"}, code: "INTERNAL_ERROR"},
		{name: "401 empty", status: 401,
			// SelSup documents 403 for a rejected key and nothing for 401: no credential hint is claimed for it.
			want: []string{"SelSup API error (HTTP 401); the response was empty response body"}},
		{name: "403 empty", status: 403,
			want: []string{"SelSup refused the API key (HTTP 403)", "empty response body"}, auth: true},
		{name: "404 documented", status: 404, body: `{"error":"NOT_FOUND","localMessage":"Вебхук не найден"}`,
			want: []string{"SelSup answered DELETE /api/webhook/1001 with HTTP 404 NOT_FOUND: Вебхук не найден, and the list of webhooks that would show whether 1001 is gone failed as well"},
			code: "NOT_FOUND", local: "Вебхук не найден"},
		{name: "404 HTML", status: 404, contentType: "text/html", body: "<html><body>nginx</body></html>",
			want: []string{"SelSup answered DELETE /api/webhook/1001 with HTTP 404; the response was an HTML page (31 bytes) instead of JSON", "failed as well"}, notWant: []string{"nginx"}},
		{name: "nested error object", status: 400, body: `{"error":{"code":"E1","message":"Ошибка"}}`,
			want: []string{"(HTTP 400 E1): Ошибка"}, code: "E1"},
		{name: "message only", status: 409, body: `{"message":"Conflict"}`,
			want: []string{"SelSup API error (HTTP 409): Conflict"}},
		{name: "error of another type", status: 400, body: `{"error":17}`,
			want: []string{"(HTTP 400); the response was \"{\\\"error\\\":17}\""}},
		{name: "HTML 502", status: 502, contentType: "text/html; charset=windows-1251", body: "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>",
			want: []string{"SelSup API error (HTTP 502)", "an HTML page", "instead of JSON"}, notWant: []string{"<h1>"}},
		{name: "binary junk", status: 500, contentType: "application/octet-stream", body: "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff\x00\x01\x02",
			want: []string{"SelSup API error (HTTP 500); the response was"}},
		{name: "plain text", status: 500, contentType: "text/plain; charset=utf-8", body: "Ошибка\r\nсервера\t500",
			want: []string{`(HTTP 500); the response was "Ошибка сервера 500"`}},
		{name: "control characters everywhere", status: 400, body: "{\"error\":\"E\\u0000\\n2\",\"localMessage\":\"строка1\\nстрока2\\u001b[0m\",\"params\":{\"a\\tb\":\"c\\u0007d\"},\"system\":\"s\\r\\ns\"}",
			want: []string{`(HTTP 400 E\x00 2): строка1 строка2\x1b[0m; system: s s; params: a b=c\x07d`}, code: `E\x00 2`, local: `строка1 строка2\x1b[0m`},
		{name: "huge body", status: 500, contentType: "text/plain", body: huge,
			want: []string{"(HTTP 500); the response was \"БББ", "…"}},
		{name: "huge localMessage", status: 400, body: `{"error":"VALIDATION_ERROR","localMessage":"` + huge + `"}`,
			want: []string{"(HTTP 400 VALIDATION_ERROR): БББ", "…"}, code: "VALIDATION_ERROR", local: "ББББББББББ…"},
		{name: "every field long", status: 500, body: `{"error":"` + strings.Repeat("Е", 600) + `","localMessage":"` + strings.Repeat("Л", 600) + `","message":"` + strings.Repeat("М", 600) + `","system":"` + strings.Repeat("С", 600) + `"}`,
			want: []string{"(HTTP 500 ЕЕЕ", "ЛЛЛ", "МММ", "system: ССС"}, code: "ЕЕЕЕЕЕЕЕЕЕ…", local: "ЛЛЛЛЛЛЛЛЛЛ…"},
		{name: "thousands of params", status: 400, body: `{"error":"VALIDATION_ERROR","localMessage":"Ошибки","params":{` + strings.Join(manyParams, ",") + `}}`,
			want: []string{"(HTTP 400 VALIDATION_ERROR): Ошибки; params: field0=значение0"}, code: "VALIDATION_ERROR", local: "Ошибки"},
		{name: "params nested values", status: 400, body: `{"error":"VALIDATION_ERROR","localMessage":"x","params":{"list":[1,2,{"deep":"` + strings.Repeat("d", 500) + `"}],"n":null}}`,
			want: []string{"params: list=[1 2 map[deep:ddd", "n=<nil>"}, code: "VALIDATION_ERROR", local: "x"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := serve(t, func(w http.ResponseWriter, r *http.Request) {
				if tc.contentType != "" {
					w.Header().Set("Content-Type", tc.contentType)
				} else if tc.body != "" {
					w.Header().Set("Content-Type", "application/json; charset=utf-8")
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			})
			err := c.DeleteWebhook(context.Background(), 1001)
			wantFragments(t, checkMessage(t, err), tc.want, tc.notWant)
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("want an *APIError, got %T: %v", err, err)
			}
			if ae.StatusCode != tc.status || !sameText(ae.Code, tc.code) || !sameText(ae.LocalMessage, tc.local) {
				t.Errorf("status %d code %q localMessage %q; want %d %q %q", ae.StatusCode, ae.Code, ae.LocalMessage, tc.status, tc.code, tc.local)
			}
			if IsNotFound(err) != tc.notFound || IsAuth(err) != tc.auth {
				t.Errorf("IsNotFound %v IsAuth %v; want %v %v", IsNotFound(err), IsAuth(err), tc.notFound, tc.auth)
			}
		})
	}
}

// sameText compares a decoded field with the expected one; "ABC…" stands for any text that starts with ABC and
// was cut short (ends with …) at no more than 500 characters.
func sameText(got, want string) bool {
	if prefix, cut := strings.CutSuffix(want, "…"); cut {
		return strings.HasPrefix(got, prefix) && strings.HasSuffix(got, "…") && utf8.RuneCountInString(got) <= 501
	}
	return got == want
}

// TestCreateErrorsFromMock: what the mock refuses comes back with its code and Russian localMessage, and creates
// nothing; a wrong key is a 403 that does not show the key.
func TestCreateErrorsFromMock(t *testing.T) {
	m := startedMock(t, mockserver.Options{Seed: 4, SelSupOrganizations: []int64{17}})
	ctx := context.Background()
	c := newClient(t, m.SelSupBaseURL(), testKey, transport.DefaultMaxRetries)
	_, err := c.CreateWebhook(ctx, CreateRequest{URL: "https://h.example.com/o", OrganizationID: 99, Types: []string{"ORDER"}})
	wantFragments(t, checkMessage(t, err), []string{"SelSup rejected the request as invalid (HTTP 400 VALIDATION_ERROR): Организация не найдена; params: field=organizationId, value=99"}, nil)
	_, err = c.CreateWebhook(ctx, CreateRequest{URL: "https://h.example.com/o", Types: []string{"DELETE_ORDER"}})
	wantFragments(t, checkMessage(t, err), []string{"(HTTP 400 VALIDATION_ERROR): Неизвестный тип события: DELETE_ORDER"}, nil)

	_, err = newClient(t, m.SelSupBaseURL(), "Bearer "+testKey, transport.DefaultMaxRetries).ListWebhooks(ctx)
	if !IsAuth(err) {
		t.Fatalf("Bearer-prefixed key: %v", err)
	}
	wantFragments(t, checkMessage(t, err), []string{"SelSup refused the API key (HTTP 403 ACCESS_DENIED)"}, nil)
	if n := len(m.SelSupWebhooks()); n != 0 {
		t.Errorf("mock holds %d webhooks", n)
	}
}

// TestKeyNeverInErrors: a server echoing the key back, in any spelling, never makes it appear in an error.
func TestKeyNeverInErrors(t *testing.T) {
	escaped := strings.ReplaceAll(testKey, "-", `\u002d`)
	for name, body := range map[string]func(*http.Request) (int, string){
		"localMessage echoes the header": func(r *http.Request) (int, string) {
			return 400, `{"error":"BAD","localMessage":"Неверный ключ ` + r.Header.Get("Authorization") + `"}`
		},
		"code, system and params echo it": func(r *http.Request) (int, string) {
			k := r.Header.Get("Authorization")
			return 500, `{"error":"` + k + `","message":"m","system":"key=` + k + `","params":{"key":"` + k + `","` + k + `":1}}`
		},
		"text dump of the request": func(r *http.Request) (int, string) {
			var b strings.Builder
			_ = r.Header.Write(&b)
			return 403, b.String()
		},
		"JSON-escaped key": func(*http.Request) (int, string) {
			return 400, `{"error":"BAD","localMessage":"ключ ` + escaped + `"}`
		},
		"JSON-escaped key in params": func(*http.Request) (int, string) {
			return 400, `{"error":"BAD","params":{"key":"` + escaped + `"}}`
		},
		"2xx that is not JSON echoes the key": func(r *http.Request) (int, string) {
			return 200, "key=" + r.Header.Get("Authorization")
		},
	} {
		t.Run(name, func(t *testing.T) {
			c := serve(t, func(w http.ResponseWriter, r *http.Request) {
				status, b := body(r)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				io.WriteString(w, b)
			})
			_, err := c.ListWebhooks(context.Background())
			checkMessage(t, err)
		})
	}
}

// TestDeleteAnswers: the documented delete answers 200 with no body; any 2xx body is fine too.
func TestDeleteAnswers(t *testing.T) {
	for _, body := range []string{"", "{}", `{"id":5}`, "OK", "true"} {
		var path, auth string
		c := serve(t, func(w http.ResponseWriter, r *http.Request) {
			path, auth = r.URL.Path, r.Header.Get("Authorization")
			io.WriteString(w, body)
		})
		if err := c.DeleteWebhook(context.Background(), 5); err != nil {
			t.Errorf("delete answered %q: %v", body, err)
		}
		if path != "/api/webhook/5" || auth != testKey {
			t.Errorf("delete sent to %s with Authorization %q", path, auth)
		}
	}
}

// TestContextCancellation: a call blocked on a slow server returns as soon as its context is cancelled.
func TestContextCancellation(t *testing.T) {
	arrived := make(chan struct{}, 10)
	release := make(chan struct{})
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) })
	for name, call := range map[string]func(context.Context) error{
		"list":   func(ctx context.Context) error { _, err := c.ListWebhooks(ctx); return err },
		"delete": func(ctx context.Context) error { return c.DeleteWebhook(ctx, 7) },
	} {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- call(ctx) }()
		<-arrived
		cancel()
		err := <-done
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: want context.Canceled, got %v", name, err)
		}
		checkMessage(t, err)
	}
}

// TestCreateExactlyOnceUnderFaults: at a 50% fault rate (503s) with half of the create faults after commit, every
// CreateWebhook that succeeds made exactly one webhook, and one that fails left nothing (or names what it left).
func TestCreateExactlyOnceUnderFaults(t *testing.T) {
	m := startedMock(t, mockserver.Options{Seed: 20260522, Faults: mockserver.FaultOptions{
		Rate: 0.5, Kinds: []mockserver.FaultKind{mockserver.Fault503}, AfterCommitRatio: 0.5,
	}})
	exactlyOnce(t, m, 24, transport.DefaultMaxRetries)
}

func TestCreateExactlyOnceUnderMixedFaults(t *testing.T) {
	m := startedMock(t, mockserver.Options{Seed: 8, Faults: mockserver.FaultOptions{Rate: 0.25, AfterCommitRatio: 0.6}})
	exactlyOnce(t, m, 6, 10)
}

func exactlyOnce(t *testing.T, m *mockserver.Server, n, maxRetries int) {
	t.Helper()
	c := newClient(t, m.SelSupBaseURL(), testKey, maxRetries)
	ctx := context.Background()
	succeeded := map[string]int64{}
	adopted := 0
	for i := range n {
		url := fmt.Sprintf("https://hooks.example.com/eo/%d", i)
		w, err := c.CreateWebhook(ctx, CreateRequest{Name: fmt.Sprintf("Вебхук %d", i), URL: url, Types: []string{"ORDER", "CREATE_ORDER"}})
		switch err {
		case nil:
			if w == nil || w.ID == 0 || w.ClientID != testClientID {
				t.Fatalf("create %d: %+v", i, w)
			}
			succeeded[url] = w.ID
			if w.Adopted {
				// Found in a list after a lost answer: reported as such, never silently.
				if !w.InDoubt {
					t.Errorf("create %d: adopted without being in doubt: %+v", i, w)
				}
				adopted++
			}
		default:
			checkMessage(t, err)
			var gu *inventory.GaveUpError
			if !errors.As(err, &gu) && !strings.Contains(err.Error(), "listing existing webhooks before creating") {
				t.Errorf("create %d: unexpected error %T: %v", i, err, err)
			}
		}
	}
	byURL := map[string][]mockserver.SelSupWebhook{}
	for _, h := range m.SelSupWebhooks() {
		byURL[h.URL] = append(byURL[h.URL], h)
	}
	for url, held := range byURL {
		switch {
		case succeeded[url] == 0:
			t.Errorf("%s: %d webhooks on the server for a create that failed (orphans)", url, len(held))
		case len(held) != 1 || held[0].ID != succeeded[url]:
			t.Errorf("%s: %d webhooks on the server, want exactly the one returned (%d)", url, len(held), succeeded[url])
		}
	}
	for url := range succeeded {
		if len(byURL[url]) == 0 {
			t.Errorf("%s: create succeeded but the server holds nothing", url)
		}
	}
	st := m.Stats()
	t.Logf("%d/%d creates succeeded, %d of them adopted after a lost answer; mock saw %d requests, faults %v, %d after commit",
		len(succeeded), n, adopted, st.Total, st.Faults, st.FaultsAfterCommit)
	if st.Requests["selsup.delete"] != 0 {
		t.Errorf("%d deletes: nothing is deleted on a guess", st.Requests["selsup.delete"])
	}
	if st.FaultsAfterCommit == 0 {
		t.Errorf("no fault hit a create after commit: the test proves nothing; change the seed")
	}
	if len(succeeded) < n/2 {
		t.Errorf("only %d of %d creates succeeded", len(succeeded), n)
	}
}

// TestCreateWithUnreadableAnswerLeavesNoDuplicate: the service makes the webhook and answers 200 with a body the
// client cannot read. The webhook exists; the client adopts it (SelSup's create answer holds nothing a list lacks)
// and says so, never leaves it unknown so that the next apply makes a second one.
func TestCreateWithUnreadableAnswerLeavesNoDuplicate(t *testing.T) {
	for name, answer := range map[string]string{
		"truncated JSON": `{"id":10`,
		"no id":          `{"url":"https://h.example.com/u"}`,
		"HTML":           `<html>OK</html>`,
	} {
		t.Run(name, func(t *testing.T) {
			m, _, _ := newMock(t, mockserver.Options{})
			var posts atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost && posts.Add(1) == 1 {
					m.ServeHTTP(httptest.NewRecorder(), r)
					w.WriteHeader(http.StatusOK)
					io.WriteString(w, answer)
					return
				}
				m.ServeHTTP(w, r)
			}))
			t.Cleanup(srv.Close)
			c := newClient(t, srv.URL+"/selsup", testKey, 1)
			req := CreateRequest{URL: "https://h.example.com/u", Types: []string{"ORDER"}}
			w, err := c.CreateWebhook(context.Background(), req)
			held := m.SelSupWebhooks()
			t.Logf("posts %d, err %v, held %+v", posts.Load(), err, held)
			if err != nil {
				t.Fatalf("the create failed although the list shows what it made: %v", err)
			}
			if len(held) != 1 || w.ID != held[0].ID || !w.Adopted || posts.Load() != 1 {
				t.Errorf("create answered %+v after %d requests; the server holds %+v; want it adopted, and said so", w, posts.Load(), held)
			}
		})
	}
}

// TestBaseURLRules: the key never goes in clear text to a remote host.
func TestBaseURLRules(t *testing.T) {
	for _, base := range []string{"http://api.selsup.ru", "ftp://api.selsup.ru", "https://u:p@api.selsup.ru", "//api.selsup.ru", "https://api.selsup.ru?x=1"} {
		if _, err := New(Config{APIKey: testKey, Settings: transport.Settings{BaseURL: base}}); err == nil {
			t.Errorf("New accepted base URL %q", base)
		} else {
			checkMessage(t, err)
		}
	}
	for _, base := range []string{"", "https://api.selsup.ru", "http://127.0.0.1:1/selsup", "http://localhost"} {
		if _, err := New(Config{APIKey: testKey, Settings: transport.Settings{BaseURL: base}}); err != nil {
			t.Errorf("New refused base URL %q: %v", base, err)
		}
	}
}

// TestSuccessStatusThatFailsIsAnError: a 2xx answer that does not carry what the call promises is an error that
// names the call, the status and what the body said; never an empty list, never "done".
func TestSuccessStatusThatFailsIsAnError(t *testing.T) {
	cases := []struct {
		name, method, body string
		want               []string
	}{
		{"list is null", http.MethodGet, `null`, []string{"SelSup API answered GET /api/webhook/ with HTTP 200 but not the list of webhooks"}},
		{"list is an error body", http.MethodGet, `{"error":"INTERNAL_ERROR","localMessage":"Сервис недоступен"}`,
			[]string{"with HTTP 200 but not the list of webhooks: an error body (INTERNAL_ERROR: Сервис недоступен)"}},
		{"list is text with controls, escaped once", http.MethodGet, "\x1b]0;pwned\x07 busy",
			[]string{`not the list of webhooks: "\x1b]0;pwned\a busy"`}},
		{"list is one page of more", http.MethodGet, `{"content":[],"totalPages":2}`,
			[]string{`but only part of the list of webhooks: the answer says more follows ("totalPages": 2, more than one page)`}},
		{"listed id is null", http.MethodGet, `[{"id":null,"url":"https://a.example.com"}]`, []string{`webhook 1 of the list has no "id"`}},
		{"listed id is missing", http.MethodGet, `[{"id":1001,"url":"https://a.example.com"},{"url":"https://b.example.com"}]`, []string{`webhook 2 of the list has no "id"`}},
		{"listed id is zero", http.MethodGet, `[{"id":0,"url":"https://a.example.com"}]`, []string{`an "id" that is not a positive integer (0)`}},
		{"listed url is missing", http.MethodGet, `[{"id":1001}]`, []string{`webhook 1 of the list has no "url"`}},
		{"delete answers an error body", http.MethodDelete, `{"error":"LOCKED","localMessage":"Вебхук заблокирован"}`,
			[]string{"SelSup API answered DELETE /api/webhook/1001 with HTTP 200 but an error body (LOCKED: Вебхук заблокирован), so the webhook was not deleted"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := serve(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, tc.body)
			})
			var err error
			if tc.method == http.MethodDelete {
				err = c.DeleteWebhook(context.Background(), 1001)
			} else {
				_, err = c.ListWebhooks(context.Background())
			}
			if err == nil {
				t.Fatal("the call succeeded; want an error")
			}
			wantFragments(t, checkMessage(t, err), tc.want, nil)
		})
	}
}
