package webhookurl

import "testing"

func TestEqual(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"https://Hooks.Example.com/Orders", "https://hooks.example.com/Orders", true},
		{"HTTPS://hooks.example.com/x", "https://hooks.example.com/x", true},
		{"https://hooks.example.com:443/x", "https://hooks.example.com/x", true},
		{"http://hooks.example.com:80/x", "http://hooks.example.com/x", true},
		{"https://hooks.example.com", "https://hooks.example.com/", true},
		{"https://пример.рф/хук", "https://xn--e1afmkfd.xn--p1ai/хук", true},
		{"https://ПРИМЕР.рф/x", "https://xn--e1afmkfd.xn--p1ai/x", true},
		{"https://[::1]:443/x", "https://[::1]/x", true},
		{"https://hooks.example.com?a=1", "https://hooks.example.com/?a=1", true},
		// What a server may treat as meaningful is never folded.
		{"https://hooks.example.com/Orders", "https://hooks.example.com/orders", false},
		{"https://hooks.example.com/x?A=1", "https://hooks.example.com/x?a=1", false},
		{"https://hooks.example.com:8443/x", "https://hooks.example.com/x", false},
		{"http://hooks.example.com/x", "https://hooks.example.com/x", false},
		{"https://hooks.example.com:80/x", "https://hooks.example.com/x", false},
		{"https://hooks.example.com/x/", "https://hooks.example.com/x", false},
		{"relative/x", "relative/x", true},
		{"relative/x", "Relative/x", false},
	} {
		if got := Equal(c.a, c.b); got != c.want {
			t.Errorf("Equal(%q, %q) = %v, want %v (canonical %q and %q)", c.a, c.b, got, c.want, Canonical(c.a), Canonical(c.b))
		}
	}
}

func TestNotPublic(t *testing.T) {
	for raw, public := range map[string]bool{
		"https://hooks.example.com/x":     true,
		"https://8.8.8.8/x":               true,
		"https://[2001:4860::8888]/x":     true,
		"https://localhost/x":             false,
		"https://LOCALHOST./x":            false,
		"https://app.localhost:8443/x":    false,
		"https://127.0.0.1/x":             false,
		"https://127.8.9.10/x":            false,
		"https://[::1]/x":                 false,
		"https://10.0.0.1/x":              false,
		"https://172.16.5.4/x":            false,
		"https://192.168.1.1/x":           false,
		"https://169.254.169.254/latest":  false,
		"https://[fe80::1]/x":             false,
		"https://[fd00::1]/x":             false,
		"https://0.0.0.0/x":               false,
		"https://100.64.0.1/x":            false,
		"https://[::ffff:10.0.0.1]/x":     false,
		"https://localhost.example.com/x": true,
		"not a url":                       true,
	} {
		if got := NotPublic(raw); (got == "") != public {
			t.Errorf("NotPublic(%q) = %q, want public=%v", raw, got, public)
		}
	}
}

// Equal's shortcut gives the answer comparing canonical forms gives.
func FuzzEqualAgreesWithCanonical(f *testing.F) {
	for _, pair := range [][2]string{
		{"https://hooks.example.com/a", "https://HOOKS.example.com/a"},
		{"https://hooks.example.com", "https://hooks.example.com/"},
		{"https://hooks.example.com?x=1", "https://hooks.example.com/?x=1"},
		{"https://hooks.example.com:443/a", "https://hooks.example.com/a"},
		{"https://hooks.example.com/a", "https://hooks.example.com/b"},
		{"https://пример.рф/хук", "https://xn--e1afmkfd.xn--p1ai/хук"},
		{"https://h.example.com/%7E", "https://h.example.com/~"},
		{"not a url", "not a url "},
		{"https://a.example.com/x", "https://a.example.com/x#"},
		{"https://a.example.com#", "https://a.example.com/"},
		{"https://a.example.com/x?", "https://a.example.com/x?#"},
		{"https://a.example.com/x y", "https://a.example.com/x%20y"},
	} {
		f.Add(pair[0], pair[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if got, want := Equal(a, b), a == b || Canonical(a) == Canonical(b); got != want {
			t.Fatalf("Equal(%q, %q) = %v, canonical forms say %v", a, b, got, want)
		}
	})
}
