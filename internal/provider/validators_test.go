package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/seed/terraform-provider-webhooks/internal/sellfern"
	"github.com/seed/terraform-provider-webhooks/internal/selsup"
)

// The provider's own validators, called directly as the validators library's own tests call theirs. TestAccBadInput
// keeps a case for each validator on each attribute it guards, to prove the wiring; the many values each validator
// must refuse are here.

// validatorCase is one value and the error detail it must give ("" for a valid value).
type validatorCase struct {
	value types.String
	want  string
}

func str(s string) types.String { return types.StringValue(s) }

// checkString runs v on each case and compares the error details it reports.
func checkString(t *testing.T, v validator.String, cases []validatorCase) {
	t.Helper()
	for _, c := range cases {
		resp := &validator.StringResponse{}
		v.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("attr"), ConfigValue: c.value}, resp)
		var details []string
		for _, d := range resp.Diagnostics.Errors() {
			details = append(details, d.Detail())
		}
		got := strings.Join(details, "\n")
		switch {
		case c.want == "" && got != "":
			t.Errorf("%s: refused with %q, want it accepted", c.value, got)
		case c.want != "" && !strings.Contains(got, c.want):
			t.Errorf("%s: got %q, want an error containing %q", c.value, got, c.want)
		}
	}
}

func TestWebhookURLValidator(t *testing.T) {
	long := "https://hooks.example.com/" + strings.Repeat("a", 10*1024)
	relative := func(s string) string {
		return fmt.Sprintf("The URL %q is relative; give an absolute https URL such as https://example.com/webhooks.", s)
	}
	checkString(t, webhookURL("https"), []validatorCase{
		{str("https://hooks.example.com/x"), ""},
		{str("https://Hooks.Example.com:8443/x?a=1"), ""},
		{str("https://пример.рф/хук"), ""},
		{types.StringNull(), ""},
		{types.StringUnknown(), ""},
		{str(""), "The URL must not be empty; give an absolute https URL such as https://example.com/webhooks."},
		{str("   "), "The URL must not be empty; give an absolute https URL such as https://example.com/webhooks."},
		{str("http://hooks.example.com/x"), `The URL "http://hooks.example.com/x" must be https: it uses http:, and webhooks are delivered over https only.`},
		{str("/webhooks/sellfern"), relative("/webhooks/sellfern")},
		{str("hooks.example.com/x"), relative("hooks.example.com/x")},
		{str("https://"), `The URL "https://" has no host name; give one such as https://example.com/webhooks.`},
		{str("javascript:alert(1)"), `The URL "javascript:alert(1)" must be https: it uses javascript:`},
		{str("file:///etc/passwd"), `The URL "file:///etc/passwd" must be https: it uses file:`},
		{str("mailto:ops@example.com"), `must be https: it uses mailto:`},
		{str("https://admin:hunter2@hooks.example.com/x"), "The URL must not contain a user name or password."},
		{str(long), fmt.Sprintf("The URL is %d characters long; the limit is 2048.", len(long))},
		{str("https://hooks.example.com/x\n"), "The URL must not contain white space or control characters."},
		{str("https://hooks.example.com/\tx"), "The URL must not contain white space or control characters."},
		{str("https://hooks.example.com/\u007fx"), "The URL must not contain white space or control characters."},
		{str("https://hooks.example.com/\u0000x"), "The URL must not contain white space or control characters."},
		{str("https://hooks.example.com/a b"), "The URL must not contain white space or control characters."},
		{str("https://hooks.example.com:0/x"), `The URL "https://hooks.example.com:0/x" has port 0; a port is a number from 1 to 65535.`},
		{str("https://hooks.example.com:99999/x"), `has port 99999; a port is a number from 1 to 65535.`},
		{str("https://hooks.example.com:65535/x"), ""},
	})
	checkString(t, webhookURL("https", "http"), []validatorCase{
		{str("http://hooks.example.com/x"), ""},
		{str(""), "The URL must not be empty; give an absolute https or http URL such as https://example.com/webhooks."},
		{str("ftp://hooks.example.com/x"), `The URL "ftp://hooks.example.com/x" must be https or http: it uses ftp:`},
		{str("webhook"), `The URL "webhook" is relative; give an absolute https or http URL such as https://example.com/webhooks.`},
		{str("http://user@hooks.example.com/x"), "The URL must not contain a user name or password."},
		{str("https://hooks.example.com/\nx"), "The URL must not contain white space or control characters."},
		{str("http://hooks.example.com:65536/x"), "has port 65536; a port is a number from 1 to 65535."},
	})
}

