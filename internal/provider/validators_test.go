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
		// Format characters, which a terminal shows as nothing: wh_evil and wh_evil with a zero-width joiner look alike.
		{str("wh_evil\u200d"), bad("wh_evil\u200d")},
		{str("wh_\u200cevil"), bad("wh_\u200cevil")},
		{str("\ufeffwh_evil"), bad("\ufeffwh_evil")},
		{str("wh_evil\u202e"), bad("wh_evil\u202e")},
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

// TestEventNameValidators: a documented name passes; one the provider does not know passes when it has the form of
// one, with a warning naming it; anything else is refused with one error naming the attribute, the form and the
// documented names, however large the set.
func TestEventNameValidators(t *testing.T) {
	set := func(values ...attr.Value) types.Set { return types.SetValueMust(types.StringType, values) }
	strs := func(values ...string) types.Set {
		elems := make([]attr.Value, len(values))
		for i, v := range values {
			elems[i] = str(v)
		}
		return set(elems...)
	}
	numbered := func(format string, n int) types.Set {
		values := make([]string, n)
		for i := range values {
			values[i] = fmt.Sprintf(format, i)
		}
		return strs(values...)
	}
	sfRefused := func(what string) string {
		return "Attribute attr holds " + what + ". A Sellfern event is lowercase words joined by dots, with underscores " +
			"inside words, like order.status_changed (at most 100 characters). The events Sellfern documents are: " +
			"order.created, order.updated, order.status_changed, order.fulfillment.shipped, order.fulfillment.delivered, " +
			"expense.created, ticket.created, ticket.updated."
	}
	ssRefused := func(what string) string {
		return "Attribute attr holds " + what + ". A SelSup type is upper-case words joined by underscores, like " +
			"ORDER_STATUS (at most 100 characters). The types SelSup documents are: CREATE_ORDER, ORDER, ORDER_STATUS, CREATE_PRODUCT."
	}
	notEvent := func(v string) string { return sfRefused(`"` + v + `", which is not a Sellfern event name`) }
	notType := func(v string) string { return ssRefused(`"` + v + `", which is not a SelSup type name`) }
	cases := []struct {
		names   eventNames
		value   types.Set
		err     string // the error's detail, or "" for none
		warning string // the warning's summary, or "" for none
	}{
		{names: sellfernEventNames, value: strs("order.created", "ticket.updated")},
		{names: sellfernEventNames, value: strs(sellfern.Events...)},
		{names: sellfernEventNames, value: types.SetNull(types.StringType)},
		{names: sellfernEventNames, value: types.SetUnknown(types.StringType)},
		{names: sellfernEventNames, value: set(str("order.created"), types.StringUnknown())},
		{names: sellfernEventNames, value: strs("order.created", "product.created"), warning: "Sellfern event the provider does not know: product.created"},
		{names: sellfernEventNames, value: strs("order.deleted", "item.catalog.price_changed", "v2.order.created", "a.b"),
			warning: "Sellfern events the provider does not know: order.deleted, item.catalog.price_changed, v2.order.created and 1 more"},
		{names: sellfernEventNames, value: strs("Order.Created"), err: notEvent("Order.Created")},
		{names: sellfernEventNames, value: strs("ORDER.CREATED"), err: notEvent("ORDER.CREATED")},
		{names: sellfernEventNames, value: strs(" order.created"), err: notEvent(" order.created")},
		{names: sellfernEventNames, value: strs(""), err: notEvent("")},
		{names: sellfernEventNames, value: strs("CREATE_ORDER"), err: notEvent("CREATE_ORDER")},
		{names: sellfernEventNames, value: strs("order"), err: notEvent("order")},
		{names: sellfernEventNames, value: strs("order..created"), err: notEvent("order..created")},
		{names: sellfernEventNames, value: strs("order.created."), err: notEvent("order.created.")},
		{names: sellfernEventNames, value: strs("order._created"), err: notEvent("order._created")},
		{names: sellfernEventNames, value: strs("order.status__changed"), err: notEvent("order.status__changed")},
		{names: sellfernEventNames, value: strs("order.2created"), err: notEvent("order.2created")},
		{names: sellfernEventNames, value: strs("order.created\x1b[31m"), err: notEvent(`order.created\x1b[31m`)},
		{names: sellfernEventNames, value: strs("order." + strings.Repeat("x", 100)), err: "which is not a Sellfern event name"},
		// One error and one warning, however many names.
		{names: sellfernEventNames, value: strs("product.created", "Bad Name", "order.created"), err: notEvent("Bad Name"),
			warning: "Sellfern event the provider does not know: product.created"},
		{names: sellfernEventNames, value: numbered("order.created-%d", 10000),
			err: `Attribute attr holds 10000 values that are not Sellfern event names: "order.created-0", "order.created-1", "order.created-2", "order.created-3", "order.created-4" and 9995 more. A Sellfern event is`},
		{names: sellfernEventNames, value: numbered("order.created_%d", 10000),
			warning: "Sellfern events the provider does not know: order.created_0, order.created_1, order.created_2 and 9997 more"},
		{names: sellfernEventNames, value: set(str("order.created"), types.StringNull()), err: "This attribute contains a null value."},
		{names: selsupTypeNames, value: strs("ORDER", "CREATE_ORDER")},
		{names: selsupTypeNames, value: strs("ORDER", "NEW_TYPE"), warning: "SelSup type the provider does not know: NEW_TYPE"},
		{names: selsupTypeNames, value: strs("DELETE_ORDER", "ORDER2"), warning: "SelSup types the provider does not know: DELETE_ORDER, ORDER2"},
		{names: selsupTypeNames, value: strs("order"), err: notType("order")},
		{names: selsupTypeNames, value: strs("order.created"), err: notType("order.created")},
		{names: selsupTypeNames, value: strs("ORDER__STATUS"), err: notType("ORDER__STATUS")},
		{names: selsupTypeNames, value: strs("_ORDER"), err: notType("_ORDER")},
		{names: selsupTypeNames, value: strs("1ORDER"), err: notType("1ORDER")},
		{names: selsupTypeNames, value: strs("ORDER STATUS"), err: notType("ORDER STATUS")},
	}
	for _, c := range cases {
		resp := &validator.SetResponse{}
		eventNameSet(c.names, "it judges").ValidateSet(context.Background(), validator.SetRequest{Path: path.Root("attr"), ConfigValue: c.value}, resp)
		name := fmt.Sprint(c.value)
		if len(name) > 80 {
			name = name[:80]
		}
		errs, warnings := resp.Diagnostics.Errors(), resp.Diagnostics.Warnings()
		switch {
		case c.err == "" && len(errs) > 0:
			t.Errorf("%s: refused: %v", name, errs)
		case c.err != "" && (len(errs) != 1 || !strings.Contains(errs[0].Detail(), c.err)):
			t.Errorf("%s: errors %v, want one containing %q", name, errs, c.err)
		case c.warning == "" && len(warnings) > 0:
			t.Errorf("%s: warned: %v", name, warnings)
		case c.warning != "" && (len(warnings) != 1 || warnings[0].Summary() != c.warning):
			t.Errorf("%s: warnings %v, want one with the summary %q", name, warnings, c.warning)
		}
	}

	// The warning says the service judges the name, and what it does with one it does not have.
	resp := &validator.SetResponse{}
	eventNameSet(sellfernEventNames, ", and refuses to create or update a webhook with one it does not have (HTTP 400)").ValidateSet(context.Background(),
		validator.SetRequest{Path: path.Root("events"), ConfigValue: strs("product.created")}, resp)
	if w := resp.Diagnostics.Warnings(); len(w) != 1 || w[0].Detail() != "Attribute events holds product.created, which the provider "+
		"does not know (the events Sellfern documents are order.created, order.updated, order.status_changed, "+
		"order.fulfillment.shipped, order.fulfillment.delivered, expense.created, ticket.created, ticket.updated). It has "+
		"the form of a Sellfern event, so the provider accepts it as written: Sellfern is the judge of which events exist, "+
		"and refuses to create or update a webhook with one it does not have (HTTP 400). If it is a typing mistake, correct it." {
		t.Errorf("warning: %v", w)
	}

	// The list resources' filters take one name by the same rule.
	for value, want := range map[string]string{"order.created": "", "product.created": "warning", "Product Created": "error"} {
		resp := &validator.StringResponse{}
		eventName(sellfernEventNames, "it judges").ValidateString(context.Background(), validator.StringRequest{Path: path.Root("event"), ConfigValue: str(value)}, resp)
		got := ""
		switch {
		case resp.Diagnostics.HasError():
			got = "error"
		case resp.Diagnostics.WarningsCount() > 0:
			got = "warning"
		}
		if got != want {
			t.Errorf("filter %q: %s, want %q (%v)", value, got, want, resp.Diagnostics)
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
