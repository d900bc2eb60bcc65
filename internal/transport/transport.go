// Package transport is the one HTTP layer both API clients share: authentication, user agent, retries with
// backoff and Retry-After, per-request and total time bounds, a cap on response size, a redirect policy that never
// carries credentials to another host, and request logging through terraform-plugin-log with credentials masked.
//
// It knows HTTP and nothing of either vendor's payloads or of Terraform's types.
package transport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// Defaults for Config's durations and sizes left at zero. MaxRetries has none: zero means no retries.
const (
	DefaultMaxRetries     = 4 // what the provider uses when max_retries is not set
	DefaultRequestTimeout = 30 * time.Second
	DefaultMaxElapsed     = 3 * time.Minute // or RequestTimeout × attempts, if longer
	DefaultMinBackoff     = 200 * time.Millisecond
	DefaultMaxBackoff     = 10 * time.Second
	DefaultMaxRetryAfter  = 30 * time.Second
	DefaultMaxBodyBytes   = 16 << 20
	maxRedirects          = 5
	logSubsystem          = "webhooks_http"
)

// Settings are what a client of either service is given besides its credential: where the service is and how
// patiently to call it.
type Settings struct {
	// BaseURL is validated with CheckBaseURL: https, or http on a loopback host only.
	BaseURL        string
	UserAgent      string
	MaxRetries     int           // retries after the first attempt of an idempotent call, taken as given: 0 means none
	RequestTimeout time.Duration // bound on each attempt; zero means DefaultRequestTimeout
	MaxElapsed     time.Duration // bound on one call, all attempts and waits included (a create's recovery too)
	// RequestsPerSecond, when positive, is a ceiling on the pace of every call to the service from this Client,
	// and from every client that shares its pace; without it the pace adapts to the service's answers (pace.go).
	RequestsPerSecond float64
	// Paces, when set, gives the Client the pace it shares with every client of the same service, base URL and
	// credential in the registry; without it the Client has a pace of its own.
	Paces *Paces
	// HTTPClient replaces the default pooled client (tests); its Transport is wrapped with the credential guard.
	HTTPClient *http.Client
}

// Config describes one service's endpoint and credentials.
type Config struct {
	Settings
	// Service names the API in logs and errors, e.g. "Sellfern".
	Service string
	// AuthHeader is the header that carries Credential (e.g. "Authorization").
	AuthHeader string
	// AuthValue is the complete header value (e.g. "Bearer sk_…"); it is a secret.
	AuthValue string
	// Secrets are further strings that must never reach a log or an error (e.g. the bare token).
	Secrets []string
	// SecretPatterns match secrets the client cannot know in advance (a webhook signing secret a server echoes
	// back); every match is redacted like Secrets.
	SecretPatterns []*regexp.Regexp
	// RequestID reads the id a service gives each answer for its support to find it (Sellfern's meta.request_id),
	// or returns ""; nil for a service that gives none. The id, redacted and escaped, is logged with every attempt
	// and carried by every error about an answer.
	RequestID func(header http.Header, body []byte) string

	MinBackoff    time.Duration
	MaxBackoff    time.Duration
	MaxRetryAfter time.Duration // a server's Retry-After is honoured up to this
	MaxBodyBytes  int64
}

// Client performs requests against one service.
type Client struct {
	cfg   Config
	base  *url.URL
	retry *retryablehttp.Client
	pace  *pace
}

// Response is a successful (2xx) response with its body read in full.
type Response struct {
	Service    string
	Method     string
	Path       string
	StatusCode int
	Header     http.Header
	Body       []byte
	// RequestID is the service's id of this answer (Config.RequestID), fit for a message, or "".
	RequestID string
	redact    func(string) string
}

// Decode reads the body as JSON into v, ignoring unknown fields (a real API adds fields over time). A body that
// is not JSON of that shape gives a *DecodeError quoting a short, redacted excerpt of it.
func (r *Response) Decode(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return r.NotAsPromised("a body that is not the documented JSON: " + r.Snippet(r.Body))
	}
	return nil
}

