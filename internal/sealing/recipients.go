// Package sealing keeps a webhook's signing secret out of Terraform state: it encrypts (seals) the secret with age
// (https://age-encryption.org) to the public keys a user names, its recipients, as ASCII-armored text that anyone
// may read and only the holders of the matching private keys, the identities, can open. It also opens such a value
// with identities given as an age key file holds them.
//
// It is plain Go, like the API clients beside it: the provider turns Terraform values into calls on it. Nothing here
// ever puts an identity, or a secret it opened, in an error message: the messages say what is wrong by line number
// and by the public key an identity stands for.
package sealing

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/tag"
	"golang.org/x/crypto/ssh"

	"github.com/seed/terraform-provider-webhooks/internal/safetext"
)

// Kind is the family of a recipient.
type Kind int

const (
	// X25519 is age's native key, age1….
	X25519 Kind = iota + 1
	// Hybrid is age's post-quantum key (ML-KEM-768 with X25519), age1pq1….
	Hybrid
	// Tagged is a P-256 key held by hardware, age1tag1… (or age1tagpq1…, post-quantum), opened through an age plugin.
	Tagged
	// SSH is an ssh-ed25519 or ssh-rsa public key.
	SSH
)

// Recipient is one public key a secret is sealed to.
type Recipient struct {
	kind        Kind
	postQuantum bool
	canonical   string
	name        string
	r           age.Recipient
}

// String is the recipient's canonical spelling: lower-case Bech32 for age keys, "TYPE BASE64" without the comment
// for SSH keys. Two spellings of one key have the same String.
func (r Recipient) String() string { return r.canonical }

// Name is how messages show the recipient: an age key shortened to its start and end, an SSH key by its type and
// SHA-256 fingerprint, as ssh-keygen -l shows it.
func (r Recipient) Name() string { return r.name }

// Kind is the recipient's family.
func (r Recipient) Kind() Kind { return r.kind }

// PostQuantum reports whether the recipient resists a quantum computer; age refuses to mix such recipients with
// others, since the others would leave the secret open to one.
func (r Recipient) PostQuantum() bool { return r.postQuantum }

// maxRecipientLength bounds an entry as sshd bounds an authorized_keys line; an RSA key of 16384 bits fits.
const maxRecipientLength = 8 << 10

// ParseRecipient reads one recipient as age's command line accepts it: an age key (age1…, age1pq1…, age1tag1…,
// age1tagpq1…), or an SSH public key of type ssh-ed25519 or ssh-rsa as an authorized_keys line holds it (a comment
// after the key is allowed). Surrounding spaces are ignored; age keys may be written in upper case. The error names
// the entry and says what it is instead, except for an entry that looks like a private key, which it never repeats.
func ParseRecipient(s string) (Recipient, error) {
	entry := strings.TrimSpace(s)
	fail := func(format string, args ...any) (Recipient, error) {
		return Recipient{}, fmt.Errorf("%s "+format, append([]any{describeEntry(entry)}, args...)...)
	}
	lower := strings.ToLower(entry)
	switch {
	case entry == "":
		return Recipient{}, fmt.Errorf("an empty entry is not an age recipient: give an age public key (age1…) or an SSH public key")
	case len(entry) > maxRecipientLength:
		return Recipient{}, fmt.Errorf("an entry of %d bytes is too long to be a recipient (at most %d)", len(entry), maxRecipientLength)
	case !utf8.ValidString(entry):
		return fail("is not text (invalid UTF-8), so not an age recipient")
	case looksPrivate(entry):
		return fail("is a private key, not a recipient: give its public key (for an age key file, `age-keygen -y FILE` " +
			"prints it; for an SSH key, the .pub file), and keep the private key out of the configuration")
	case strings.HasPrefix(lower, "age1tag1"), strings.HasPrefix(lower, "age1tagpq1"):
		r, err := tag.ParseRecipient(lower)
		if err != nil {
			return fail("is not a valid tagged age recipient (age1tag1… or age1tagpq1…): %s", bech32Problem(err))
		}
		return Recipient{kind: Tagged, postQuantum: r.Hybrid(), canonical: r.String(), name: shorten(r.String()), r: r}, nil
	case strings.HasPrefix(lower, "age1pq1"):
		r, err := age.ParseHybridRecipient(lower)
		if err != nil {
			return fail("is not a valid post-quantum age recipient (age1pq1…): %s", bech32Problem(err))
		}
		return Recipient{kind: Hybrid, postQuantum: true, canonical: r.String(), name: shorten(r.String()), r: r}, nil
	case strings.HasPrefix(lower, "age1") && pluginName.MatchString(lower):
		// The Bech32 alphabet has no "1", so a second one separates a plugin's name: age1NAME1….
		name := pluginName.FindStringSubmatch(lower)[1]
		return fail("is a recipient of the age plugin age-plugin-%s, which the provider cannot run: give an age key "+
			"(age1…, age1pq1…) or an SSH public key, or a tagged recipient (age1tag1…) if the plugin has one", safetext.Escape(name))
	case strings.HasPrefix(lower, "age1"):
		r, err := age.ParseX25519Recipient(lower)
		if err != nil {
			return fail("is not a valid age recipient (age1…): %s", bech32Problem(err))
		}
		return Recipient{kind: X25519, canonical: r.String(), name: shorten(r.String()), r: r}, nil
	case strings.HasPrefix(entry, "ssh-"), strings.HasPrefix(entry, "sk-ssh-"), strings.HasPrefix(entry, "ecdsa-"):
		return parseSSH(entry, fail)
	}
	return fail("is not an age recipient: give an age public key (age1…, from age-keygen) or an SSH public key " +
		"(ssh-ed25519 … or ssh-rsa …)")
}

