package provider

import (
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/seed/terraform-provider-webhooks/internal/sellfern"
	"github.com/seed/terraform-provider-webhooks/internal/selsup"
)

// TestWarnUnsafeValues: a value that would act on a terminal is named in one warning per webhook, escaped once;
// clean values, and the joiners that scripts and emoji need, give none.
func TestWarnUnsafeValues(t *testing.T) {
	for _, tc := range []struct {
		name    string
		warn    func(*diag.Diagnostics)
		summary string
		detail  []string
	}{
		{name: "clean Cyrillic and an emoji sequence", warn: func(d *diag.Diagnostics) {
			warnUnsafeSelSup(d, selsup.Webhook{ID: 1, Name: "Заказы 👩\u200d💻", URL: "https://hooks.example.com/a", Types: []string{"ORDER"}})
		}},
		{name: "a Sellfern url", warn: func(d *diag.Diagnostics) {
			warnUnsafeSellfern(d, sellfern.Webhook{ID: "wh_1", URL: "https://hooks.example.com/\x1b]0;t\x07", Events: []string{"order.created"}})
		}, summary: "Sellfern webhook wh_1 has control or formatting characters in its url",
			detail: []string{`Sellfern holds its url as "https://hooks.example.com/\x1b]0;t\x07" (shown here with those characters escaped).`}},
		{name: "a SelSup name and url, and two types", warn: func(d *diag.Diagnostics) {
			warnUnsafeSelSup(d, selsup.Webhook{ID: 1042, Name: "a\u202eb", URL: "https://h.example.com/\r", Types: []string{"ORDER\n", "X\u2066", "ORDER"}})
		}, summary: "SelSup webhook 1042 has control or formatting characters in its name, url and types",
			detail: []string{`SelSup holds its name as "a\u202eb", its url as "https://h.example.com/\r" and its types as "ORDER\n", "X\u2066" (shown`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var diags diag.Diagnostics
			tc.warn(&diags)
			w := diags.Warnings()
			if tc.summary == "" {
				if len(diags) != 0 {
					t.Fatalf("warned: %v", diags)
				}
				return
			}
			if len(diags) != 1 || len(w) != 1 || w[0].Summary() != tc.summary {
				t.Fatalf("got %v, want one warning %q", diags, tc.summary)
			}
			for _, want := range tc.detail {
				if !strings.Contains(w[0].Detail(), want) {
					t.Errorf("the detail lacks %q: %s", want, w[0].Detail())
				}
			}
			if strings.ContainsAny(w[0].Summary()+w[0].Detail(), "\x1b\x07\r\n\u202e\u2066") || strings.Contains(w[0].Detail(), `\\`) {
				t.Errorf("not escaped once: %q", w[0].Detail())
			}
		})
	}
}
