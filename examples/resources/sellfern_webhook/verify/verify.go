// Package verify checks that a delivery came from Sellfern: its X-Sellfern-Signature header is the lowercase hex
// HMAC-SHA256 of the raw request body, keyed with the webhook's signing secret.
package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
)

// Verified reports whether signature is what one of the secrets makes of body, the bytes received, before any
// parsing. During a rotation, pass both the new webhook's secret and the old one's until the old webhook is gone.
func Verified(body []byte, signature string, secrets ...string) bool {
	for _, secret := range secrets {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		// hmac.Equal takes as long whatever differs; == would tell an attacker how much of a guess is right.
		if hmac.Equal([]byte(hex.EncodeToString(mac.Sum(nil))), []byte(signature)) {
			return true
		}
	}
	return false
}

// Handler refuses a delivery no secret verifies (401) and hands the others to handle, which parses the body.
func Handler(secrets func() []string, handle func(event string, body []byte) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "cannot read the body", http.StatusBadRequest)
			return
		}
		if !Verified(body, r.Header.Get("X-Sellfern-Signature"), secrets()...) {
			http.Error(w, "signature does not verify", http.StatusUnauthorized)
			return
		}
		// Sellfern may deliver an event again: handle should skip an "id" it has already handled.
		if err := handle(r.Header.Get("X-Sellfern-Event"), body); err != nil {
			http.Error(w, "not handled, send it again", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
