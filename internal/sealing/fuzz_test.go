package sealing

import (
	"strings"
	"testing"

	"github.com/seed/terraform-provider-webhooks/internal/apitest"
)

// A key pair made for these fuzz targets only. In fuzzed inputs IDENTITY stands for the identity and SEALED for a
// value sealed to it, so that the fuzzer can place them anywhere (the seeds show how).
const (
	fuzzIdentity  = "AGE-SECRET-KEY-19FVZDAPZJSZNN3WT4NL25AZSLSNR7Y7GQP5DLGJ027EG47Z9JYYQ5NA2FP"
	fuzzRecipient = "age17edh7a9yc9dqnx36rdccplu53a4kwzc8wzghwhs4xl4nxpdsqvlsn5gjnl"
	fuzzSecret    = "whsec_FUZZ_5f6a7b8c9d0e1f2a3b4c"
)

// FuzzOpen: whatever the sealed value and the identity hold, Open never panics; it opens only a value sealed to an
// identity given, to exactly what was sealed; and its errors are fit to show (printable, bounded) and never repeat
// the identity, any long line of it, or the secret.
func FuzzOpen(f *testing.F) {
	sealed, err := Seal(fuzzSecret, mustRecipients(f, fuzzRecipient))
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range [][2]string{
		{"SEALED", "IDENTITY"},
		{"SEALED", "# created: 2026-05-18T10:00:00Z\n# public key: " + fuzzRecipient + "\nIDENTITY\n"},
		{"SEALED", strings.ToLower(fuzzIdentity)},
		{"SEALED", "IDENTITY\r\n\r\n"},
		{"SEALED", fuzzRecipient},
		{"SEALED", "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ"},
		{"SEALED", "-----BEGIN OPENSSH PRIVATE KEY-----\nIDENTITY\n-----END OPENSSH PRIVATE KEY-----\n"},
		{"SEALED\ntrailing", "IDENTITY"},
		{"IDENTITY", "SEALED"},
		{"-----BEGIN AGE ENCRYPTED FILE-----\nYWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOQ==\n-----END AGE ENCRYPTED FILE-----\n", "IDENTITY"},
		{"", ""},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, sealedIn, identityIn string) {
		defer apitest.FuzzInput(t, sealedIn, identityIn)
		identity := strings.ReplaceAll(identityIn, "IDENTITY", fuzzIdentity)
		value := strings.ReplaceAll(strings.ReplaceAll(sealedIn, "SEALED", sealed), "IDENTITY", fuzzIdentity)
		got, err := Open(value, identity)
		if err == nil {
			if got != fuzzSecret {
				t.Fatalf("Open succeeded with %q, not the secret sealed", got)
			}
			return
		}
		msg := err.Error()
		if problem := apitest.MessageProblem(msg, fuzzSecret, fuzzIdentity, fuzzIdentity[16:40], strings.ToLower(fuzzIdentity[16:40])); problem != "" {
			t.Fatal(problem)
		}
		for _, line := range strings.Split(identity+"\n"+value, "\n") {
			if line = strings.TrimSpace(line); len(line) >= 24 && !strings.HasPrefix(line, "#") && strings.Contains(msg, line) {
				t.Fatalf("the error repeats a line of its input (%q): %s", line, msg)
			}
		}
	})
}

// FuzzParseRecipient: ParseRecipient never panics; a recipient it accepts has a canonical spelling that reads back
// as itself; its errors are fit to show and never repeat an entry that holds a private key.
func FuzzParseRecipient(f *testing.F) {
	for _, seed := range []string{
		fuzzRecipient,
		strings.ToUpper(fuzzRecipient),
		"  " + fuzzRecipient + "\n",
		fuzzIdentity,
		"age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3t",
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO3pM7aQq8wY7xqvCSUs8AP5tcv2rUTldeJvVNG5wWkA alice@laptop",
		"ssh-rsa AAAA",
		"age1pq1",
		"age1tag1qqqq",
		"",
		"age1\x1b[31m1",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, entry string) {
		defer apitest.FuzzInput(t, entry)
		r, err := ParseRecipient(entry)
		if err != nil {
			msg := err.Error()
			if problem := apitest.MessageProblem(msg); problem != "" {
				t.Fatal(problem)
			}
			if trimmed := strings.TrimSpace(entry); looksPrivate(entry) && len(trimmed) >= 20 && strings.Contains(msg, trimmed) {
				t.Fatalf("the error repeats an entry that holds a private key: %s", msg)
			}
			return
		}
		again, err := ParseRecipient(r.String())
		switch {
		case err != nil:
			t.Fatalf("the canonical spelling %q of %q does not read back: %v", r.String(), entry, err)
		case again.String() != r.String() || again.Kind() != r.Kind() || again.PostQuantum() != r.PostQuantum():
			t.Fatalf("%q reads back as %q, not itself", r.String(), again.String())
		case r.Name() == "" || !SameRecipients([]string{entry}, []string{r.String()}):
			t.Fatalf("%q: name %q, or not the same recipient as its canonical spelling", entry, r.Name())
		}
	})
}
