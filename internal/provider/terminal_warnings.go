package provider

import (
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/seed/terraform-provider-webhooks/internal/safetext"
	"github.com/seed/terraform-provider-webhooks/internal/sellfern"
	"github.com/seed/terraform-provider-webhooks/internal/selsup"
)

// The provider escapes what it writes itself, but state keeps a webhook's values exactly as the service holds them
// (a refresh must not change them), and Terraform prints attribute values as they are: in a plan's drift, a
// -refresh-only run, an import's plan, `terraform show` and outputs. A name or URL that another user of the
// account wrote with ESC, OSC, BEL, CR or a bidirectional override reaches the terminal raw there. The read that
// meets such a value says so, showing it escaped.

// heldValue is one attribute value a service holds for a webhook.
type heldValue struct {
	attribute, value string
}

// warnUnsafeValues adds a warning when any of values holds a character that would act on a terminal; what names
// the webhook ("Sellfern webhook wh_abc123"), service the service that holds it.
func warnUnsafeValues(diags *diag.Diagnostics, service, what string, values ...heldValue) {
	var attributes []string
	shown := map[string][]string{}
	for _, v := range values {
		if !safetext.Unsafe(v.value) {
			continue
		}
		if _, seen := shown[v.attribute]; !seen {
			attributes = append(attributes, v.attribute)
		}
		shown[v.attribute] = append(shown[v.attribute], `"`+safetext.Shorten(v.value, 300)+`"`)
	}
	if len(attributes) == 0 {
		return
	}
	held := make([]string, len(attributes))
	for i, a := range attributes {
		held[i] = "its " + a + " as " + strings.Join(shown[a], ", ")
	}
	diags.AddWarning(fmt.Sprintf("%s has control or formatting characters in its %s", safetext.Escape(what),
		andList(attributes)),
		fmt.Sprintf("%s holds %s (shown here with those characters escaped). State keeps the values exactly as %s "+
			"holds them, and Terraform prints attribute values as they are: a plan that shows them (a change, or "+
			"drift), a -refresh-only run, terraform show and outputs write these characters to the terminal raw, "+
			"where they can hide or reorder text, forge lines of output, or change the window's title or colours. "+
			"Someone who can change this account's webhooks wrote them: check the webhook on %s and give it clean "+
			"values.", service, andList(held), service, service))
}

// andList joins items as a sentence does: "a", "a and b", "a, b and c".
func andList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// warnUnsafeSellfern applies warnUnsafeValues to what Sellfern lists for a webhook.
func warnUnsafeSellfern(diags *diag.Diagnostics, w sellfern.Webhook) {
	values := []heldValue{{"url", w.URL}}
	for _, e := range w.Events {
		values = append(values, heldValue{"events", e})
	}
	warnUnsafeValues(diags, "Sellfern", "Sellfern webhook "+w.ID, values...)
}

// warnUnsafeSelSup applies warnUnsafeValues to what SelSup lists for a webhook.
func warnUnsafeSelSup(diags *diag.Diagnostics, w selsup.Webhook) {
	values := []heldValue{{"name", w.Name}, {"url", w.URL}}
	for _, t := range w.Types {
		values = append(values, heldValue{"types", t})
	}
	warnUnsafeValues(diags, "SelSup", "SelSup webhook "+selsup.FormatID(w.ID), values...)
}
