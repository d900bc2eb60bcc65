package provider

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/seed/terraform-provider-webhooks/internal/transport"
)

// maxURLLength is the longest webhook URL accepted; both services store URLs, and 2048 is the common limit of
// browsers and proxies, so a longer one is a mistake, not an endpoint.
const maxURLLength = 2048

// stringCheck adapts a plain function into a string validator; the function returns "" for a valid value or the
// sentence that explains what is wrong with it.
type stringCheck struct {
	description string
	check       func(string) string
}

func (v stringCheck) Description(context.Context) string         { return v.description }
func (v stringCheck) MarkdownDescription(context.Context) string { return v.description }

func (v stringCheck) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if problem := v.check(req.ConfigValue.ValueString()); problem != "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+attributeName(req.Path.String()), problem)
	}
}

func attributeName(p string) string {
	if i := strings.LastIndex(p, "."); i >= 0 {
		return p[i+1:]
	}
	return p
}

// notBlank refuses empty and all-white-space strings, and control characters.
func notBlank() validator.String {
	return stringCheck{
		description: "must not be empty, white space only, or contain control characters",
		check: func(s string) string {
			if strings.TrimSpace(s) == "" {
				return "The value must not be empty or white space only."
			}
			if hasControl(s) {
				return "The value must not contain control characters (such as a newline or tab)."
			}
			return ""
		},
	}
}

// sellfernWebhookID accepts what can be a Sellfern webhook id (see sellfernWebhookIDProblem).
func sellfernWebhookID() validator.String {
	return stringCheck{
		description: "a Sellfern webhook id, like `wh_abc123`: not empty, without white space, control characters or `/`, and not `.` or `..`",
		check:       sellfernWebhookIDProblem,
	}
}

