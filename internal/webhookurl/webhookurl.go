// Package webhookurl compares webhook URLs the way a service may store them. A service may lower-case the scheme
// and host, write an internationalised host in its ASCII (punycode) form, or drop a default port, so the URL it
// lists is not always the one it was given. Both the API clients (to recognise a webhook a lost create made) and
// the provider (to see no change where only the spelling changed) compare through here.
package webhookurl

import (
	"net"
	"net/netip"
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

// Equal reports whether a and b name the same endpoint. Canonical keeps what follows the host as written, so two
// URLs whose paths differ (and hold no escape that parsing could rewrite) differ without parsing either: a create
// compares its URL with every webhook of the account, and most differ there.
func Equal(a, b string) bool {
	if a == b {
		return true
	}
	if ra, rb, ok := afterHost(a), afterHost(b), !strings.Contains(a, "%") && !strings.Contains(b, "%"); ok && ra != "" && rb != "" && ra != rb {
		return false
	}
	return Canonical(a) == Canonical(b)
}

// afterHost is what follows an absolute URL's host as Canonical writes it (an empty path as "/", an empty
// fragment dropped), or "" when s is not of the form scheme://host….
func afterHost(s string) string {
	_, rest, ok := strings.Cut(s, "://")
	if !ok {
		return ""
	}
	rest = strings.TrimSuffix(rest, "#")
	i := strings.IndexAny(rest, "/?#")
	switch {
	case i < 0:
		return "/"
	case rest[i] != '/':
		return "/" + rest[i:]
	}
	return rest[i:]
}

// NotPublic says why a URL's host cannot be reached from the internet, or returns "": the name localhost (or a
// name under .localhost), or a literal IP address that is loopback, private (10/8, 172.16/12, 192.168/16,
// fc00::/7), link-local (169.254/16, fe80::/10, where cloud metadata services answer), unspecified, or of the
// 100.64/10 shared address space. Names are not resolved: only what the URL itself says is judged.
func NotPublic(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return ""
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return "its host " + host + " is a name of the loopback address"
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return ""
	}
	ip = ip.Unmap()
	switch {
	case ip.IsLoopback():
		return "its host " + host + " is a loopback address"
	case ip.IsPrivate():
		return "its host " + host + " is a private address"
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return "its host " + host + " is a link-local address"
	case ip.IsUnspecified():
		return "its host " + host + " is the unspecified address"
	case sharedAddressSpace.Contains(ip):
		return "its host " + host + " is in the shared address space of carrier-grade NAT"
	case ip.IsMulticast():
		return "its host " + host + " is a multicast address"
	}
	return ""
}

var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")
