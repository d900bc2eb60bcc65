package provider

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/seed/terraform-provider-webhooks/internal/apitest"
	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

// The tests below prove what the signing secret is for: the mock makes Sellfern's deliveries for real, to a
// receiver on loopback that checks X-Sellfern-Signature, and every secret a check uses is read from Terraform's
// state, never from the mock.

// deliveringMock starts a receiver and a mock that makes its deliveries to it.
func deliveringMock(t *testing.T) (*mockserver.Server, *apitest.Receiver) {
	t.Helper()
	rcv := apitest.StartReceiver(t)
	return accMock(t, mockserver.Options{DeliverTo: rcv.URL}), rcv
}

// stateWebhook is a Sellfern webhook as Terraform's state holds it.
type stateWebhook struct {
	address, id, url, secret string
}

// sellfernWebhooksInState returns every sellfern_webhook in the state, by address.
func sellfernWebhooksInState(s *tfjson.State) (map[string]stateWebhook, error) {
	if s == nil || s.Values == nil || s.Values.RootModule == nil {
		return nil, errors.New("no state")
	}
	out := map[string]stateWebhook{}
	for _, r := range s.Values.RootModule.Resources {
		if r.Type != "sellfern_webhook" || r.Mode != tfjson.ManagedResourceMode {
			continue
		}
		w := stateWebhook{address: r.Address}
		w.id, _ = r.AttributeValues["id"].(string)
		w.url, _ = r.AttributeValues["url"].(string)
		w.secret, _ = r.AttributeValues["secret"].(string)
		if w.id == "" || w.secret == "" {
			return nil, fmt.Errorf("%s has no id or no secret in state", r.Address)
		}
		out[r.Address] = w
	}
	return out, nil
}

// recordSecret is a state check that keeps the secret state holds for address, for a later step to use.
func recordSecret(address string, into *string) statecheck.StateCheck {
	return stateCheckFunc(func(s *tfjson.State) error {
		hooks, err := sellfernWebhooksInState(s)
		if err != nil {
			return err
		}
		w, ok := hooks[address]
		if !ok {
			return fmt.Errorf("%s is not in state", address)
		}
		*into = w.secret
		return nil
	})
}

// deliveryChecks emits events through the mock and checks what the receiver got against the state.
type deliveryChecks struct {
	m   *mockserver.Server
	rcv *apitest.Receiver
	// retired are secrets of webhooks that are gone: they must verify nothing that arrives.
	retired []*string
}

// expect is a state check: it gives the receiver every secret in state, emits event, and checks that it reached
// exactly the webhooks at addresses, once each, at the path and query of the url in state, signed with the secret in
// state of that webhook and of no other (nor with a retired one), and that the receiver's 204 was recorded.
func (c deliveryChecks) expect(event string, addresses ...string) statecheck.StateCheck {
	return stateCheckFunc(func(s *tfjson.State) error {
		hooks, err := sellfernWebhooksInState(s)
		if err != nil {
			return err
		}
		for _, w := range hooks {
			c.rcv.Accept(w.address, w.secret)
		}
		em, err := c.m.EmitSellfernEvent(event, map[string]any{"checked_by": "sellfern_deliveries_test"})
		if err != nil {
			return err
		}
		arrivals := c.rcv.Take()
		var reached []string
		for _, a := range arrivals {
			w, err := signerInState(a, hooks, c.retired)
			if err != nil {
				return fmt.Errorf("%s: %w", event, err)
			}
			u, err := url.Parse(w.url)
			if err != nil {
				return err
			}
			if a.Path != u.RequestURI() || a.Event != event || a.EventID() != em.EventID || a.Status != http.StatusNoContent {
				return fmt.Errorf("%s reached %s as %+v, want POST %s with the event %s, answered 204", event, w.address, a, u.RequestURI(), em.EventID)
			}
			reached = append(reached, w.address)
		}
		slices.Sort(reached)
		want := slices.Sorted(slices.Values(addresses))
		if !slices.Equal(reached, want) {
			return fmt.Errorf("%s reached %v, want %v", event, reached, want)
		}
		for _, d := range em.Deliveries {
			if d.StatusCode != http.StatusNoContent || !d.Success {
				return fmt.Errorf("%s: Sellfern recorded %+v, want the receiver's 204", event, d)
			}
		}
		return nil
	})
}

