package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/seed/terraform-provider-webhooks/internal/apitest"
	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/tfrun"
)

// withDeliveries shows what the signing secret is for, around the rotation rotate runs: a receiver on loopback gets
// the deliveries the mock makes and checks X-Sellfern-Signature with the secret read from Terraform's state. Before
// the rotation an emitted event verifies with the secret in state; during it, an event emitted between the new
// webhook's create and the old one's delete arrives twice, once signed with each secret; after it, only the new
// secret verifies what arrives. It returns what rotate returns.
func withDeliveries(ctx context.Context, ws *tfrun.Workspace, mock *mockserver.Server, rotate func() (string, error)) (string, error) {
	rcv := apitest.NewReceiver()
	defer rcv.Close()
	if err := mock.SetDeliverTo(rcv.URL); err != nil {
		return "", err
	}
	defer func() { _ = mock.SetDeliverTo("") }()

	step("Deliveries: a receiver at %s checks X-Sellfern-Signature; the mock delivers there (as webhooks-mock -deliver-to does)", rcv.URL)
	oldID, oldSecret, err := ordersInState(ctx, ws)
	if err != nil {
		return "", err
	}
	rcv.Accept("old", oldSecret)
	a, eventID, err := emitOne(mock, rcv, "order.created", oldSecret)
	if err != nil {
		return "", err
	}
	fmt.Printf("    emitted order.created (%s): one delivery, to sellfern_webhook.orders at %s (support is paused, and subscribes to tickets)\n", eventID, a.Path)
	fmt.Println("    signature verified with the secret from state (sellfern_webhook.orders); the receiver answered 204")

	// The receiver learns the new secret only from the state the rotation leaves, so meanwhile it takes everything
	// and the demo checks afterwards. The event goes out as the old webhook's delete arrives, before the mock acts.
	var once sync.Once
	var during mockserver.SellfernEmission
	var duringErr = errors.New("no delete reached the mock")
	rcv.AcceptUnverified(true)
	mock.OnRequest(func(route string) {
		if route == "sellfern.delete" {
			once.Do(func() {
				during, duringErr = mock.EmitSellfernEvent("order.status_changed", map[string]any{"order_id": "ord_demo_2"})
			})
		}
	})
	newID, err := rotate()
	mock.OnRequest(nil)
	rcv.AcceptUnverified(false)
	if err != nil {
		return "", err
	}
	if duringErr != nil {
		return "", fmt.Errorf("emitting an event during the rotation: %w", duringErr)
	}
	_, newSecret, err := ordersInState(ctx, ws)
	if err != nil {
		return "", err
	}
	arrived := rcv.Take()
	withOld, withNew := 0, 0
	for _, a := range arrived {
		if a.EventID() != during.EventID {
			return "", fmt.Errorf("during the rotation the receiver got event %s, want %s", a.EventID(), during.EventID)
		}
		if a.VerifiesWith(oldSecret) {
			withOld++
		}
		if a.VerifiesWith(newSecret) {
			withNew++
		}
	}
	if len(arrived) != 2 || withOld != 1 || withNew != 1 || len(during.Deliveries) != 2 ||
		during.Deliveries[0].WebhookID != oldID || during.Deliveries[1].WebhookID != newID {
		return "", fmt.Errorf("the event emitted during the rotation arrived %d times (%d verifying with the old secret, %d with the new one), want twice, once with each",
			len(arrived), withOld, withNew)
	}
	step("Deliveries around the rotation, checked with the old and the new secret from state")
	fmt.Printf("    during it, order.status_changed (%s), emitted between the new webhook's create and the old one's delete,\n"+
		"    arrived twice: once signed with the old secret, once with the new one (receivers deduplicate on the event id)\n", during.EventID)

	rcv.Forget("old")
	rcv.Accept("new", newSecret)
	a, eventID, err = emitOne(mock, rcv, "order.created", newSecret)
	if err != nil {
		return "", err
	}
	if a.VerifiesWith(oldSecret) {
		return "", errors.New("after the rotation a delivery verifies with the old secret")
	}
	fmt.Printf("    after it, order.created (%s) arrived once, verified with the new secret; the old secret no longer verifies anything new\n", eventID)
	return newID, nil
}

// emitOne emits event and checks that exactly one delivery arrived, signed with secret, and was accepted.
func emitOne(mock *mockserver.Server, rcv *apitest.Receiver, event, secret string) (apitest.Arrival, string, error) {
	em, err := mock.EmitSellfernEvent(event, map[string]any{"order_id": "ord_demo_1"})
	if err != nil {
		return apitest.Arrival{}, "", err
	}
	arrived := rcv.Take()
	switch {
	case len(arrived) != 1 || len(em.Deliveries) != 1:
		return apitest.Arrival{}, "", fmt.Errorf("%s reached %d webhooks, want sellfern_webhook.orders alone", event, len(arrived))
	case !arrived[0].VerifiesWith(secret) || arrived[0].Status != http.StatusNoContent || em.Deliveries[0].StatusCode != http.StatusNoContent:
		return apitest.Arrival{}, "", fmt.Errorf("%s did not verify with the secret from state (the receiver answered %d)", event, arrived[0].Status)
	}
	return arrived[0], em.EventID, nil
}

// ordersInState reads the orders webhook's id and secret from Terraform's state.
func ordersInState(ctx context.Context, ws *tfrun.Workspace) (id, secret string, err error) {
	state, err := readState(ctx, ws)
	if err != nil {
		return "", "", err
	}
	v := state.values("sellfern_webhook.orders")
	id, _ = v["id"].(string)
	secret, _ = v["secret"].(string)
	if id == "" || secret == "" {
		return "", "", errors.New("the state holds no id or no secret for sellfern_webhook.orders")
	}
	return id, secret, nil
}