func TestPrintableNameValidator(t *testing.T) {
	const visible = "The name must contain at least one visible character; it has only spaces or invisible characters"
	checkString(t, printableName(), []validatorCase{
		{str("Заказы: склад №2 — «Торговый дом»"), ""},
		{str("x"), ""},
		{str("🙂"), ""},
		{str(""), "The name must not be empty or white space only; leave the attribute out for no name."},
		{str(" \t "), "The name must not be empty or white space only; leave the attribute out for no name."},
		{str("Заказы\nсклад"), "The name must not contain control characters (such as a newline or tab)."},
		{str("x\u007fy"), "The name must not contain control characters (such as a newline or tab)."},
		{str("\u200b"), visible},
		{str("\u200b\u2060\ufeff"), visible},
		{str("Заказы \u202etxt.exe"), "The name must not contain bidirectional formatting characters (it holds U+202E)"},
		{str("a\u2066b"), "(it holds U+2066)"},
		{str("a\u200fb"), "(it holds U+200F)"},
		{str("\xff"), "The name must be valid UTF-8."},
	})
}

func TestSellfernWebhookIDValidator(t *testing.T) {
	bad := func(id string) string { return fmt.Sprintf("%q is not a Sellfern webhook id", id) }
	checkString(t, sellfernWebhookID(), []validatorCase{
		{str("wh_abc123"), ""},
		{str("wh-ABC.123"), ""},
		{str(""), bad("")},
		{str("  "), bad("  ")},
		{str("wh abc"), bad("wh abc")},
		{str("wh_1\n"), bad("wh_1\n")},
		{str("."), bad(".")},
		{str(".."), bad("..")},
		{str("wh_1/../wh_2"), bad("wh_1/../wh_2")},
		{str("wh_абв"), ""},
		{str("wh\u00a0abc"), bad("wh\u00a0abc")},
		{str("wh\x7fabc"), bad("wh\x7fabc")},
		{str("/"), bad("/")},
	})
	// The summary names the attribute the validator guards.
	resp := &validator.StringResponse{}
	sellfernWebhookID().ValidateString(context.Background(), validator.StringRequest{Path: path.Root("webhook_id"), ConfigValue: str("..")}, resp)
	if errs := resp.Diagnostics.Errors(); len(errs) != 1 || errs[0].Summary() != "Invalid webhook_id" {
		t.Fatalf("got %v; want one error, Invalid webhook_id", resp.Diagnostics)
	}
}

func TestNotBlankValidator(t *testing.T) {
	checkString(t, notBlank(), []validatorCase{
		{str("sk_live_abc"), ""},
		{str(""), "The value must not be empty or white space only."},
		{str("   "), "The value must not be empty or white space only."},
		{str("sk_live_abc\n"), "The value must not contain control characters (such as a newline or tab)."},
		{str("key\u0000"), "The value must not contain control characters (such as a newline or tab)."},
	})
}

func TestBaseURLValidator(t *testing.T) {
	checkString(t, baseURL(sellfern.CheckBaseURL), []validatorCase{
		{str("https://api.sellfern.com"), ""},
		{str("http://127.0.0.1:8080/sellfern"), ""},
		{str("http://[::1]:8080"), ""},
		{str("http://localhost:8080"), ""},
		{str("http://api.sellfern.com"), `The base URL "http://api.sellfern.com" must use https://; plain http:// is allowed only for a loopback host (localhost, 127.0.0.1, ::1) so that credentials never cross a network in clear text.`},
		{str("http://localhost.evil.example/selsup"), `The base URL "http://localhost.evil.example/selsup" must use https://; plain http:// is allowed only for a loopback host`},
		{str("https://user:pw@api.sellfern.com"), "The base URL must not contain a user name or password; credentials go in their own attribute."},
		{str("ftp://api.selsup.ru"), `The base URL "ftp://api.selsup.ru" must use https://.`},
		{str(""), "The base URL is empty."},
		{str("https://api.sellfern.com/?debug=1"), `The base URL "https://api.sellfern.com/?debug=1" must not have a query or fragment.`},
	})
}