// signerInState is the one webhook in state whose secret verifies the arrival's signature; no other secret in
// state, and no retired one, may verify it.
func signerInState(a apitest.Arrival, hooks map[string]stateWebhook, retired []*string) (stateWebhook, error) {
	var signers []stateWebhook
	for _, w := range hooks {
		if a.VerifiesWith(w.secret) {
			signers = append(signers, w)
		}
	}
	for _, s := range retired {
		if a.VerifiesWith(*s) {
			return stateWebhook{}, fmt.Errorf("a delivery to %s verifies with the secret of a webhook that is gone", a.Path)
		}
	}
	if len(signers) != 1 {
		return stateWebhook{}, fmt.Errorf("a delivery to %s verifies with %d secrets in state, want exactly one", a.Path, len(signers))
	}
	return signers[0], nil
}

// nothingArrives emits every event, given that the mock holds no webhook, and checks that nothing is delivered.
func nothingArrives(m *mockserver.Server, rcv *apitest.Receiver) error {
	for _, event := range []string{"order.created", "order.updated", "ticket.created"} {
		em, err := m.EmitSellfernEvent(event, nil)
		if err != nil {
			return err
		}
		if len(em.Deliveries) != 0 {
			return fmt.Errorf("after the destroy %s was delivered: %+v", event, em.Deliveries)
		}
	}
	if got := rcv.Take(); len(got) != 0 {
		return fmt.Errorf("after the destroy the receiver got %+v", got)
	}
	return nil
}

// deliveriesConfig is two webhooks that share order.created, the orders one paused when enabled is false.
func deliveriesConfig(m *mockserver.Server, enabled bool) string {
	return providerConfig(m) + fmt.Sprintf(`
resource "sellfern_webhook" "orders" {
  provider = webhooks
  url      = "https://hooks.example.com/sellfern/orders?team=checkout"
  events   = ["order.created", "order.updated"]
  enabled  = %t
}

resource "sellfern_webhook" "tickets" {
  provider = webhooks
  url      = "https://hooks.example.com/sellfern/tickets"
  events   = ["order.created", "ticket.created"]
}
`, enabled)
}

// TestAccSellfernDeliveries_signedWithTheSecretInState: after an apply, what Sellfern delivers verifies with the
// secret in Terraform's state, and with no other webhook's; only subscribed events arrive; enabled = false stops
// deliveries and true starts them again; after a destroy nothing arrives.
func TestAccSellfernDeliveries_signedWithTheSecretInState(t *testing.T) {
	m, rcv := deliveringMock(t)
	c := deliveryChecks{m: m, rcv: rcv}
	const orders, tickets = "sellfern_webhook.orders", "sellfern_webhook.tickets"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config: deliveriesConfig(m, true),
				ConfigStateChecks: []statecheck.StateCheck{
					c.expect("order.created", orders, tickets),
					c.expect("order.updated", orders),
					c.expect("ticket.created", tickets),
					c.expect("expense.created"),
				},
			},
			{
				Config: deliveriesConfig(m, false),
				ConfigStateChecks: []statecheck.StateCheck{
					c.expect("order.created", tickets),
					c.expect("order.updated"),
				},
			},
			{
				Config: deliveriesConfig(m, true),
				ConfigStateChecks: []statecheck.StateCheck{
					c.expect("order.created", orders, tickets),
					c.expect("order.updated", orders),
				},
			},
		},
		CheckDestroy: func(*terraform.State) error { return nothingArrives(m, rcv) },
	})
}

