// Package safetext makes text that came from a service safe to show a person in a terminal: names, URLs, ids,
// delivery details and error messages. A server, or another user of the same account, chooses that text, and
// control characters (ESC sequences, BEL, OSC titles, newlines) or bidirectional-formatting characters in it would
// let them colour, retitle or forge lines of Terraform's output. Such characters are shown escaped, so the text
// still says what it holds; state keeps the exact values.
//
// It is plain Go, shared by the API clients (error messages) and the provider (list results, action output).
package safetext

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Escape returns s with every character that could change how a terminal shows the text written as an escape:
// `\n`, `\r`, `\t`, `\x1b` for the other C0 and C1 controls and DEL, `\u202e` for format characters
// (bidirectional controls, zero-width spaces, the byte order mark) and the line and paragraph separators, and
// `\xff` for each byte that is not valid UTF-8. Everything else, any script included, is kept as it is.
func Escape(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x100 && unsafe(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafe(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// Shorten is Escape, then cut to at most maxRunes characters with "…" marking the cut, for text placed inside a
// longer message.
func Shorten(s string, maxRunes int) string {
	s = Escape(s)
	if utf8.RuneCountInString(s) <= maxRunes {
		return s
	}
	runes := []rune(s)
	return string(runes[:maxRunes]) + "…"
}

// Unsafe reports whether s holds a character that Escape would rewrite.
func Unsafe(s string) bool { return needsEscape(s) }

// FirstUnsafe returns the first character of s that Escape would rewrite, escaped, or "" when there is none: for
// messages that say why a value cannot be used.
func FirstUnsafe(s string) string {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size <= 1) || unsafe(r) {
			return Escape(s[i : i+size])
		}
		i += size
	}
	return ""
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size <= 1) || unsafe(r) {
			return true
		}
		i += size
	}
	return false
}

// unsafe reports whether r must not reach a terminal as it is. The zero-width joiner and non-joiner are format
// characters that scripts and emoji sequences need, and they cannot reorder or hide text, so they stay.
func unsafe(r rune) bool {
	switch {
	case unicode.IsControl(r):
		return true
	case r == '\u200c' || r == '\u200d':
		return false
	case unicode.Is(unicode.Cf, r), r == '\u2028', r == '\u2029':
		return true
	}
	return false
}

// IsBidiControl reports whether r is one of Unicode's bidirectional formatting characters (marks, embeddings,
// overrides, isolates), which make text display as something other than what it is.
func IsBidiControl(r rune) bool {
	return r == '\u061C' || r == '\u200E' || r == '\u200F' || ('\u202A' <= r && r <= '\u202E') || ('\u2066' <= r && r <= '\u2069')
}
