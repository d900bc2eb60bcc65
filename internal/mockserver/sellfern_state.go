package mockserver

// Sellfern's state: webhooks in a store, deliveries and issued secrets beside them, and the accessors tests use.

import (
	"net/http"
	"slices"
	"time"
)

// IssuedSellfernSecrets returns every secret the mock has held, including those of deleted webhooks, so that
// tests can search logs and output for any of them.
func (s *Server) IssuedSellfernSecrets() []string {
	s.sellfern.mu.Lock()
	defer s.sellfern.mu.Unlock()
	return slices.Clone(s.sellfern.issued)
}

// fill completes a webhook being stored: a new id, secret and creation time where they are empty.
func (a *sellfernAPI) fill(h *SellfernWebhook, taken func(string) bool) {
	for h.ID == "" {
		if id := "wh_" + a.srv.rng.hex(16); !taken(id) {
			h.ID = id
		}
	}
	if h.Secret == "" {
		h.Secret = "whsec_" + a.srv.rng.hex(32)
	}
	a.mu.Lock()
	a.issued = append(a.issued, h.Secret)
	a.mu.Unlock()
	if h.CreatedAt.IsZero() {
		h.CreatedAt = nowSecond()
	}
}

// patch applies a validated update and returns the updated webhook's view.
func (a *sellfernAPI) patch(id string, p sellfernPatch) (sellfernWebhookJSON, bool) {
	h, ok := a.hooks.update(id, func(h *SellfernWebhook) {
		if p.url != nil {
			h.URL = *p.url
		}
		if p.events != nil {
			h.Events = p.events
		}
		if p.enabled != nil {
			h.Enabled = *p.enabled
		}
	})
	return sellfernView(h, false), ok
}

// remove deletes a webhook. Deliveries to it that were under way when it was removed end first (each within the
// delivery timeout), so that nothing reaches its endpoint once remove returns (deliveries.go).
func (a *sellfernAPI) remove(id string) bool {
	if !a.hooks.remove(id, anyItem) {
		return false
	}
	a.mu.Lock()
	for a.inflight[id] > 0 {
		a.idle.Wait()
	}
	delete(a.deliveries, id)
	a.mu.Unlock()
	return true
}

func (a *sellfernAPI) deliveriesNewestFirst(id string) ([]SellfernDelivery, bool) {
	if _, ok := a.hooks.get(id); !ok {
		return nil, false
	}
	a.mu.Lock()
	ds := slices.Clone(a.deliveries[id])
	a.mu.Unlock()
	slices.Reverse(ds)
	return ds, true
}

func (a *sellfernAPI) stateView() []sellfernWebhookJSON {
	hooks := a.hooks.all()
	views := make([]sellfernWebhookJSON, len(hooks))
	for i := range hooks {
		views[i] = sellfernView(hooks[i], true)
	}
	return views
}

func sellfernView(h SellfernWebhook, withSecret bool) sellfernWebhookJSON {
	v := sellfernWebhookJSON{
		ID:        h.ID,
		URL:       h.URL,
		Events:    slices.Clone(h.Events),
		Enabled:   h.Enabled,
		CreatedAt: formatTime(h.CreatedAt),
	}
	if v.Events == nil {
		v.Events = []string{} // an array, never null
	}
	if withSecret {
		v.Secret = h.Secret
	}
	return v
}

func deliveryView(d SellfernDelivery) sellfernDeliveryJSON {
	return sellfernDeliveryJSON{
		ID:         d.ID,
		WebhookID:  d.WebhookID,
		Event:      d.Event,
		EventID:    d.EventID,
		StatusCode: d.StatusCode,
		Success:    d.Success,
		Error:      d.Error,
		CreatedAt:  formatTime(d.CreatedAt),
	}
}

// nowSecond is the creation time of new records: UTC, whole seconds, as the API
// shows it.
func nowSecond() time.Time { return time.Now().UTC().Truncate(time.Second) }

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func cloneSellfern(h SellfernWebhook) SellfernWebhook {
	h.Events = slices.Clone(h.Events)
	return h
}

// --- state access for tests ---

// SellfernWebhooks returns copies of all Sellfern webhooks in creation order.
func (s *Server) SellfernWebhooks() []SellfernWebhook { return s.sellfern.hooks.all() }

// SellfernWebhook returns a copy of one webhook.
func (s *Server) SellfernWebhook(id string) (SellfernWebhook, bool) { return s.sellfern.hooks.get(id) }

// SellfernPut stores w as if changed outside Terraform. An empty ID inserts a
// new webhook (with a new id, and a new secret and created_at where those are
// empty); a known ID replaces that webhook in place (keeping its secret and
// created_at when w leaves them empty); an unknown ID is inserted under that
// ID. No validation is done: tests may store what the API would refuse.
func (s *Server) SellfernPut(w SellfernWebhook) SellfernWebhook {
	return s.sellfern.hooks.put(w, func(old SellfernWebhook, w *SellfernWebhook) {
		if w.Secret == "" {
			w.Secret = old.Secret
		}
		if w.CreatedAt.IsZero() {
			w.CreatedAt = old.CreatedAt
		}
	}, s.sellfern.fill)
}

// SellfernDelete removes a webhook and its deliveries; it reports whether the
// webhook existed.
func (s *Server) SellfernDelete(id string) bool { return s.sellfern.remove(id) }

// SetSellfernEndpointFailure makes the endpoint at url (a webhook's URL, exactly) answer every delivery from now on
// with status, and Sellfern record errText as the delivery's error; status 0 stands for an endpoint that cannot be
// reached. An empty errText becomes the error Sellfern would record for that status. Status 200 with errText ""
// makes the endpoint work again. It stands for endpoints the mock cannot reach: with a deliver-to address
// (SetDeliverTo), deliveries are made and the receiver's own answer is recorded instead.
func (s *Server) SetSellfernEndpointFailure(url string, status int, errText string) {
	if errText == "" && (status < 200 || status > 299) {
		errText = endpointError(status, nil)
		if status == 0 {
			errText = "the endpoint could not be reached: connection refused"
		}
	}
	s.sellfern.mu.Lock()
	defer s.sellfern.mu.Unlock()
	if status == http.StatusOK && errText == "" {
		delete(s.sellfern.endpoints, url)
		return
	}
	s.sellfern.endpoints[url] = endpointAnswer{status: status, err: errText}
}

// SellfernDeliveries returns the deliveries of a webhook, newest first (nil
// for an unknown webhook).
func (s *Server) SellfernDeliveries(id string) []SellfernDelivery {
	ds, _ := s.sellfern.deliveriesNewestFirst(id)
	return ds
}