// Snippet is BodySnippet of part of the body (all of it, or a piece of it such as a JSON value), secrets redacted:
// quoted and escaped once, for a message.
func (r *Response) Snippet(part []byte) string {
	if r.redact != nil {
		part = []byte(r.redact(string(part)))
	}
	return BodySnippet(r.Header, part)
}

// DecodeSensitive is Decode for answers that may carry a secret of their own (a create's signing secret): the
// error describes the body without quoting it.
func (r *Response) DecodeSensitive(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return r.NotAsPromised(fmt.Sprintf("a body that is not the documented JSON (%d bytes, not shown: it may hold a secret)", len(r.Body)))
	}
	return nil
}

// NotAsPromised is the *DecodeError for a 2xx answer that does not carry what the call promises: detail says
// what is wrong with it, after "with HTTP 200 but".
func (r *Response) NotAsPromised(detail string) error {
	return &DecodeError{Service: r.Service, Method: r.Method, Path: r.Path, StatusCode: r.StatusCode, Detail: detail,
		RequestID: r.RequestID}
}

// Text makes a piece of the body, once decoded, fit for a message, as StatusError.Text does.
func (r *Response) Text(s string, maxLen int) string {
	if r.redact != nil {
		s = r.redact(s)
	}
	return CleanText(s, maxLen)
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	base, err := CheckBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.MaxRetries < 0 {
		return nil, fmt.Errorf("MaxRetries is %d; it must be 0 (no retries) or more", cfg.MaxRetries)
	}
	setDefault(&cfg.RequestTimeout, DefaultRequestTimeout)
	// The total bound must leave room for every attempt the configuration allows, or a long request timeout
	// would silently cut the retries short.
	setDefault(&cfg.MaxElapsed, max(DefaultMaxElapsed, cfg.RequestTimeout*time.Duration(cfg.MaxRetries+1)))
	setDefault(&cfg.MinBackoff, DefaultMinBackoff)
	setDefault(&cfg.MaxBackoff, DefaultMaxBackoff)
	setDefault(&cfg.MaxRetryAfter, DefaultMaxRetryAfter)
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}

	httpClient := cfg.HTTPClient
	if httpClient == nil {
		httpClient = cleanhttp.DefaultPooledClient()
	} else {
		copied := *httpClient
		httpClient = &copied
	}
	inner := httpClient.Transport
	if inner == nil {
		inner = cleanhttp.DefaultPooledTransport()
	}
	if cfg.RequestsPerSecond < 0 {
		return nil, fmt.Errorf("RequestsPerSecond is %g; it must be more than 0, or 0 for no ceiling", cfg.RequestsPerSecond)
	}
	c := &Client{cfg: cfg, base: base}
	if cfg.Paces != nil {
		c.pace = cfg.Paces.pace(cfg.Service, base.String(), cfg.AuthValue, cfg.RequestsPerSecond)
	} else {
		c.pace = newPace(cfg.Service, cfg.RequestsPerSecond)
	}
	// The request timeout bounds each attempt from the moment it is sent (pacedTransport), not the time it waits
	// for its turn, which http.Client.Timeout would count too.
	httpClient.Transport = &credentialGuard{header: cfg.AuthHeader, next: &pacedTransport{next: inner, pace: c.pace,
		timeout: cfg.RequestTimeout, bound: cfg.MaxElapsed, log: c.logPace}}
	httpClient.Timeout = 0
	httpClient.CheckRedirect = checkRedirect(cfg.AuthHeader)

	c.retry = &retryablehttp.Client{
		HTTPClient:     httpClient,
		Logger:         nil, // logging goes through tflog in the hooks below, never to stderr
		RetryWaitMin:   cfg.MinBackoff,
		RetryWaitMax:   cfg.MaxBackoff,
		RetryMax:       cfg.MaxRetries,
		CheckRetry:     c.checkRetry,
		Backoff:        c.backoff,
		RequestLogHook: c.logRequest,
		ErrorHandler:   lastResponseUnlessCancelled,
	}
	return c, nil
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// Redact replaces every configured secret in s. Clients use it on any text a server sent back, in case the server
// echoes the request.
func (c *Client) Redact(s string) string {
	for _, secret := range c.secrets() {
		s = strings.ReplaceAll(s, secret, "***")
	}
	for _, re := range c.cfg.SecretPatterns {
		s = re.ReplaceAllString(s, "***")
	}
	return s
}

