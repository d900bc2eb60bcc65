package sealing

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"filippo.io/age"
	"golang.org/x/crypto/ssh"
)

const secret = "whsec_0123456789abcdef0123456789abcdef"

// keyFile is an identity as age-keygen writes it.
func keyFile(id *age.X25519Identity) string {
	return "# created: 2026-05-18T10:00:00Z\n# public key: " + id.Recipient().String() + "\n" + id.String() + "\n"
}

func newIdentity(t testing.TB) *age.X25519Identity {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustRecipients(t testing.TB, entries ...string) []Recipient {
	t.Helper()
	var rs []Recipient
	for _, e := range entries {
		r, err := ParseRecipient(e)
		if err != nil {
			t.Fatalf("ParseRecipient(%q): %v", e, err)
		}
		rs = append(rs, r)
	}
	return rs
}

func mustSeal(t testing.TB, entries ...string) string {
	t.Helper()
	sealed, err := Seal(secret, mustRecipients(t, entries...))
	if err != nil {
		t.Fatal(err)
	}
	return sealed
}

// sshKeyPair is an SSH key as ssh-keygen writes it: the .pub line (with a comment) and the private key file.
func sshKeyPair(t testing.TB, private any, passphrase string) (public, privateFile string) {
	t.Helper()
	var block *pem.Block
	var err error
	if passphrase != "" {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(private, "test", []byte(passphrase))
	} else {
		block, err = ssh.MarshalPrivateKey(private, "test")
	}
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(private)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))) + " alice@laptop", string(pem.EncodeToMemory(block))
}

func TestSealOpensWithEveryRecipientsIdentity(t *testing.T) {
	alice, bob, eve := newIdentity(t), newIdentity(t), newIdentity(t)
	sealed := mustSeal(t, alice.Recipient().String(), bob.Recipient().String())
	if !strings.HasPrefix(sealed, "-----BEGIN AGE ENCRYPTED FILE-----\n") || !strings.HasSuffix(sealed, "-----END AGE ENCRYPTED FILE-----\n") {
		t.Fatalf("not ASCII-armored:\n%s", sealed)
	}
	if strings.Contains(sealed, secret) {
		t.Fatal("the sealed value holds the secret")
	}
	for name, id := range map[string]*age.X25519Identity{"alice": alice, "bob": bob} {
		got, err := Open(sealed, keyFile(id))
		if err != nil || got != secret {
			t.Errorf("%s: Open = %q, %v; want the secret", name, got, err)
		}
	}
	// Several identities, as a key file may hold, one of them a recipient.
	if got, err := Open(sealed, keyFile(eve)+"\n"+keyFile(bob)); err != nil || got != secret {
		t.Errorf("a key file with eve's and bob's identities: Open = %q, %v", got, err)
	}

	_, err := Open(sealed, keyFile(eve))
	if !errors.Is(err, ErrNotRecipient) {
		t.Fatalf("eve: err = %v, want ErrNotRecipient", err)
	}
	if !strings.Contains(err.Error(), eve.Recipient().String()[:24]) {
		t.Errorf("the error does not name eve's public key: %v", err)
	}
	noIdentityIn(t, err, keyFile(eve))
}

func TestSealTwiceDiffers(t *testing.T) {
	id := newIdentity(t)
	a, b := mustSeal(t, id.Recipient().String()), mustSeal(t, id.Recipient().String())
	if a == b {
		t.Fatal("two seals of one secret are identical: age must use a fresh file key each time")
	}
}

func TestSealListsEachRecipientOnce(t *testing.T) {
	id := newIdentity(t)
	r := id.Recipient().String()
	once, twice := mustSeal(t, r), mustSeal(t, r, strings.ToUpper(r), "  "+r+" ")
	if len(once) != len(twice) {
		t.Errorf("the same key in three spellings made a value of %d bytes, one spelling %d: want one stanza", len(twice), len(once))
	}
}

