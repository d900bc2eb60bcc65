package provider

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/seed/terraform-provider-webhooks/internal/safetext"
	"github.com/seed/terraform-provider-webhooks/internal/sellfern"
	"github.com/seed/terraform-provider-webhooks/internal/webhookurl"
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

// notBlank refuses empty and all-white-space strings, and control characters. The validators library has no such
// rule: stringvalidator.LengthAtLeast(1) accepts "   ", and a regular expression would give a message about itself.
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

// sellfernIDProblem says what is wrong with a Sellfern webhook id given by a user, or returns "": the client's
// rule for every id, given or listed.
func sellfernIDProblem(id string) string {
	if err := sellfern.CheckID(id); err != nil {
		return capitalize(err.Error()) + "."
	}
	return ""
}

// sellfernWebhookID applies sellfernIDProblem at plan time.
func sellfernWebhookID() validator.String {
	return stringCheck{description: "a Sellfern webhook id, like wh_abc123", check: sellfernIDProblem}
}

// printableName accepts any UTF-8 text (Cyrillic included), of any length, with at least one visible character,
// and without control characters or bidirectional formatting characters. A name of only invisible characters (a
// zero-width space) reads as no name, and bidi controls make a name read as something else.
func printableName() validator.String {
	return stringCheck{
		description: "text with a visible character, without control or bidirectional formatting characters",
		check: func(s string) string {
			switch {
			case strings.TrimSpace(s) == "":
				return "The name must not be empty or white space only; leave the attribute out for no name."
			case !utf8.ValidString(s):
				return "The name must be valid UTF-8."
			case hasControl(s):
				return "The name must not contain control characters (such as a newline or tab)."
			case strings.IndexFunc(s, safetext.IsBidiControl) >= 0:
				r, _ := utf8.DecodeRuneInString(s[strings.IndexFunc(s, safetext.IsBidiControl):])
				return fmt.Sprintf("The name must not contain bidirectional formatting characters (it holds %U), "+
					"which make text display as something other than what it is.", r)
			case strings.IndexFunc(s, isVisible) < 0:
				return "The name must contain at least one visible character; it has only spaces or invisible " +
					"characters (such as a zero-width space). Leave the attribute out for no name."
			}
			return ""
		},
	}
}

// isVisible reports whether r draws something: a letter, mark, number, punctuation or symbol.
func isVisible(r rune) bool {
	return unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S)
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
			switch {
			case err != nil:
				return fmt.Sprintf("The URL %q is not a valid URL; give an absolute %s URL such as %s.", s, allowed, example)
			case !u.IsAbs():
				return fmt.Sprintf("The URL %q is relative; give an absolute %s URL such as %s.", s, allowed, example)
			case !slices.Contains(schemes, strings.ToLower(u.Scheme)):
				// javascript:, file:, mailto: and the like are not relative: they are the wrong kind of URL.
				return fmt.Sprintf("The URL %q must be %s: it uses %s:, and webhooks are delivered over %s only. "+
					"Give a URL such as %s.", s, allowed, u.Scheme, allowed, example)
			case u.Host == "" || u.Hostname() == "":
				return fmt.Sprintf("The URL %q has no host name; give one such as %s.", s, example)
			case u.User != nil:
				return "The URL must not contain a user name or password."
			}
			if port := u.Port(); port != "" {
				if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
					return fmt.Sprintf("The URL %q has port %s; a port is a number from 1 to 65535.", s, port)
				}
			}
			return ""
		},
	}
}

// baseURL applies a service client's rule for its base URL.
func baseURL(check func(string) error) validator.String {
	return stringCheck{
		description: "an https:// URL, or http:// on a loopback host",
		check: func(s string) string {
			if err := check(s); err != nil {
				return capitalize(err.Error()) + "."
			}
			return ""
		},
	}
}

// publicURL refuses a URL whose host is plainly not reachable from the internet (see webhookurl.NotPublic): a
// service that delivers from the internet could never reach it.
func publicURL(service string) validator.String {
	return stringCheck{
		description: "reachable from the internet: not localhost, nor a literal loopback, private or link-local address",
		check: func(s string) string {
			if why := webhookurl.NotPublic(s); why != "" {
				return fmt.Sprintf("The URL %q cannot receive %s's deliveries: %s. %s sends events from the internet, "+
					"so the URL must be publicly reachable; the provider refuses localhost and literal loopback, "+
					"private and link-local addresses (names are not resolved).", s, service, why, service)
			}
			return ""
		},
	}
}

// wholeNumber accepts a whole number from lo to hi. Terraform has one number type; an attribute that must be an
// integer is declared a number and checked here, since the framework's own integer attributes turn 1.5 into an
// error that blames the provider.
func wholeNumber(lo, hi int64) validator.Number {
	description := fmt.Sprintf("a whole number from %d to %d", lo, hi)
	if hi == math.MaxInt64 {
		description = fmt.Sprintf("a whole number, at least %d", lo)
	}
	return numberCheck{lo: new(big.Float).SetInt64(lo), hi: new(big.Float).SetInt64(hi), whole: true,
		description: description}
}

// numberRange accepts a number from lo to hi.
func numberRange(lo, hi float64) validator.Number {
	return numberCheck{lo: big.NewFloat(lo), hi: big.NewFloat(hi), description: fmt.Sprintf("a number from %g to %g", lo, hi)}
}

// numberCheck accepts a number from lo to hi, a whole one when whole. Its message gives the range and the number
// as it was written, even one no float64 can hold (1e400).
type numberCheck struct {
	lo, hi      *big.Float
	whole       bool
	description string
}

func (v numberCheck) Description(context.Context) string { return v.description }

func (v numberCheck) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v numberCheck) ValidateNumber(ctx context.Context, req validator.NumberRequest, resp *validator.NumberResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	f := req.ConfigValue.ValueBigFloat()
	if (v.whole && !f.IsInt()) || f.Cmp(v.lo) < 0 || f.Cmp(v.hi) > 0 {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+attributeName(req.Path.String()),
			fmt.Sprintf("Attribute %s must be %s, got: %s.", req.Path, v.Description(ctx), f.Text('g', -1)))
	}
}

// wholeValue reads a number that wholeNumber has checked.
func wholeValue(n types.Number) (int64, bool) {
	if n.IsNull() || n.IsUnknown() {
		return 0, false
	}
	v, _ := n.ValueBigFloat().Int64()
	return v, true
}

// requestTimeout reads request_timeout: a Go duration between minRequestTimeout and maxRequestTimeout. The
// validator and Configure both read it through here, so the rule and its message are written once.
func requestTimeout(s string) (time.Duration, string) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Sprintf("%q is not a duration; write it like 30s, 90s or 2m.", s)
	}
	if d < minRequestTimeout || d > maxRequestTimeout {
		return 0, fmt.Sprintf("The duration must be between %s and %s; got %s.", shortDuration(minRequestTimeout), shortDuration(maxRequestTimeout), s)
	}
	return d, ""
}

// validRequestTimeout applies requestTimeout at plan time.
func validRequestTimeout() validator.String {
	return stringCheck{
		description: fmt.Sprintf("a duration such as 30s or 2m, between %s and %s", shortDuration(minRequestTimeout), shortDuration(maxRequestTimeout)),
		check:       func(s string) string { _, problem := requestTimeout(s); return problem },
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
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
