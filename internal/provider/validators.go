package provider

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

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

// printableName accepts any UTF-8 text (Cyrillic included) without control characters, up to max runes.
func printableName(max int) validator.String {
	return stringCheck{
		description: fmt.Sprintf("non-empty text of at most %d characters, without control characters", max),
		check: func(s string) string {
			switch {
			case strings.TrimSpace(s) == "":
				return "The name must not be empty or white space only; leave the attribute out for no name."
			case !utf8.ValidString(s):
				return "The name must be valid UTF-8."
			case hasControl(s):
				return "The name must not contain control characters (such as a newline or tab)."
			case utf8.RuneCountInString(s) > max:
				return fmt.Sprintf("The name is %d characters long; the limit is %d.", utf8.RuneCountInString(s), max)
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
		description: fmt.Sprintf("a duration such as 30s or 2m, between %s and %s", lo, hi),
		check: func(s string) string {
			d, err := time.ParseDuration(s)
			if err != nil {
				return fmt.Sprintf("%q is not a duration; write it like 30s, 90s or 2m.", s)
			}
			if d < lo || d > hi {
				return fmt.Sprintf("The duration must be between %s and %s; got %s.", lo, hi, d)
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
