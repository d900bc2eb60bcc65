package mockserver

import (
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

const maxURLChars = 2048

// urlProblem is what is wrong with a webhook URL. Each service turns it into
// its own message.
type urlProblem int

const (
	urlOK          urlProblem = iota
	urlEmpty                  // "" (or missing)
	urlTooLong                // over maxURLChars characters
	urlBadChars               // whitespace or control characters
	urlMalformed              // url.Parse refuses it
	urlNotAbsolute            // no scheme
	urlBadScheme              // a scheme the service does not deliver to
	urlNoHost                 // absolute but without a host
	urlUserinfo               // contains user:password@
)

// checkWebhookURL applies the rules both vendors share to a webhook URL;
// schemes lists the allowed (lowercase) schemes.
func checkWebhookURL(raw string, schemes ...string) urlProblem {
	switch {
	case raw == "":
		return urlEmpty
	case utf8.RuneCountInString(raw) > maxURLChars:
		return urlTooLong
	case strings.ContainsFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return urlBadChars
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return urlMalformed
	case u.Scheme == "":
		return urlNotAbsolute
	case !slices.Contains(schemes, u.Scheme): // url.Parse lowercases the scheme
		return urlBadScheme
	case u.Opaque != "" || u.Hostname() == "":
		return urlNoHost
	case u.User != nil:
		return urlUserinfo
	}
	return urlOK
}

// checkEnum reports the first value not in allowed, or the first duplicate.
// It returns the index of the offending value, or -1 when all is well.
func checkEnum(values []string, allowed []string) (index int, duplicate bool) {
	seen := make(map[string]bool, len(values))
	for i, v := range values {
		if !slices.Contains(allowed, v) {
			return i, false
		}
		if seen[v] {
			return i, true
		}
		seen[v] = true
	}
	return -1, false
}