func TestIdentityFileSyntax(t *testing.T) {
	id := newIdentity(t)
	sealed := mustSeal(t, id.Recipient().String())
	for name, text := range map[string]string{
		"age-keygen output":      keyFile(id),
		"the key alone":          id.String(),
		"CRLF line endings":      strings.ReplaceAll(keyFile(id), "\n", "\r\n"),
		"indented, heredoc-like": "\n    # comment\n    " + id.String() + "\n\n",
		"lower case":             strings.ToLower(id.String()),
	} {
		if got, err := Open(sealed, text); err != nil || got != secret {
			t.Errorf("%s: Open = %q, %v", name, got, err)
		}
	}
}

// TestBadIdentities: every malformed identity is refused with a message that says which line and what is wrong,
// and holds none of the identity's text.
func TestBadIdentities(t *testing.T) {
	id := newIdentity(t)
	sealed := mustSeal(t, id.Recipient().String())
	key := id.String()
	mistyped := key[:30] + flip(key[30]) + key[31:]
	for name, c := range map[string]struct{ text, want string }{
		"empty":                {"", "the identity is empty"},
		"only comments":        {"# created: today\n\n# nothing\n", "only comments and blank lines"},
		"a mistyped key":       {"# a comment\n" + mistyped, "line 2 of the identity is not a valid age identity (AGE-SECRET-KEY-1…): its checksum does not match"},
		"a truncated key":      {key[:40], "line 1 of the identity is not a valid age identity"},
		"a recipient":          {id.Recipient().String(), "line 1 of the identity is a recipient (a public key), not an identity"},
		"a plugin identity":    {"AGE-PLUGIN-YUBIKEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQ", "is the identity of an age plugin"},
		"an SSH public key":    {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO3pM7aQq8wY7xqvCSUs8AP5tcv2rUTldeJvVNG5wWkA a@b", "is an SSH public key, not an identity"},
		"a password":           {"correct horse battery staple of secrecy", "line 1 of the identity is not a key: an age key file holds"},
		"a good line, one bad": {key + "\nnot-a-key-but-secret-text-0123456789", "line 2 of the identity is not a key: an age key file holds"},
		"not PEM after BEGIN":  {"-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAsecretsecretsecretsecret\n-----END OPENSSH PRIVATE KEY-----", "not an unencrypted SSH private key"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Open(sealed, c.text)
			if !errors.Is(err, ErrBadIdentity) {
				t.Fatalf("err = %v, want ErrBadIdentity", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to say %q", err, c.want)
			}
			noIdentityIn(t, err, c.text)
		})
	}
}

// flip is another character of Bech32's alphabet, in the case of c.
func flip(c byte) string {
	other := "q"
	if c == 'q' || c == 'Q' {
		other = "p"
	}
	if c >= 'A' && c <= 'Z' {
		return strings.ToUpper(other)
	}
	return other
}

// noIdentityIn fails when the error repeats a line of the identity or a run of 12 characters of its key material.
func noIdentityIn(t *testing.T, err error, identity string) {
	t.Helper()
	msg := err.Error()
	for _, line := range strings.Split(identity, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "-----") || len(line) < 16 {
			continue
		}
		// Skip the prefixes every key shares; any 12 characters after them must not appear.
		material := strings.TrimPrefix(strings.TrimPrefix(strings.ToUpper(line), "AGE-SECRET-KEY-PQ-1"), "AGE-SECRET-KEY-1")
		for i := 0; i+12 <= len(material); i++ {
			if strings.Contains(strings.ToUpper(msg), material[i:i+12]) {
				t.Fatalf("the error repeats part of the identity (%q…): %s", material[i:i+12], msg)
			}
		}
	}
}

