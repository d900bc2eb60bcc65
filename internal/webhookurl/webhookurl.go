// Package webhookurl compares webhook URLs the way a service may store them. A service may lower-case the scheme
// and host, write an internationalised host in its ASCII (punycode) form, or drop a default port, so the URL it
// lists is not always the one it was given. Both the API clients (to recognise a webhook a lost create made) and
// the provider (to see no change where only the spelling changed) compare through here.
package webhookurl

import (
	"net"
	"net/url"
	"strings"

	"golang.org/x/net/idna"
)

// Canonical returns the form that every spelling of one endpoint shares: scheme and host in lower case, an
// internationalised host in punycode, the scheme's default port dropped, and an empty path written "/". The path,
// query and fragment are kept as written, since a server may treat their case as meaningful. A string that is
// not an absolute URL with a host is returned unchanged.
func Canonical(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return raw
	}
	u.Scheme = strings.ToLower(u.Scheme)
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if ascii, err := idna.Lookup.ToASCII(host); err == nil {
		host = ascii
	}
	if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		port = ""
	}
	switch {
	case port != "":
		u.Host = net.JoinHostPort(host, port)
	case strings.Contains(host, ":"): // an IPv6 address keeps its brackets
		u.Host = "[" + host + "]"
	default:
		u.Host = host
	}
	if u.Path == "" && u.RawPath == "" && u.Opaque == "" {
		u.Path = "/"
	}
	return u.String()
}

// Equal reports whether a and b name the same endpoint.
func Equal(a, b string) bool {
	return a == b || Canonical(a) == Canonical(b)
}