// redacted rewrites a NetworkError's cause so that its text carries no secret: Go's own transport errors quote
// what a broken server sent, which may echo the request.
func (c *Client) redacted(err error) error {
	var ne *NetworkError
	if errors.As(err, &ne) && ne.Err != nil {
		if text := c.Redact(ne.Err.Error()); text != ne.Err.Error() {
			ne.Err = &redactedError{text: text, cause: ne.Err}
		}
	}
	return err
}

type redactedError struct {
	text  string
	cause error
}

func (e *redactedError) Error() string { return e.text }
func (e *redactedError) Unwrap() error { return e.cause }

func (c *Client) secrets() []string {
	out := make([]string, 0, len(c.cfg.Secrets)+1)
	for _, s := range append([]string{c.cfg.AuthValue}, c.cfg.Secrets...) {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Idempotent reports whether a method may be retried blindly. PATCH is included because both APIs' PATCH sets
// absolute values; POST is not, since a repeated create would make a second webhook.
func Idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// Do sends one call. path is relative to the base URL and already escaped: fixed segments as written, ids through
// Segment. body, when not nil, is sent as JSON. A non-2xx final answer is returned as *StatusError; a call that
// never got an answer as *NetworkError.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body any) (*Response, error) {
	return c.DoKeyed(ctx, "", method, path, query, body)
}

// DoKeyed is Do with an Idempotency-Key header (none when key is empty). Every attempt of the call carries the
// same key: go-retryablehttp re-sends the request it was given, and pacedTransport clones it with its headers. A
// caller that re-sends the call itself (a create settling what an earlier attempt made) passes the same key
// again; a key is never shared by two operations (NewIdempotencyKey). Retries follow the method as for Do: a POST
// is not re-sent here even with a key, since its caller decides (a create counts its re-sends, a test call is
// never repeated).
func (c *Client) DoKeyed(ctx context.Context, key, method, path string, query url.Values, body any) (*Response, error) {
	ctx = c.maskedContext(ctx)
	// The escaped form is kept beside the decoded one, so that an escaped "/" inside an id stays inside its segment
	// (url.URL.JoinPath would also clean "." and ".." segments away).
	target := *c.base
	target.RawPath = strings.TrimRight(c.base.EscapedPath(), "/") + "/" + path
	unescaped, err := url.PathUnescape(target.RawPath)
	if err != nil {
		return nil, fmt.Errorf("building %s request: the path %q is not escaped correctly: %w", c.cfg.Service, path, err)
	}
	target.Path = unescaped
	if query != nil {
		target.RawQuery = query.Encode()
	}

	var payload []byte
	if body != nil {
		if payload, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("encoding %s request body: %w", c.cfg.Service, err)
		}
	}

	state := &callState{method: method, path: target.EscapedPath(), key: key}
	callCtx, cancel := context.WithTimeout(context.WithValue(ctx, callStateKey{}, state), c.cfg.MaxElapsed)
	defer cancel()

	var reqBody any
	if payload != nil {
		reqBody = payload
	}
	req, err := retryablehttp.NewRequestWithContext(callCtx, method, target.String(), reqBody)
	if err != nil {
		return nil, fmt.Errorf("building %s request: %w", c.cfg.Service, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.cfg.AuthHeader != "" && c.cfg.AuthValue != "" {
		req.Header.Set(c.cfg.AuthHeader, c.cfg.AuthValue)
	}
	if key != "" {
		req.Header[keyHeaderEntry] = []string{key}
	}

	resp, err := c.retry.Do(req)
	if err != nil {
		return nil, c.redacted(c.networkError(ctx, callCtx, state, err))
	}
	defer resp.Body.Close()

	data, err := readCapped(resp.Body, c.cfg.MaxBodyBytes)
	if err != nil {
		return nil, c.redacted(&NetworkError{Service: c.cfg.Service, Method: method, Path: state.path, Attempts: state.attempts, Err: err})
	}
	requestID := c.requestID(resp.Header, data)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &StatusError{
			RequestID:  requestID,
			Refusals:   state.refusalCount(),
			Bound:      c.cfg.MaxElapsed,
			Service:    c.cfg.Service,
			Method:     method,
			Path:       state.path,
			StatusCode: resp.StatusCode,
			Header:     resp.Header.Clone(),
			Body:       []byte(c.Redact(string(data))),
			Attempts:   state.attempts,
			Retryable:  state.wouldRetry(),
			// The key says which operation a 409 or 422 is about (KeyInUse); it is not secret.
			IdempotencyKey: key,
			redact:         c.Redact,
		}
	}
	return &Response{Service: c.cfg.Service, Method: method, Path: state.path, StatusCode: resp.StatusCode,
		Header: resp.Header, Body: data, RequestID: requestID, redact: c.Redact}, nil
}

// maxRequestIDLength bounds a request id in a message or a log line: a real one is a short token.
const maxRequestIDLength = 100

// requestID is the service's id of an answer (Config.RequestID), redacted and escaped, or "".
func (c *Client) requestID(header http.Header, body []byte) string {
	if c.cfg.RequestID == nil {
		return ""
	}
	return CleanText(c.Redact(c.cfg.RequestID(header, body)), maxRequestIDLength)
}

// networkError explains a call that ended without an HTTP answer, saying whether the caller cancelled it, the
// retry budget ran out, or the connection kept failing.
func (c *Client) networkError(parent, callCtx context.Context, state *callState, err error) error {
	err = withoutURL(err)
	ne := &NetworkError{Service: c.cfg.Service, Method: state.method, Path: state.path, Attempts: state.attempts, Err: err,
		Retryable: state.wouldRetry()}
	switch {
	case errors.Is(err, ErrPaced):
		ne.Retryable = false
	case parent.Err() != nil:
		ne.Err = parent.Err()
		ne.Cancelled, ne.Retryable = true, false
	case callCtx.Err() != nil:
		ne.Err = fmt.Errorf("gave up after %s (the total time allowed for one call); last error: %w",
			c.cfg.MaxElapsed, withoutURL(state.lastErrOr(err)))
	case isTimeout(err):
		ne.Err = fmt.Errorf("no answer within %s (the request timeout): %w", c.cfg.RequestTimeout, err)
	}
	return ne
}

// withoutURL drops a *url.Error's "Get "https://…":" prefix: the message already names the call.
func withoutURL(err error) error {
	if uerr, ok := err.(*url.Error); ok {
		return uerr.Err
	}
	return err
}

func isTimeout(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}

func (c *Client) maskedContext(ctx context.Context) context.Context {
	ctx = tflog.NewSubsystem(ctx, logSubsystem)
	if secrets := c.secrets(); len(secrets) > 0 {
		ctx = tflog.SubsystemMaskAllFieldValuesStrings(ctx, logSubsystem, secrets...)
		ctx = tflog.SubsystemMaskMessageStrings(ctx, logSubsystem, secrets...)
		ctx = tflog.MaskAllFieldValuesStrings(ctx, secrets...)
		ctx = tflog.MaskMessageStrings(ctx, secrets...)
	}
	return ctx
}

// readCapped reads at most limit bytes and fails if there is more, so a hostile server cannot exhaust memory.
func readCapped(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading response: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("response body is larger than %d bytes; refusing to read it", limit)
	}
	return data, nil
}

