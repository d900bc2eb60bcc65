package sealing

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/armor"
	"golang.org/x/crypto/ssh"
)

// MaxSecret bounds what Open returns: a webhook signing secret is a few dozen bytes, and a sealed value is read from
// configuration anyone may have written.
const MaxSecret = 64 << 10

// Seal encrypts secret to every recipient (each once, however often it is listed) and returns it ASCII-armored,
// as `age --encrypt --armor` writes it.
func Seal(secret string, recipients []Recipient) (string, error) {
	var unique []age.Recipient
	seen := map[string]bool{}
	var kept []Recipient
	for _, r := range recipients {
		if !seen[r.canonical] {
			seen[r.canonical] = true
			unique = append(unique, r.r)
			kept = append(kept, r)
		}
	}
	if err := CheckRecipients(kept); err != nil {
		return "", err
	}
	var out bytes.Buffer
	armored := armor.NewWriter(&out)
	w, err := age.Encrypt(armored, unique...)
	if err != nil {
		return "", fmt.Errorf("encrypting to %d recipients: %w", len(unique), err)
	}
	if _, err := io.WriteString(w, secret); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	if err := armored.Close(); err != nil {
		return "", err
	}
	return out.String(), nil
}

// Errors of Open; each is wrapped in a message that says what to do.
var (
	// ErrNotSealed: the sealed value is not an ASCII-armored age file, or it is damaged.
	ErrNotSealed = errors.New("not a sealed secret")
	// ErrBadIdentity: the identity text is not one an age key file (or an SSH private key file) holds.
	ErrBadIdentity = errors.New("not an age identity")
	// ErrNotRecipient: no identity given is one the value was sealed to.
	ErrNotRecipient = errors.New("not a recipient")
)

// Open decrypts an ASCII-armored age value with the identities given: the lines of an age key file (AGE-SECRET-KEY-1…
// or AGE-SECRET-KEY-PQ-1…, one a line; blank lines and lines starting with # are ignored), or one unencrypted SSH
// private key (ssh-ed25519 or ssh-rsa, in OpenSSH or PEM form). No error ever holds any part of identities, or of
// the opened secret.
func Open(sealed, identities string) (string, error) {
	ids, names, err := ParseIdentities(identities)
	if err != nil {
		return "", err
	}
	if err := CheckSealed(sealed); err != nil {
		return "", err
	}
	r, err := age.Decrypt(armor.NewReader(strings.NewReader(sealed)), ids...)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) {
			return "", fmt.Errorf("%w: the secret was not sealed to %s. Give the identity of one of the recipients it was "+
				"sealed to (the webhook's secret_recipients when it was sealed)", ErrNotRecipient, strings.Join(names, ", "))
		}
		return "", fmt.Errorf("%w: its header is damaged or not age's (%s)", ErrNotSealed, armorProblem(err))
	}
	plain, err := io.ReadAll(io.LimitReader(r, MaxSecret+1))
	switch {
	case err != nil:
		return "", fmt.Errorf("%w: it is damaged or was changed after it was sealed (%s)", ErrNotSealed, armorProblem(err))
	case len(plain) > MaxSecret:
		return "", fmt.Errorf("%w: it holds more than %d bytes, far more than a signing secret", ErrNotSealed, MaxSecret)
	case !utf8.Valid(plain):
		return "", fmt.Errorf("%w: what it holds is not text, so not a signing secret", ErrNotSealed)
	}
	return string(plain), nil
}

// CheckSealed checks what can be seen of a sealed value without an identity: that it is ASCII-armored age, and
// not, say, an identity given in its place.
func CheckSealed(sealed string) error {
	if looksPrivate(sealed) {
		// Someone swapped the two: say so without repeating either.
		return fmt.Errorf("%w: it holds a private key, not an age-encrypted value. Are the sealed value and the "+
			"identity swapped?", ErrNotSealed)
	}
	if !strings.HasPrefix(strings.TrimSpace(sealed), armor.Header) {
		return fmt.Errorf("%w: it does not start with %s, as the secret_sealed of a sellfern_webhook does", ErrNotSealed, armor.Header)
	}
	return nil
}

// armorProblem describes a decryption failure without the text of the value (the armor reader quotes lines).
func armorProblem(err error) string {
	msg := err.Error()
	for _, known := range []string{"invalid first line", "invalid closing line", "trailing data", "column limit",
		"empty line", "unexpected EOF", "illegal base64", "header MAC", "unexpected newline", "too much", "nonce",
		"failed to decrypt", "last chunk", "unknown version", "malformed"} {
		if strings.Contains(msg, known) {
			return known
		}
	}
	return "unreadable"
}