// pluginName matches the start of an age plugin's recipient, age1NAME1…, and captures NAME.
var pluginName = regexp.MustCompile(`^age1([a-z0-9][a-z0-9._+-]*)1`)

// parseSSH reads an SSH public key that age encrypts to.
func parseSSH(entry string, fail func(string, ...any) (Recipient, error)) (Recipient, error) {
	pub, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(entry))
	switch {
	case err != nil:
		return fail("is not a valid SSH public key (TYPE BASE64 [COMMENT], as a .pub file holds it)")
	case len(strings.TrimSpace(string(rest))) > 0:
		return fail("holds more than one SSH public key: give each as an entry of its own")
	}
	switch pub.Type() {
	case ssh.KeyAlgoED25519, ssh.KeyAlgoRSA:
	default:
		return fail("is an SSH key of type %s, which age cannot encrypt to: use an ssh-ed25519 or ssh-rsa key, or an "+
			"age key (age1…)", safetext.Escape(pub.Type()))
	}
	canonical := pub.Type() + " " + base64.StdEncoding.EncodeToString(pub.Marshal())
	r, err := agessh.ParseRecipient(canonical)
	if err != nil {
		return fail("is an SSH public key age cannot encrypt to (a weak RSA key, or a point that is not on the curve)")
	}
	return Recipient{kind: SSH, canonical: canonical, name: sshName(pub), r: r}, nil
}

// CheckRecipients applies age's rule for a set of recipients: at least one, and post-quantum recipients only with
// other post-quantum ones.
func CheckRecipients(rs []Recipient) error {
	if len(rs) == 0 {
		return fmt.Errorf("there is no recipient to seal the secret to")
	}
	var pq, classic []string
	for _, r := range rs {
		if r.postQuantum {
			pq = append(pq, r.name)
		} else {
			classic = append(classic, r.name)
		}
	}
	if len(pq) > 0 && len(classic) > 0 {
		return fmt.Errorf("post-quantum recipients (%s) cannot be mixed with others (%s): age refuses, since the others "+
			"would leave the secret open to a quantum computer. Use only post-quantum recipients (age1pq1…, from "+
			"`age-keygen -pq`), or only others", strings.Join(pq, ", "), strings.Join(classic, ", "))
	}
	return nil
}

// SameRecipients reports whether two lists name the same keys, whatever their order, spelling or duplicates. An
// entry that is not a recipient is compared as it is written.
func SameRecipients(a, b []string) bool {
	set := func(entries []string) map[string]bool {
		m := make(map[string]bool, len(entries))
		for _, e := range entries {
			if r, err := ParseRecipient(e); err == nil {
				m[r.canonical] = true
			} else {
				m["\x00"+e] = true
			}
		}
		return m
	}
	x, y := set(a), set(b)
	if len(x) != len(y) {
		return false
	}
	for k := range x {
		if !y[k] {
			return false
		}
	}
	return true
}

// looksPrivate reports whether an entry holds private key material, which an error must not repeat.
func looksPrivate(s string) bool {
	upper := strings.ToUpper(s)
	return strings.Contains(upper, "AGE-SECRET-KEY-") || strings.Contains(upper, "AGE-PLUGIN-") ||
		strings.Contains(upper, "PRIVATE KEY")
}

// describeEntry names an entry in a message: quoted and escaped, shortened when long, or described without its
// text when it holds private key material.
func describeEntry(s string) string {
	if looksPrivate(s) {
		return "an entry"
	}
	return fmt.Sprintf("%q", shorten(safetext.Escape(s)))
}

// sshName names an SSH key by its type and fingerprint.
func sshName(pub ssh.PublicKey) string { return pub.Type() + " " + ssh.FingerprintSHA256(pub) }

// shorten keeps the start and the end of a long key (a post-quantum age key has almost 2000 characters), which is
// how people tell keys apart; an age1… key or anything shorter is shown whole, so that a mistyped character shows.
func shorten(s string) string {
	const whole, keep = 100, 24
	if utf8.RuneCountInString(s) <= whole {
		return s
	}
	r := []rune(s)
	return string(r[:keep]) + "…" + string(r[len(r)-keep:])
}

// bech32Problem says what is wrong with a mistyped age key in words that quote none of it (age's own messages repeat
// the whole key, which the caller has already named).
func bech32Problem(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "checksum"):
		return "its checksum does not match (a character is mistyped or missing)"
	case strings.Contains(msg, "mixed case"):
		return "it mixes upper and lower case"
	case strings.Contains(msg, "invalid character"):
		return "it holds a character that age keys never use"
	case strings.Contains(msg, "invalid type"), strings.Contains(msg, "unknown type"):
		return "its prefix is not the one this kind of key has"
	}
	return "its length or encoding is wrong"
}
