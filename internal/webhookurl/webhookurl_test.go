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