// lastResponseUnlessCancelled hands the final response to Do when retries run out (err is nil then), so that the
// API's error body can be decoded instead of being replaced by a generic "giving up" error. With an error, the
// error stands even when a response came with it: a cancelled or timed-out call must say that it gave up rather
// than show a stale 503, and a refused redirect leaves only the redirect's closed response.
func lastResponseUnlessCancelled(resp *http.Response, err error, _ int) (*http.Response, error) {
	if resp != nil && err == nil {
		return resp, nil
	}
	if resp != nil {
		_ = resp.Body.Close()
	}
	return nil, err
}

// ErrNotSent marks a request this layer refused to send, or a redirect it refused to follow, so that no
// credential went where it must not. Another attempt would be refused the same way, so it is never retried, and
// since nothing was sent the call certainly had no effect.
var ErrNotSent = errors.New("request not sent")

type notSentError struct{ text string }

func (e *notSentError) Error() string        { return e.text }
func (e *notSentError) Is(target error) bool { return target == ErrNotSent }

// credentialGuard refuses to send credentials over plain http to anything but a loopback host. CheckBaseURL
// already forbids such a base URL; this makes it an invariant of every request, redirects included.
type credentialGuard struct {
	next   http.RoundTripper
	header string
}

func (g *credentialGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if g.header != "" && req.Header.Get(g.header) != "" && req.URL.Scheme != "https" && !IsLoopback(req.URL.Hostname()) {
		return nil, &notSentError{fmt.Sprintf("refusing to send credentials over %s:// to %s: only https, or http to a "+
			"loopback host, may carry them", req.URL.Scheme, req.URL.Host)}
	}
	return g.next.RoundTrip(req)
}