func TestRequestTimeoutValidator(t *testing.T) {
	checkString(t, validRequestTimeout(), []validatorCase{
		{str("30s"), ""},
		{str("1s"), ""},
		{str("10m"), ""},
		{str("fast"), `"fast" is not a duration; write it like 30s, 90s or 2m.`},
		{str("30"), `"30" is not a duration`},
		{str("0s"), "The duration must be between 1s and 10m; got 0s."},
		{str("999ms"), "The duration must be between 1s and 10m; got 999ms."},
		{str("1h"), "The duration must be between 1s and 10m; got 1h."},
		{str("-5s"), "The duration must be between 1s and 10m; got -5s."},
	})
	if d, problem := requestTimeout("2m"); d != 2*time.Minute || problem != "" {
		t.Fatalf("requestTimeout(2m) = %v, %q", d, problem)
	}
}

// TestEachOneOfValidator: every element known, none null, with the validators library's messages; a set larger
// than the allowed values gets a single error, however many elements it has.
func TestEachOneOfValidator(t *testing.T) {
	set := func(values ...attr.Value) types.Set { return types.SetValueMust(types.StringType, values) }
	strs := func(values ...string) types.Set {
		elems := make([]attr.Value, len(values))
		for i, v := range values {
			elems[i] = str(v)
		}
		return set(elems...)
	}
	many := make([]string, 10000)
	for i := range many {
		many[i] = fmt.Sprintf("order.created-%d", i)
	}
	notOneOf := func(got, allowed string) string {
		return fmt.Sprintf(`Attribute attr[Value(%q)] value must be one of: [%s], got: %q`, got, allowed, got)
	}
	cases := []struct {
		allowed []string
		value   types.Set
		want    []string // one per error; none for a valid value
	}{
		{sellfern.Events, strs("order.created", "ticket.updated"), nil},
		{sellfern.Events, strs(sellfern.Events...), nil},
		{sellfern.Events, types.SetNull(types.StringType), nil},
		{sellfern.Events, types.SetUnknown(types.StringType), nil},
		{sellfern.Events, set(str("order.created"), types.StringUnknown()), nil},
		{sellfern.Events, strs("order.created", "order.deleted"), []string{notOneOf("order.deleted", sellfernAllowed)}},
		{sellfern.Events, strs("Order.Created"), []string{notOneOf("Order.Created", sellfernAllowed)}},
		{sellfern.Events, strs("ORDER.CREATED"), []string{notOneOf("ORDER.CREATED", sellfernAllowed)}},
		{sellfern.Events, strs(" order.created"), []string{notOneOf(" order.created", sellfernAllowed)}},
		{sellfern.Events, strs(""), []string{notOneOf("", sellfernAllowed)}},
		{sellfern.Events, strs("CREATE_ORDER"), []string{notOneOf("CREATE_ORDER", sellfernAllowed)}},
		{sellfern.Events, set(str("order.created"), types.StringNull()), []string{"This attribute contains a null value."}},
		{sellfern.Events, strs(many...), []string{"Attribute attr set must contain at most 8 elements, got: 10000"}},
		{selsup.Types, strs("ORDER", "DELETE_ORDER"), []string{notOneOf("DELETE_ORDER", selsupAllowed)}},
		{selsup.Types, strs("order"), []string{notOneOf("order", selsupAllowed)}},
		{selsup.Types, strs("order.created"), []string{notOneOf("order.created", selsupAllowed)}},
		{selsup.Types, strs("ORDER", "ORDER_STATUS", "CREATE_ORDER", "CREATE_PRODUCT", "X"), []string{"set must contain at most 4 elements, got: 5"}},
	}
	for _, c := range cases {
		resp := &validator.SetResponse{}
		eachOneOf(c.allowed).ValidateSet(context.Background(), validator.SetRequest{Path: path.Root("attr"), ConfigValue: c.value}, resp)
		errs := resp.Diagnostics.Errors()
		if len(errs) != len(c.want) {
			t.Errorf("%d elements: %d errors, want %d: %v", len(c.value.Elements()), len(errs), len(c.want), errs)
			continue
		}
		for i, want := range c.want {
			if !strings.Contains(errs[i].Detail(), want) {
				t.Errorf("%d elements: error %q, want one containing %q", len(c.value.Elements()), errs[i].Detail(), want)
			}
		}
	}
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{30 * time.Second: "30s", 10 * time.Minute: "10m", time.Hour: "1h", 90 * time.Second: "1m30s", time.Second: "1s", 0: "0s", 2*time.Hour + 3*time.Minute: "2h3m"} {
		if got := shortDuration(d); got != want {
			t.Errorf("%v: %q want %q", d, got, want)
		}
	}
}