// sellfernWebhookIDProblem says why id cannot be a Sellfern webhook id, or returns "". Sellfern's ids are opaque
// (wh_abc123), but each goes into a URL path, where white space, a control character, "/" or a dot segment would
// name another path or none; so those are refused before any call, by import and by the action alike.
func sellfernWebhookIDProblem(id string) string {
	switch {
	case strings.TrimSpace(id) == "":
		return "The webhook id must not be empty or white space only; give the id Sellfern assigned, like wh_abc123."
	case strings.ContainsFunc(id, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return fmt.Sprintf("The webhook id %q contains white space or a control character; Sellfern ids, like wh_abc123, have neither.", id)
	case strings.Contains(id, "/"):
		return fmt.Sprintf("The webhook id %q contains \"/\"; Sellfern ids, like wh_abc123, have none.", id)
	case id == "." || id == "..":
		return fmt.Sprintf("The webhook id %q is a path segment, not a Sellfern id like wh_abc123.", id)
	}
	return ""
}

// printableName accepts any UTF-8 text (Cyrillic included) without control characters, up to maxLen runes.
func printableName(maxLen int) validator.String {
	return stringCheck{
		description: fmt.Sprintf("non-empty text of at most %d characters, without control characters", maxLen),
		check: func(s string) string {
			switch {
			case strings.TrimSpace(s) == "":
				return "The name must not be empty or white space only; leave the attribute out for no name."
			case !utf8.ValidString(s):
				return "The name must be valid UTF-8."
			case hasControl(s):
				return "The name must not contain control characters (such as a newline or tab)."
			case utf8.RuneCountInString(s) > maxLen:
				return fmt.Sprintf("The name is %d characters long; the limit is %d.", utf8.RuneCountInString(s), maxLen)
			}
			return ""
		},
	}
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}

// webhookURL accepts an absolute URL with one of the given schemes, a host, no user info, no white space or
// control characters, and at most maxURLLength characters.
func webhookURL(schemes ...string) validator.String {
	allowed := strings.Join(schemes, " or ")
	return stringCheck{
		description: fmt.Sprintf("an absolute %s URL of at most %d characters, without user name or password", allowed, maxURLLength),
		check: func(s string) string {
			example := schemes[0] + "://example.com/webhooks"
			switch {
			case strings.TrimSpace(s) == "":
				return fmt.Sprintf("The URL must not be empty; give an absolute %s URL such as %s.", allowed, example)
			case len(s) > maxURLLength:
				return fmt.Sprintf("The URL is %d characters long; the limit is %d.", len(s), maxURLLength)
			case strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
				return "The URL must not contain white space or control characters."
			}
			u, err := url.Parse(s)
			if err != nil {
				return fmt.Sprintf("The URL %q is not a valid URL.", s)
			}
			if !u.IsAbs() || u.Host == "" {
				return fmt.Sprintf("The URL %q is relative; give an absolute %s URL such as %s.", s, allowed, example)
			}
			if !slices.Contains(schemes, u.Scheme) {
				return fmt.Sprintf("The URL %q uses %s://; it must use %s.", s, u.Scheme, allowed)
			}
			if u.User != nil {
				return "The URL must not contain a user name or password."
			}
			if u.Hostname() == "" {
				return fmt.Sprintf("The URL %q has no host name.", s)
			}
			return ""
		},
	}
}

// baseURL applies the provider's rule for service endpoints (see transport.CheckBaseURL).
func baseURL() validator.String {
	return stringCheck{
		description: "an https:// URL, or http:// on a loopback host",
		check: func(s string) string {
			if _, err := transport.CheckBaseURL(s); err != nil {
				return capitalize(err.Error()) + "."
			}
			return ""
		},
	}
}

// duration accepts a Go duration between lo and hi.
func duration(lo, hi time.Duration) validator.String {
	return stringCheck{
		description: fmt.Sprintf("a duration such as 30s or 2m, between %s and %s", shortDuration(lo), shortDuration(hi)),
		check: func(s string) string {
			d, err := time.ParseDuration(s)
			if err != nil {
				return fmt.Sprintf("%q is not a duration; write it like 30s, 90s or 2m.", s)
			}
			if d < lo || d > hi {
				return fmt.Sprintf("The duration must be between %s and %s; got %s.", shortDuration(lo), shortDuration(hi), s)
			}
			return ""
		},
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}

// oneOfEach accepts a set whose elements are all among allowed, with no null element. It replaces
// setvalidator.ValueStringsAre(stringvalidator.OneOf(...)) (and keeps its message) because that reports one error
// per element: a set larger than the allowed list cannot be valid, and a 10 000-element one deserves one error,
// not ten thousand.
type oneOfEach struct{ allowed []string }

func (v oneOfEach) Description(context.Context) string {
	return fmt.Sprintf("each element one of %q, no null element", v.allowed)
}

func (v oneOfEach) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v oneOfEach) ValidateSet(_ context.Context, req validator.SetRequest, resp *validator.SetResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	elements := req.ConfigValue.Elements()
	if len(elements) > len(v.allowed) {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Attribute Value",
			fmt.Sprintf("Attribute %s set must contain at most %d elements, got: %d", req.Path, len(v.allowed), len(elements)))
		return
	}
	quoted := make([]string, len(v.allowed))
	for i, a := range v.allowed {
		quoted[i] = strconv.Quote(a)
	}
	for _, element := range elements {
		s, ok := element.(types.String)
		switch {
		case !ok || s.IsUnknown():
		case s.IsNull():
			resp.Diagnostics.AddAttributeError(req.Path, "Null Set Value",
				fmt.Sprintf("Attribute %s contains a null value; every element must be one of: [%s]", req.Path, strings.Join(quoted, " ")))
		case !slices.Contains(v.allowed, s.ValueString()):
			at := req.Path.AtSetValue(s)
			resp.Diagnostics.AddAttributeError(at, "Invalid Attribute Value Match",
				fmt.Sprintf("Attribute %s value must be one of: [%s], got: %q", at, strings.Join(quoted, " "), s.ValueString()))
		}
	}
}

// shortDuration writes whole minutes and seconds as people do ("10m", not "10m0s").
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
