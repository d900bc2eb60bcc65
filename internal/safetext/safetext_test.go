package safetext

import (
	"strings"
	"testing"
	"unicode"
)

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://hooks.example.com/a", "https://hooks.example.com/a"},
		{"Заказы — склад №1", "Заказы — склад №1"},
		{"emoji 👩\u200d💻", "emoji 👩\u200d💻"},
		{"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"bell\a", `bell\x07`},
		{"\x1b]0;title\a", `\x1b]0;title\x07`},
		{"name\nlist.selsup_webhook.x id=9999 FORGED", `name\nlist.selsup_webhook.x id=9999 FORGED`},
		{"tab\tcr\r", `tab\tcr\r`},
		{"abc\u202edcba", `abc\u202edcba`},
		{"\u2066iso\u2069", `\u2066iso\u2069`},
		{"zero\u200bwidth\ufeff", `zero\u200bwidth\ufeff`},
		{"line\u2028sep", `line\u2028sep`},
		{"c1 \u009b31m", `c1 \x9b31m`},
		{"del\x7f", `del\x7f`},
		{"bad \xff\xfe utf8", `bad \xff\xfe utf8`},
		{"", ""},
	} {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if Unsafe(tc.in) != (tc.in != tc.want) {
			t.Errorf("Unsafe(%q) = %v", tc.in, Unsafe(tc.in))
		}
	}
}

// Whatever the input, the output holds no character a terminal acts on and no format character but the joiners.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"plain", "\x1b[2J", "a\u202eb", "\xff", "имя\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Escape(s)
		if strings.IndexFunc(out, func(r rune) bool {
			return unicode.IsControl(r) || (unicode.Is(unicode.Cf, r) && r != '\u200c' && r != '\u200d') || r == unicode.ReplacementChar && !strings.ContainsRune(s, unicode.ReplacementChar)
		}) >= 0 {
			t.Fatalf("Escape(%q) = %q still holds an unsafe character", s, out)
		}
		if !Unsafe(s) && out != s {
			t.Fatalf("Escape changed safe text %q to %q", s, out)
		}
	})
}

func TestShortenAndFirstUnsafe(t *testing.T) {
	if got := Shorten("abc\ndef", 5); got != `abc\n…` {
		t.Errorf("Shorten = %q", got)
	}
	if got := Shorten("short", 10); got != "short" {
		t.Errorf("Shorten = %q", got)
	}
	if got := FirstUnsafe("ok\u202ex\n"); got != `\u202e` {
		t.Errorf("FirstUnsafe = %q", got)
	}
	if got := FirstUnsafe("fine"); got != "" {
		t.Errorf("FirstUnsafe = %q", got)
	}
}
