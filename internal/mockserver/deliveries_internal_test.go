package mockserver

import (
	"testing"
	"testing/synctest"
)

// TestDeleteWaitsForDeliveriesInFlight: a webhook chosen for a delivery before its delete keeps it; the delete answers
// only once that delivery is done, and nothing chosen after the delete reaches the webhook.
func TestDeleteWaitsForDeliveriesInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Options{Seed: 1})
		a := s.sellfern
		h := s.SellfernPut(SellfernWebhook{URL: "https://hooks.example.com/a", Events: []string{"order.created"}, Enabled: true})
		held := a.hold(func(w SellfernWebhook) bool { return w.ID == h.ID }) // as an emit chooses its recipients
		if len(held) != 1 {
			t.Fatalf("held %+v", held)
		}
		deleted := make(chan struct{})
		go func() {
			a.remove(h.ID)
			close(deleted)
		}()
		synctest.Wait() // the delete has done all it can
		select {
		case <-deleted:
			t.Fatal("the delete returned while a delivery to the webhook was in flight")
		default:
		}
		if _, ok := s.SellfernWebhook(h.ID); ok {
			t.Fatal("the webhook is still listed while its delete waits")
		}
		if em, err := s.EmitSellfernEvent("order.created", nil); err != nil || len(em.Deliveries) != 0 {
			t.Fatalf("an event emitted after the delete began reached %+v (%v)", em.Deliveries, err)
		}
		d := a.deliver(held[0], a.newEvent("order.created", testEventData), JournalDeliver)
		<-deleted
		if d.WebhookID != h.ID || s.SellfernDeliveries(h.ID) != nil || len(a.inflight) != 0 {
			t.Errorf("delivery %+v; after the delete: deliveries %+v, in flight %v", d, s.SellfernDeliveries(h.ID), a.inflight)
		}
	})
}

// TestDeliveriesReachLoopbackOnly: whatever a name resolves to, the deliveries' client connects to loopback only.
func TestDeliveriesReachLoopbackOnly(t *testing.T) {
	for address, ok := range map[string]bool{"127.0.0.1:80": true, "[::1]:443": true, "93.184.216.34:443": false, "[2001:db8::1]:80": false, "10.0.0.1:80": false} {
		if err := loopbackOnly("tcp", address, nil); (err == nil) != ok {
			t.Errorf("loopbackOnly(%q) = %v", address, err)
		}
	}
}