func TestSSHRecipientsAndIdentities(t *testing.T) {
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	edPub, edFile := sshKeyPair(t, edKey, "")
	rsaPub, rsaFile := sshKeyPair(t, rsaKey, "")
	sealed := mustSeal(t, edPub, rsaPub)
	for name, file := range map[string]string{"ed25519": edFile, "rsa": rsaFile} {
		if got, err := Open(sealed, file); err != nil || got != secret {
			t.Errorf("%s: Open = %q, %v", name, got, err)
		}
	}

	// An SSH identity that is not a recipient is named by its public key.
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	otherPub, otherFile := sshKeyPair(t, other, "")
	_, err = Open(sealed, otherFile)
	if r := mustRecipients(t, otherPub)[0]; !errors.Is(err, ErrNotRecipient) || !strings.Contains(err.Error(), "ssh-ed25519 SHA256:") ||
		!strings.Contains(err.Error(), r.Name()) {
		t.Errorf("another SSH key: err = %v, want ErrNotRecipient naming its fingerprint (%s)", err, r.Name())
	}

	_, locked := sshKeyPair(t, edKey, "hunter2-passphrase")
	_, err = Open(sealed, locked)
	if !errors.Is(err, ErrBadIdentity) || !strings.Contains(err.Error(), "protected by a passphrase") {
		t.Errorf("a passphrase-protected key: err = %v", err)
	}
	noIdentityIn(t, err, locked)

	// The comment is not part of the key: with or without it, it is one recipient.
	if !SameRecipients([]string{edPub}, []string{strings.Join(strings.Fields(edPub)[:2], " ")}) {
		t.Error("an SSH key with and without its comment are different recipients")
	}
}

func TestPostQuantum(t *testing.T) {
	pq, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	sealed := mustSeal(t, pq.Recipient().String())
	if got, err := Open(sealed, "# post-quantum\n"+pq.String()+"\n"); err != nil || got != secret {
		t.Fatalf("Open = %q, %v", got, err)
	}
	classic := newIdentity(t)
	rs := mustRecipients(t, pq.Recipient().String(), classic.Recipient().String())
	err = CheckRecipients(rs)
	if err == nil || !strings.Contains(err.Error(), "cannot be mixed") {
		t.Fatalf("CheckRecipients(pq + classic) = %v", err)
	}
	if _, err := Seal(secret, rs); err == nil {
		t.Fatal("Seal mixed post-quantum and classic recipients")
	}
	// A classic identity cannot open a value sealed to a post-quantum recipient.
	if _, err := Open(sealed, classic.String()); !errors.Is(err, ErrNotRecipient) {
		t.Errorf("classic identity: %v", err)
	}
}

func TestParseRecipient(t *testing.T) {
	id := newIdentity(t)
	pub := id.Recipient().String()
	for _, spelling := range []string{pub, strings.ToUpper(pub), " " + pub + "\n"} {
		r, err := ParseRecipient(spelling)
		if err != nil || r.String() != pub || r.Kind() != X25519 || r.PostQuantum() {
			t.Errorf("ParseRecipient(%q) = %v %v, want %s", spelling, r, err, pub)
		}
	}
	mistyped := pub[:20] + flip(pub[20]) + pub[21:]
	for name, c := range map[string]struct {
		entry, want string
		echoed      bool
	}{
		"empty":                {"  ", "an empty entry is not an age recipient", false},
		"mistyped":             {mistyped, "its checksum does not match", true},
		"mixed case":           {"Age1" + pub[4:], "", true},
		"an identity":          {id.String(), "is a private key, not a recipient", false},
		"a PEM key":            {"-----BEGIN OPENSSH PRIVATE KEY-----", "is a private key", false},
		"a plugin recipient":   {"age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3t", "age-plugin-yubikey", true},
		"an ecdsa key":         {"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg=", "which age cannot encrypt to", true},
		"a broken SSH key":     {"ssh-ed25519 AAAAnot-base64", "is not a valid SSH public key", true},
		"a URL":                {"https://example.com/key.txt", "is not an age recipient", true},
		"a github: recipient":  {"github:alice", "is not an age recipient", true},
		"control characters":   {"age1\x1b[31mred", "is not a valid age recipient", false},
		"a very long entry":    {strings.Repeat("x", 9000), "too long", false},
		"invalid UTF-8":        {"age1\xff", "invalid UTF-8", false},
		"an RSA key too small": {weakRSA(t), "cannot encrypt to", true},
	} {
		t.Run(name, func(t *testing.T) {
			r, err := ParseRecipient(c.entry)
			if name == "mixed case" {
				// Bech32 forbids mixing cases; the folded key is the same key, which age would accept written either way.
				if err != nil || r.String() != pub {
					t.Errorf("ParseRecipient(mixed case) = %v, %v", r, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseRecipient(%q) accepted it as %s", c.entry, r)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to say %q", err, c.want)
			}
			if c.echoed && !strings.Contains(err.Error(), shorten(strings.TrimSpace(c.entry))[:12]) {
				t.Errorf("err = %v, want it to name the entry", err)
			}
			if strings.Contains(err.Error(), "\x1b") || strings.Contains(err.Error(), "\xff") {
				t.Errorf("the error carries a raw control character or invalid UTF-8: %q", err)
			}
			if !c.echoed && len(strings.TrimSpace(c.entry)) > 20 && strings.Contains(err.Error(), strings.TrimSpace(c.entry)[4:20]) {
				t.Errorf("the error repeats an entry it must not: %v", err)
			}
		})
	}
}

func weakRSA(t *testing.T) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ssh.NewPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
}

