package transport

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
)

// keyHeaderEntry is the entry of a request's Header map that carries the Idempotency-Key, which makes a re-sent write
// safe: a service that honours it answers a request whose key it has seen with the answer it stored for it, and does
// nothing again. The entry is the header's name in another case, which HTTP does not tell apart (RFC 9110: field
// names are case-insensitive; HTTP/2 sends them in lower case anyway). net/http sends a request again by itself when
// the reused connection it went out on breaks after it was written, if it deems the request idempotent, which it does
// for any request whose Header map holds an entry named exactly "Idempotency-Key", whatever its method. Such a
// re-send is nobody's decision and shows in no count or log: a test call, promised once, would go twice to a service
// that ignored the key. Under this entry every re-send of a keyed request is this package's or its caller's, with the
// same key.
const keyHeaderEntry = "Idempotency-key"

// NewIdempotencyKey returns a key for one logical operation (a create, an update, a test call): a readable prefix
// that names the operation, then 128 random bits in hex, so that no two operations, of this process or any other,
// share a key. The caller sends it with every attempt of that operation and with no other.
func NewIdempotencyKey(operation string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it panics instead)
	return "terraform-webhooks-" + operation + "-" + hex.EncodeToString(b[:])
}

// KeyInUse reports whether err is a 409 to a call that carried an Idempotency-Key: the service is still processing
// an earlier request with the same key, and has done nothing with this one. The answer that settles the operation
// comes to a later re-send with the key. That is what a 409 to a keyed request means in HTTP's Idempotency-Key
// specification (IETF draft "The Idempotency-Key HTTP Header Field": a request retried while the original is still
// being processed gets 409 Conflict).
func KeyInUse(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.StatusCode == http.StatusConflict && se.IdempotencyKey != ""
}