// checkRedirect follows at most a few redirects, and only on the original host and scheme. A redirect elsewhere
// is not followed: the credentials must not go with it (Go's default keeps them for subdomains), and without them
// the call would fail with a misleading "credentials rejected".
func checkRedirect(header string) func(req *http.Request, via []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		first := via[0].URL
		if req.URL.Host != first.Host || req.URL.Scheme != first.Scheme {
			what := "credentials were"
			if header == "" {
				what = "request was"
			}
			return &notSentError{fmt.Sprintf("the server redirected to %s://%s, another host, so the %s not sent there",
				req.URL.Scheme, req.URL.Host, what)}
		}
		return nil
	}
}

// CheckBaseURL parses a service base URL and enforces the rule that credentials only travel over https, with
// plain http allowed for a loopback host (the bundled mock server).
func CheckBaseURL(raw string) (*url.URL, error) {
	trimmed := strings.TrimSpace(raw)
	if trimmed == "" {
		return nil, errors.New("the base URL is empty")
	}
	if trimmed != raw {
		return nil, errors.New("the base URL has leading or trailing white space")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("the base URL %q is not a valid URL", raw)
	}
	if !u.IsAbs() || u.Host == "" {
		return nil, fmt.Errorf("the base URL %q must be absolute, like https://api.example.com", raw)
	}
	if u.User != nil {
		return nil, errors.New("the base URL must not contain a user name or password; credentials go in their own attribute")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("the base URL %q must not have a query or fragment", raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !IsLoopback(u.Hostname()) {
			return nil, fmt.Errorf("the base URL %q must use https://; plain http:// is allowed only for a loopback host "+
				"(localhost, 127.0.0.1, ::1) so that credentials never cross a network in clear text", raw)
		}
	default:
		return nil, fmt.Errorf("the base URL %q must use https://", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return u, nil
}

// IsLoopback reports whether host (without port) is a loopback name or address. Names are not resolved:
// only "localhost" itself counts, so "localhost.example.com" does not.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