func TestSameRecipients(t *testing.T) {
	a, b := newIdentity(t).Recipient().String(), newIdentity(t).Recipient().String()
	for _, c := range []struct {
		x, y []string
		same bool
	}{
		{[]string{a, b}, []string{b, a}, true},
		{[]string{a, b}, []string{strings.ToUpper(b), " " + a}, true},
		{[]string{a, a}, []string{a}, true},
		{[]string{a}, []string{a, b}, false},
		{[]string{a}, []string{b}, false},
		{nil, nil, true},
		{[]string{"not a key"}, []string{"not a key"}, true},
		{[]string{"not a key"}, []string{"not  a key"}, false},
	} {
		if got := SameRecipients(c.x, c.y); got != c.same {
			t.Errorf("SameRecipients(%q, %q) = %v, want %v", c.x, c.y, got, c.same)
		}
	}
}

func TestOpenRefusesWhatIsNotASealedSecret(t *testing.T) {
	id := newIdentity(t)
	sealed := mustSeal(t, id.Recipient().String())
	lines := strings.Split(sealed, "\n")
	tampered := append([]string{}, lines...)
	body := []byte(tampered[len(tampered)-3])
	body[5] ^= 1
	if body[5] == '\n' || body[5] < '+' {
		body[5] = 'A'
	}
	tampered[len(tampered)-3] = string(body)
	for name, c := range map[string]struct{ sealed, want string }{
		"empty":                   {"", "does not start with -----BEGIN AGE ENCRYPTED FILE-----"},
		"the secret itself":       {secret, "does not start with"},
		"an identity (swapped)":   {keyFile(id), "Are the sealed value and the identity swapped?"},
		"no footer":               {strings.Join(lines[:len(lines)-2], "\n"), "not a sealed secret"},
		"tampered":                {strings.Join(tampered, "\n"), "not a sealed secret"},
		"trailing data":           {sealed + "and more", "not a sealed secret"},
		"armor of something else": {"-----BEGIN AGE ENCRYPTED FILE-----\nbm90IGFnZQ==\n-----END AGE ENCRYPTED FILE-----\n", "header is damaged"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Open(c.sealed, keyFile(id))
			if !errors.Is(err, ErrNotSealed) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want ErrNotSealed saying %q", err, c.want)
			}
			noIdentityIn(t, err, keyFile(id))
			if strings.Contains(err.Error(), secret) {
				t.Fatal("the error holds the secret")
			}
		})
	}

	// What Open returns is bounded, and text.
	big, err := Seal(strings.Repeat("x", MaxSecret+1), mustRecipients(t, id.Recipient().String()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(big, id.String()); !errors.Is(err, ErrNotSealed) || !strings.Contains(err.Error(), "more than") {
		t.Errorf("a sealed value of more than MaxSecret bytes: %v", err)
	}
	binary, _ := Seal("\xff\xfe", mustRecipients(t, id.Recipient().String()))
	if _, err := Open(binary, id.String()); !errors.Is(err, ErrNotSealed) || !strings.Contains(err.Error(), "not text") {
		t.Errorf("a sealed value that is not text: %v", err)
	}
}

func TestCheckRecipientsNeedsOne(t *testing.T) {
	if err := CheckRecipients(nil); err == nil {
		t.Fatal("no recipients accepted")
	}
	if _, err := Seal(secret, nil); err == nil {
		t.Fatal("Seal to nobody succeeded")
	}
}