// TestAccSellfernDeliveries_rotation: during a rotate_when_changed rotation with create_before_destroy, an event
// emitted between the new webhook's create and the old one's delete reaches the receiver twice, with one event id,
// once signed with the old webhook's secret and once with the new one's (each read from state); after the apply
// only the new secret verifies what arrives.
func TestAccSellfernDeliveries_rotation(t *testing.T) {
	m, rcv := deliveringMock(t)
	var oldSecret string
	old := &recordedID{addr: sellfernAddr}
	c := deliveryChecks{m: m, rcv: rcv, retired: []*string{&oldSecret}}
	var (
		once       sync.Once
		during     mockserver.SellfernEmission
		duringErr  error
		duringSeen bool
	)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config: rotatingConfig(m, generation(1), true, ""),
				ConfigStateChecks: []statecheck.StateCheck{
					deliveryChecks{m: m, rcv: rcv}.expect("order.created", sellfernAddr),
					recordSecret(sellfernAddr, &oldSecret),
					old,
				},
			},
			{
				PreConfig: func() {
					// The receiver learns the new secret only from the state the apply leaves: until then it takes
					// every delivery, and the check verifies them afterwards. The one delete of this apply is the old
					// webhook's, which create_before_destroy sends once the new webhook exists: the event is emitted
					// as that request arrives, before the mock acts on it.
					rcv.AcceptUnverified(true)
					m.OnRequest(func(route string) {
						if route == "sellfern.delete" {
							once.Do(func() {
								duringSeen = true
								during, duringErr = m.EmitSellfernEvent("order.created", map[string]any{"during": "rotation"})
							})
						}
					})
				},
				Config: rotatingConfig(m, generation(2), true, ""),
				ConfigStateChecks: []statecheck.StateCheck{
					replacedWithoutGap(m, old),
					stateCheckFunc(func(s *tfjson.State) error {
						m.OnRequest(nil)
						rcv.AcceptUnverified(false)
						if !duringSeen || duringErr != nil {
							return fmt.Errorf("no event was emitted during the rotation (delete seen: %v, error: %v)", duringSeen, duringErr)
						}
						hooks, err := sellfernWebhooksInState(s)
						if err != nil {
							return err
						}
						replacement := hooks[sellfernAddr]
						return deliveredToBoth(m, rcv, during, old.id, oldSecret, replacement)
					}),
					c.expect("order.created", sellfernAddr),
					c.expect("order.updated", sellfernAddr),
				},
			},
		},
		CheckDestroy: func(*terraform.State) error { return nothingArrives(m, rcv) },
	})
}

// deliveredToBoth checks the event emitted during the rotation: one delivery to the old webhook and one to its
// replacement, both made after the replacement's create and before the old webhook's delete, one body with one
// event id, verifying once with the old secret and once with the new one, and never with both.
func deliveredToBoth(m *mockserver.Server, rcv *apitest.Receiver, during mockserver.SellfernEmission, oldID, oldSecret string, replacement stateWebhook) error {
	ids := []string{}
	for _, d := range during.Deliveries {
		ids = append(ids, d.WebhookID)
	}
	if want := []string{oldID, replacement.id}; !slices.Equal(ids, want) {
		return fmt.Errorf("the event emitted during the rotation reached %v, want the old webhook and its replacement %v", ids, want)
	}
	j := m.Journal()
	created := mockserver.JournalIndex(j, "sellfern", mockserver.JournalCreate, replacement.id)
	deleted := mockserver.JournalIndex(j, "sellfern", mockserver.JournalDelete, oldID)
	if created < 0 || deleted < created {
		return fmt.Errorf("journal %+v: want the create of %s before the delete of %s", j, replacement.id, oldID)
	}
	for _, id := range ids {
		if mockserver.JournalIndex(j[created:deleted], "sellfern", mockserver.JournalDeliver, id) < 0 {
			return fmt.Errorf("journal %+v: no delivery to %s between the create of %s and the delete of %s", j, id, replacement.id, oldID)
		}
	}
	arrivals := rcv.Take()
	if len(arrivals) != 2 {
		return fmt.Errorf("the receiver got %d deliveries of the event emitted during the rotation, want 2: %+v", len(arrivals), arrivals)
	}
	var withOld, withNew int
	for _, a := range arrivals {
		old, fresh := a.VerifiesWith(oldSecret), a.VerifiesWith(replacement.secret)
		switch {
		case a.EventID() != during.EventID || string(a.Body) != string(arrivals[0].Body):
			return fmt.Errorf("the two deliveries are not of one event %s: %+v", during.EventID, arrivals)
		case old && fresh:
			return errors.New("a delivery verifies with both secrets")
		case old:
			withOld++
		case fresh:
			withNew++
		}
	}
	if withOld != 1 || withNew != 1 {
		return fmt.Errorf("of the two deliveries %d verify with the old secret and %d with the new one, want one each", withOld, withNew)
	}
	return nil
}

