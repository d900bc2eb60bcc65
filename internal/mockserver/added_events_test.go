package mockserver_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

// The mock knows only the documented events and types unless told that the service has added some; then it
// accepts those as well, and still refuses the rest.
func TestAddedEvents(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	create := `{"url":"https://example.com/a","events":["order.created","product.created"]}`
	wantSellfernError(t, sf(t, s, "POST", "/api/v2/webhooks", create), 400, "validation_error", `unknown event "product.created"`)
	wantStatus(t, ss(t, s, "POST", "/api/webhook/", `{"url":"https://example.com/a","types":["NEW_TYPE"]}`), http.StatusBadRequest)

	s.SetSellfernAddedEvents("product.created")
	s.SetSelSupAddedTypes("NEW_TYPE")
	id := data(t, sf(t, s, "POST", "/api/v2/webhooks", create)).(map[string]any)["id"].(string)
	wantStatus(t, sf(t, s, "PATCH", "/api/v2/webhooks/"+id, `{"events":["product.created"]}`), http.StatusOK)
	wantSellfernError(t, sf(t, s, "PATCH", "/api/v2/webhooks/"+id, `{"events":["product.deleted"]}`), 400, "validation_error", "product.deleted")
	wantStatus(t, ss(t, s, "POST", "/api/webhook/", `{"url":"https://example.com/a","types":["NEW_TYPE","ORDER"]}`), http.StatusOK)

	s.SetSellfernAddedEvents()
	wantSellfernError(t, sf(t, s, "PATCH", "/api/v2/webhooks/"+id, `{"events":["product.created"]}`), 400, "validation_error", "product.created")
}

// An event the service has added is one it emits: the webhooks subscribed to it get it, as they get a documented
// one; before it is added, and after, emitting it is refused like any unknown event.
func TestAddedEventsAreEmitted(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	if _, err := s.EmitSellfernEvent("product.created", nil); err == nil || !strings.Contains(err.Error(), "product.created") {
		t.Fatalf("emitting an event the service does not have: %v, want an error naming it", err)
	}
	s.SetSellfernAddedEvents("product.created")
	products := createSellfern(t, s, "https://hooks.example.com/products", "product.created")
	createSellfern(t, s, "https://hooks.example.com/orders", "order.created")
	em, err := s.EmitSellfernEvent("product.created", nil)
	if err != nil || len(em.Deliveries) != 1 || em.Deliveries[0].WebhookID != products["id"] {
		t.Fatalf("emission %+v, %v; want one delivery, to %v", em, err, products["id"])
	}
	if _, err := s.EmitSellfernEvent("product.updated", nil); err == nil {
		t.Error("an event neither documented nor added was emitted")
	}
}
