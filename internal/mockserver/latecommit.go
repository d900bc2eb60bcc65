package mockserver

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"time"
)

// A late commit is a create that a gateway in front of the service answers 504 at once (or a client's timeout gives
// up on) while the service, slow that day, stores the webhook some time later. The request has reached the
// service: a Sellfern key it carries is in flight from that moment, so a re-send with the key gets 409 until the
// webhook is stored, and then the stored answer. A list taken meanwhile does not show the webhook yet, which is why
// no list can tell that a create made nothing.

// lateCommits holds the switch and the creates waiting to be stored.
type lateCommits struct {
	mu      sync.Mutex
	left    int           // creates still to answer late; < 0: every one
	delay   time.Duration // how long after the answer each is stored; 0: until CommitLateNow
	release chan struct{} // closed by CommitLateNow: every create waiting now is stored
	pending sync.WaitGroup
}

// lateCommit is what a create answered late carries in its context: when it may be stored, and a way to tell the
// request's first handler that it has begun (authentication done, a Sellfern key registered).
type lateCommit struct {
	delay   time.Duration
	release <-chan struct{}
	begun   chan struct{}
	once    sync.Once
}

type lateCommitKey struct{}

func (l *lateCommit) begin() { l.once.Do(func() { close(l.begun) }) }

// SetLateCommits makes the next n creates (of either service; n < 0: every create until it is called again) be
// answered at once with a gateway's 504 and stored delay later, or, with delay 0, when CommitLateNow is called.
func (s *Server) SetLateCommits(n int, delay time.Duration) {
	s.late.mu.Lock()
	defer s.late.mu.Unlock()
	s.late.left, s.late.delay = n, max(delay, 0)
	if s.late.release == nil {
		s.late.release = make(chan struct{})
	}
}

// CommitLateNow stores every create that is waiting to be stored late, and returns once they are (whatever their
// answer: a Sellfern re-send may have been replayed or refused meanwhile).
func (s *Server) CommitLateNow() {
	s.late.mu.Lock()
	if s.late.release != nil {
		close(s.late.release)
	}
	s.late.release = make(chan struct{})
	s.late.mu.Unlock()
	s.late.pending.Wait()
}

// pickLateCommit decides whether a create is answered late, and takes one from the count.
func (s *Server) pickLateCommit() (*lateCommit, bool) {
	s.late.mu.Lock()
	defer s.late.mu.Unlock()
	if s.late.left == 0 {
		return nil, false
	}
	if s.late.left > 0 {
		s.late.left--
	}
	return &lateCommit{delay: s.late.delay, release: s.late.release, begun: make(chan struct{})}, true
}

// serveLate carries out a create in the background, to be stored late, and answers the client at once with the
// 504 a gateway gives up with. The answer waits until the request has been taken in (authenticated, its key
// registered), as a real service takes it in before the gateway times out.
func (s *Server) serveLate(w http.ResponseWriter, r *http.Request, rt *route, param string, l *lateCommit) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	req := r.Clone(context.WithValue(context.WithoutCancel(r.Context()), lateCommitKey{}, l))
	req.Body = io.NopCloser(bytes.NewReader(body))
	s.late.pending.Add(1)
	go func() {
		defer s.late.pending.Done()
		defer l.begin()
		dw := newDiscardWriter()
		rt.handle(dw, req, param)
		s.stats.lateCommit(rt.key, dw.succeeded())
	}()
	<-l.begun
	answerWith(w, Answer{Status: http.StatusGatewayTimeout, ContentType: "text/html; charset=utf-8",
		Body: "<html><head><title>504 Gateway Time-out</title></head><body><h1>504 Gateway Time-out</h1></body></html>"})
}

// waitForCommit returns at once for a create answered in time, and when its time comes for one answered late: each
// create handler calls it first, so that a create answered late waits, taken in but not yet stored.
func waitForCommit(r *http.Request) {
	l, ok := r.Context().Value(lateCommitKey{}).(*lateCommit)
	if !ok {
		return
	}
	l.begin()
	var timer <-chan time.Time
	if l.delay > 0 {
		t := time.NewTimer(l.delay)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-timer:
	case <-l.release:
	}
}