// TestAccSellfernDeliveries_testAction: the sellfern_send_test_event action's deliveries reach the receiver signed
// with the webhook's secret from state, and not with another webhook's. The one its create triggers comes before the
// receiver can know the secret (it is in state only once the apply ends), so the receiver takes it and the check
// verifies it afterwards; the one an update triggers the receiver verifies as it arrives, and Sellfern records the
// receiver's 204.
func TestAccSellfernDeliveries_testAction(t *testing.T) {
	m, rcv := deliveringMock(t)
	config := func(events string) string {
		return providerConfig(m) + fmt.Sprintf(`
resource "sellfern_webhook" "orders" {
  provider = webhooks
  url      = "https://hooks.example.com/sellfern/orders"
  events   = %s

  lifecycle {
    action_trigger {
      events  = [after_create, after_update]
      actions = [action.sellfern_send_test_event.orders]
    }
  }
}

resource "sellfern_webhook" "other" {
  provider = webhooks
  url      = "https://hooks.example.com/sellfern/other"
  events   = ["order.created"]
}

action "sellfern_send_test_event" "orders" {
  provider = webhooks
  config {
    webhook_id = sellfern_webhook.orders.id
  }
}
`, events)
	}
	// testDelivered checks the one delivery that arrived since the last check: the test event of the webhook in
	// state, verifying with its secret from state and not with the other webhook's, answered 204 and recorded so.
	testDelivered := func(calls int, verifiedOnArrival bool) statecheck.StateCheck {
		return stateCheckFunc(func(s *tfjson.State) error {
			hooks, err := sellfernWebhooksInState(s)
			if err != nil {
				return err
			}
			orders, other := hooks[triggeredAddr], hooks["sellfern_webhook.other"]
			arrivals := rcv.Take()
			if len(arrivals) != 1 {
				return fmt.Errorf("the receiver got %d deliveries, want the test event: %+v", len(arrivals), arrivals)
			}
			a := arrivals[0]
			switch {
			case a.Path != "/sellfern/orders" || !strings.HasPrefix(a.Event, "order.") || a.Status != http.StatusNoContent:
				return fmt.Errorf("the test event arrived as %+v", a)
			case !a.VerifiesWith(orders.secret):
				return errors.New("the test event does not verify with the webhook's secret from state")
			case a.VerifiesWith(other.secret):
				return errors.New("the test event verifies with another webhook's secret")
			case verifiedOnArrival && a.VerifiedWith != "orders":
				return fmt.Errorf("the receiver did not verify the test event as it arrived: %+v", a)
			}
			ds := m.SellfernDeliveries(orders.id)
			if len(ds) == 0 || ds[0].StatusCode != http.StatusNoContent || ds[0].EventID != a.EventID() || m.Count("sellfern.test") != calls {
				return fmt.Errorf("Sellfern recorded %+v after %d test calls, want %d, the newest with the receiver's 204 for event %s",
					ds, m.Count("sellfern.test"), calls, a.EventID())
			}
			// From now on the receiver verifies with the secret from state, and refuses anything else.
			rcv.Accept("orders", orders.secret)
			rcv.AcceptUnverified(false)
			return nil
		})
	}
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{cliHasActions},
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				PreConfig:         func() { rcv.AcceptUnverified(true) },
				Config:            config(`["order.created"]`),
				ConfigStateChecks: []statecheck.StateCheck{testDelivered(1, false)},
			},
			{
				Config:            config(`["order.updated", "order.created"]`),
				ConfigStateChecks: []statecheck.StateCheck{testDelivered(2, true)},
			},
		},
	})
}