// ParseIdentities reads the identities Open takes and returns them with the public key each stands for, which is
// how messages name them. A mistake is reported by line, never by content.
func ParseIdentities(text string) ([]age.Identity, []string, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil, fmt.Errorf("%w: the identity is empty. Give the contents of an age key file (from age-keygen) "+
			"or of an SSH private key file", ErrBadIdentity)
	}
	if strings.Contains(text, "-----BEGIN") {
		return parseSSHIdentity(text)
	}
	var ids []age.Identity
	var names []string
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		bad := func(what string) ([]age.Identity, []string, error) {
			return nil, nil, fmt.Errorf("%w: line %d of the identity %s", ErrBadIdentity, i+1, what)
		}
		upper := strings.ToUpper(line)
		switch {
		case strings.HasPrefix(upper, "AGE-SECRET-KEY-PQ-1"):
			// Bech32 is written in either case; age's parser takes the upper case a key file holds.
			id, err := age.ParseHybridIdentity(upper)
			if err != nil {
				return bad("is not a valid post-quantum age identity (AGE-SECRET-KEY-PQ-1…): " + bech32Problem(err))
			}
			ids, names = append(ids, id), append(names, "the identity of "+shorten(id.Recipient().String()))
		case strings.HasPrefix(upper, "AGE-SECRET-KEY-1"):
			id, err := age.ParseX25519Identity(upper)
			if err != nil {
				return bad("is not a valid age identity (AGE-SECRET-KEY-1…): " + bech32Problem(err))
			}
			ids, names = append(ids, id), append(names, "the identity of "+shorten(id.Recipient().String()))
		case strings.HasPrefix(upper, "AGE-PLUGIN-"):
			return bad("is the identity of an age plugin, which the provider cannot run: open the value with the age " +
				"command and its plugin instead")
		case strings.HasPrefix(upper, "AGE1"):
			return bad("is a recipient (a public key), not an identity: give the private key, the AGE-SECRET-KEY-1… " +
				"line of the key file")
		case strings.HasPrefix(line, "ssh-"):
			return bad("is an SSH public key, not an identity: give the private key file's contents")
		default:
			return bad("is not a key: an age key file holds AGE-SECRET-KEY-1… lines, comments starting with #, and " +
				"blank lines (an SSH private key starts with -----BEGIN)")
		}
	}
	if len(ids) == 0 {
		return nil, nil, fmt.Errorf("%w: the identity holds only comments and blank lines, no AGE-SECRET-KEY-1… line", ErrBadIdentity)
	}
	return ids, names, nil
}

// parseSSHIdentity reads one SSH private key, as `age --decrypt -i ~/.ssh/id_ed25519` does.
func parseSSHIdentity(text string) ([]age.Identity, []string, error) {
	pem := []byte(strings.TrimSpace(text) + "\n")
	raw, err := ssh.ParseRawPrivateKey(pem)
	if err != nil {
		var missing *ssh.PassphraseMissingError
		if errors.As(err, &missing) {
			return nil, nil, fmt.Errorf("%w: the SSH private key is protected by a passphrase, which the provider cannot "+
				"ask for: use an age identity, or a copy of the key without a passphrase kept as safely", ErrBadIdentity)
		}
		return nil, nil, fmt.Errorf("%w: the identity holds a -----BEGIN line but is not an unencrypted SSH private key "+
			"(as ~/.ssh/id_ed25519 holds it)", ErrBadIdentity)
	}
	var public crypto.PublicKey
	switch k := raw.(type) {
	case ed25519.PrivateKey:
		public = k.Public()
	case *ed25519.PrivateKey:
		public = k.Public()
	case *rsa.PrivateKey:
		public = &k.PublicKey
	default:
		return nil, nil, fmt.Errorf("%w: the SSH private key is not of a type age decrypts with: use an ssh-ed25519 or "+
			"ssh-rsa key, or an age identity", ErrBadIdentity)
	}
	id, err := agessh.ParseIdentity(pem)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: age cannot use this SSH private key", ErrBadIdentity)
	}
	name := "an SSH identity"
	if pub, err := ssh.NewPublicKey(public); err == nil {
		name = "the identity of " + sshName(pub)
	}
	return []age.Identity{id}, []string{name}, nil
}
