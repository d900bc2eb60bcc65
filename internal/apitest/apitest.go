// Package apitest holds what the API clients', provider and end-to-end tests share: the rule for what an error
// message shown to a user may contain, an http.RoundTripper that answers with canned responses, a mock server
// started on loopback for one test, and a receiver that verifies the mock's signed deliveries. Only tests and the
// demo import it.
package apitest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/seed/terraform-provider-webhooks/internal/transport"
)

// MessageProblem says why msg is unfit for a user to read, or returns "": it must not be empty, must be valid
// UTF-8 without control characters, must hold at most transport.MaxMessageBytes bytes, and must not contain any of
// secrets.
func MessageProblem(msg string, secrets ...string) string {
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			return fmt.Sprintf("error message leaks a secret (%.8s…): %q", s, msg)
		}
	}
	switch {
	case strings.TrimSpace(msg) == "":
		return "empty error message"
	case !utf8.ValidString(msg):
		return fmt.Sprintf("error message is not valid UTF-8: %q", msg)
	case strings.ContainsFunc(msg, unicode.IsControl):
		return fmt.Sprintf("error message has a control character: %q", msg)
	case len(msg) > transport.MaxMessageBytes:
		return fmt.Sprintf("error message is %d bytes long, want at most %d: %.300q…", len(msg), transport.MaxMessageBytes, msg)
	}
	return ""
}

// CannedTransport answers every request without a network: a GET with GetBody (when set) as a 200 JSON answer,
// anything else with Status, ContentType and Body.
type CannedTransport struct {
	Status      int
	ContentType string
	Body        []byte
	GetBody     []byte
}

// RoundTrip implements http.RoundTripper.
func (c CannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	status, body, contentType := c.Status, c.Body, c.ContentType
	if r.Method == http.MethodGet && c.GetBody != nil {
		status, body, contentType = http.StatusOK, c.GetBody, "application/json"
	}
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	return &http.Response{
		Status: fmt.Sprintf("%d canned", status), StatusCode: status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Request: r,
	}, nil
}
