package apitest

import (
	"fmt"
	"runtime/debug"
	"strings"
	"testing"
)

// FuzzInput, deferred first in the function given to f.Fuzz with that function's arguments in order, makes any
// failure of it, a panic included, log the input it failed on in the form of a corpus file
// (testdata/fuzz/FuzzX/NAME): the file `go test -fuzz` writes for a failure stays on the machine that ran it,
// while the log is what a CI run keeps.
//
//	defer apitest.FuzzInput(t, method, path, body)
//
// A panic becomes a failure that shows the panic, its stack and the input.
func FuzzInput(t testing.TB, args ...any) {
	if r := recover(); r != nil {
		t.Errorf("panic: %v\n%s", r, debug.Stack())
	}
	if t.Failed() {
		t.Logf("failing input, as a corpus file for testdata/fuzz/%s/:\n%s", fuzzTarget(t.Name()), CorpusFile(args...))
	}
}

// CorpusFile encodes values the way `go test -fuzz` stores a corpus entry.
func CorpusFile(values ...any) string {
	var b strings.Builder
	b.WriteString("go test fuzz v1\n")
	for _, v := range values {
		switch v := v.(type) {
		case string:
			fmt.Fprintf(&b, "string(%q)\n", v)
		case []byte:
			fmt.Fprintf(&b, "[]byte(%q)\n", v)
		default: // bool and the integer types
			fmt.Fprintf(&b, "%T(%v)\n", v, v)
		}
	}
	return b.String()
}

// fuzzTarget is the fuzz target's name in a test name such as "FuzzX/seed#0" or "FuzzX/3a7c…".
func fuzzTarget(name string) string {
	target, _, _ := strings.Cut(name, "/")
	return target
}
