package provider

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/seed/terraform-provider-webhooks/internal/apitest"
)

// handOffEndpoint is where a receiver takes its signing secret: PUT /secrets with the secret as the body, each
// hand-off accepted by the receiver as "handoff-N". It stands for a receiver's own configuration endpoint, or the
// secret store it reads.
type handOffEndpoint struct {
	URL     string
	mu      sync.Mutex
	secrets []string // in the order they were handed over
}

func startHandOff(t *testing.T, rcv *apitest.Receiver) *handOffEndpoint {
	t.Helper()
	h := &handOffEndpoint{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, err := io.ReadAll(io.LimitReader(r.Body, 4096))
		if r.Method != http.MethodPut || r.URL.Path != "/secrets" || err != nil || len(secret) == 0 {
			http.Error(w, "PUT /secrets with the secret as the body", http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.secrets = append(h.secrets, string(secret))
		name := fmt.Sprintf("handoff-%d", len(h.secrets))
		h.mu.Unlock()
		rcv.Accept(name, string(secret)) // kept beside the earlier ones, as a receiver does during a rotation
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	h.URL = srv.URL
	return h
}

func (h *handOffEndpoint) handedOver() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.secrets...)
}

// TestAccSellfernDeliveries_sealedSecretOpenedEphemerally: the delivery-signature check with a secret that is never in
// state. The webhook's secret is sealed to an age key; the sellfern_webhook_secret ephemeral resource opens it, and
// a provisioner hands it to the receiver (its environment, then curl on stdin). What Sellfern delivers then verifies,
// as it arrives, with exactly the secret handed over, which is the one the mock issued; state holds nothing of it.
// After a rotation the hand-off runs again, and deliveries verify with the new secret.
func TestAccSellfernDeliveries_sealedSecretOpenedEphemerally(t *testing.T) {
	m, rcv := deliveringMock(t)
	handOff := startHandOff(t, rcv)
	alice := newAgeKey(t)
	cfg := func(gen int) string {
		return sealedConfig(m, recipientsHCL(alice.recipient()), "  rotate_when_changed = "+generation(gen), createBeforeDestroy) +
			openSealed + fmt.Sprintf(`
resource "terraform_data" "receiver_secret" {
  triggers_replace = sellfern_webhook.test.secret_sealed

  provisioner "local-exec" {
    command = "printf '%%s' \"$SIGNING_SECRET\" | curl -sSf -X PUT --data-binary @- \"$RECEIVER/secrets\""
    environment = {
      SIGNING_SECRET = ephemeral.sellfern_webhook_secret.test.secret
      RECEIVER       = %q
    }
  }
}
`, handOff.URL)
	}
	// verifiedWithHandOff emits order.created and checks that it arrived once, verified as it arrived with the n-th
	// secret handed over, which is the secret the mock issued to the webhook now in state, and that Sellfern
	// recorded the receiver's 204.
	verifiedWithHandOff := func(n int) statecheck.StateCheck {
		return stateCheckFunc(func(s *tfjson.State) error {
			v, err := resourceValues(s, sellfernAddr)
			if err != nil {
				return err
			}
			w, ok := m.SellfernWebhook(fmt.Sprint(v["id"]))
			handed := handOff.handedOver()
			switch {
			case !ok:
				return fmt.Errorf("the mock has no webhook %v", v["id"])
			case len(handed) != n:
				return fmt.Errorf("%d secrets were handed to the receiver, want %d", len(handed), n)
			case handed[n-1] != w.Secret:
				return fmt.Errorf("hand-off #%d is not the secret the mock issued to %s", n, w.ID)
			}
			em, err := m.EmitSellfernEvent("order.created", map[string]any{"checked_by": "sealed delivery test"})
			if err != nil {
				return err
			}
			arrivals := rcv.Take()
			want := fmt.Sprintf("handoff-%d", n)
			if len(arrivals) != 1 || arrivals[0].VerifiedWith != want || arrivals[0].Status != http.StatusNoContent || arrivals[0].EventID() != em.EventID {
				return fmt.Errorf("the receiver got %+v, want event %s verified on arrival with %s and answered 204", arrivals, em.EventID, want)
			}
			if len(em.Deliveries) != 1 || em.Deliveries[0].StatusCode != http.StatusNoContent || !em.Deliveries[0].Success {
				return fmt.Errorf("Sellfern recorded %+v, want the receiver's 204", em.Deliveries)
			}
			return nil
		})
	}
	identity := config.Variables{"identity": config.StringVariable(alice.keyFile())}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config:          cfg(1),
				ConfigVariables: identity,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan(), noPlaintextInPlan(m)},
				},
				ConfigStateChecks: []statecheck.StateCheck{verifiedWithHandOff(1), noPlaintextInState(m), sealedOpens(m, []ageKey{alice})},
			},
			{
				Config:          cfg(2),
				ConfigVariables: identity,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(sellfernAddr, plancheck.ResourceActionCreateBeforeDestroy),
						plancheck.ExpectResourceAction("terraform_data.receiver_secret", plancheck.ResourceActionReplace),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{verifiedWithHandOff(2), noPlaintextInState(m), mockHolds(m, 1, 0)},
			},
		},
		CheckDestroy: func(*terraform.State) error { return nothingArrives(m, rcv) },
	})
}
