package provider

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/seed/terraform-provider-webhooks/internal/safetext"
	"github.com/seed/terraform-provider-webhooks/internal/sellfern"
	"github.com/seed/terraform-provider-webhooks/internal/selsup"
)

// A service may add events after this provider was released (Sellfern's V1 guide already names item and catalog
// workflows beyond the eight its v2 pages list). A name the provider does not know is accepted when it has the
// form of one, with a warning at plan time, and the service judges it; anything else is refused at plan time.
// Reads keep whatever the service lists, so a webhook subscribed to a new event plans no change.

// eventNames is what the provider knows of one service's event names.
type eventNames struct {
	service  string // "Sellfern"
	noun     string // what the service calls one: "event", "type"
	known    []string
	form     *regexp.Regexp
	formText string // the form, in words, with an example
}

// maxEventNameLength bounds a name the provider does not know; the documented ones are at most 27 characters.
const maxEventNameLength = 100

var (
	sellfernEventNames = eventNames{service: "Sellfern", noun: "event", known: sellfern.Events,
		form:     regexp.MustCompile(`^[a-z][a-z0-9]*(?:_[a-z0-9]+)*(?:\.[a-z][a-z0-9]*(?:_[a-z0-9]+)*)+$`),
		formText: "lowercase words joined by dots, with underscores inside words, like order.status_changed"}
	selsupTypeNames = eventNames{service: "SelSup", noun: "type", known: selsup.Types,
		form:     regexp.MustCompile(`^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$`),
		formText: "upper-case words joined by underscores, like ORDER_STATUS"}
)

// wellFormed reports whether name has the form of one of the service's names.
func (n eventNames) wellFormed(name string) bool {
	return len(name) <= maxEventNameLength && n.form.MatchString(name)
}

// knownList is the documented names, for messages.
func (n eventNames) knownList() string { return strings.Join(n.known, ", ") }

// judge sorts names into those refused (not of the form) and those the provider does not know (of the form, not
// documented), each in the order given.
func (n eventNames) judge(names []string) (refused, unknown []string) {
	for _, name := range names {
		switch {
		case slices.Contains(n.known, name):
		case n.wellFormed(name):
			unknown = append(unknown, name)
		default:
			refused = append(refused, name)
		}
	}
	return refused, unknown
}

// report adds the error for the refused names and the warning for the unknown ones of attribute p. onUnknown ends
// the sentence "Sellfern is the judge of which events exist…", saying what becomes of a name it does not have.
func (n eventNames) report(p path.Path, names []string, onUnknown string, diags *diag.Diagnostics) {
	refused, unknown := n.judge(names)
	if len(refused) > 0 {
		what := fmt.Sprintf("%s, which is not a %s %s name", quotedNames(refused), n.service, n.noun)
		if len(refused) > 1 {
			what = fmt.Sprintf("%d values that are not %s %s names: %s", len(refused), n.service, n.noun, quotedNames(refused))
		}
		diags.AddAttributeError(p, "Invalid "+attributeName(p.String()), fmt.Sprintf("Attribute %s holds %s. A %s %s "+
			"is %s (at most %d characters). The %ss %s documents are: %s.", p, what, n.service, n.noun, n.formText,
			maxEventNameLength, n.noun, n.service, n.knownList()))
	}
	if len(unknown) > 0 {
		noun := n.noun
		if len(unknown) > 1 {
			noun += "s"
		}
		it := "It has"
		if len(unknown) > 1 {
			it = "Each has"
		}
		diags.AddAttributeWarning(p, fmt.Sprintf("%s %s the provider does not know: %s", n.service, noun, shortList(unknown, 3)),
			fmt.Sprintf("Attribute %s holds %s, which the provider does not know (the %ss %s documents are %s). %s the "+
				"form of a %s %s, so the provider accepts it as written: %s is the judge of which %ss exist%s. If it is a "+
				"typing mistake, correct it.", p, shortList(unknown, 10), n.noun, n.service, n.knownList(), it, n.service,
				n.noun, n.service, n.noun, onUnknown))
	}
}

// quotedNames quotes up to five names, escaped for a terminal, and counts the rest.
func quotedNames(names []string) string {
	quoted := make([]string, len(names))
	for i, name := range names {
		quoted[i] = `"` + safetext.Shorten(name, 60) + `"`
	}
	return shortList(quoted, 5)
}

// shortList joins up to limit names (of the form, so safe to show as they are) and counts the rest.
func shortList(names []string, limit int) string {
	out := strings.Join(names[:min(len(names), limit)], ", ")
	if len(names) > limit {
		out += fmt.Sprintf(" and %d more", len(names)-limit)
	}
	return out
}

// eventNameSet validates a set of names: no null element, every element of the form, a warning naming those the
// provider does not know. One error and one warning at most, however large the set.
func eventNameSet(n eventNames, onUnknown string) validator.Set {
	return eventNameCheck{names: n, onUnknown: onUnknown}
}

// eventName validates one name (a list resource's filter) as eventNameSet validates each element of a set.
func eventName(n eventNames, onUnknown string) validator.String {
	return eventNameCheck{names: n, onUnknown: onUnknown}
}

type eventNameCheck struct {
	names     eventNames
	onUnknown string
}

func (v eventNameCheck) Description(context.Context) string {
	return fmt.Sprintf("a %s %s: one of %s, or another of that form, which the service judges", v.names.service,
		v.names.noun, v.names.knownList())
}

func (v eventNameCheck) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v eventNameCheck) ValidateSet(ctx context.Context, req validator.SetRequest, resp *validator.SetResponse) {
	setvalidator.NoNullValues().ValidateSet(ctx, req, resp)
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	var names []string
	for _, e := range req.ConfigValue.Elements() {
		if s, ok := e.(basetypes.StringValue); ok && !s.IsNull() && !s.IsUnknown() {
			names = append(names, s.ValueString())
		}
	}
	v.names.report(req.Path, names, v.onUnknown, &resp.Diagnostics)
}

func (v eventNameCheck) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	v.names.report(req.Path, []string{req.ConfigValue.ValueString()}, v.onUnknown, &resp.Diagnostics)
}

// eventsDescription is the sentence of a schema description about the names an attribute takes.
func (n eventNames) eventsDescription() string {
	return fmt.Sprintf("`%s`, or another %s %s that the provider does not know yet (%s): such a one is accepted "+
		"with a warning, and %s judges it", strings.Join(n.known, "`, `"), n.service, n.noun, n.formText, n.service)
}
