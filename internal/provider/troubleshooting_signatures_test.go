package provider

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/seed/terraform-provider-webhooks/examples/resources/sellfern_webhook/verify"
	"github.com/seed/terraform-provider-webhooks/internal/apitest"
	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

// The troubleshooting guide's "A signature does not verify" entries are failures of the receiver, not of the
// provider: Terraform shows them through the sellfern_send_test_event action, whose error quotes the receiver's
// answer. Each scenario below builds its entry's cause for real: the mock delivers the test event, signed, to a
// receiver on loopback that holds the webhook's secret read from Terraform's state after a first apply and answers
// as the resource page's example does (401 "signature does not verify"); the second apply triggers the test event
// and must fail with the guide's quote. Once the test is over, each checks the guide's way of telling the causes
// apart: whether the bytes that arrived verify with the secret from state.

// signatureConfig is a webhook that rotates with generation gen; with trigger, its creates and updates send a test
// event.
func signatureConfig(m *mockserver.Server, gen int, trigger bool, events string) string {
	lifecycle := "    create_before_destroy = true\n"
	if trigger {
		lifecycle += `
    action_trigger {
      events  = [after_create, after_update]
      actions = [action.sellfern_send_test_event.orders]
    }
`
	}
	return providerConfig(m) + fmt.Sprintf(`
resource "sellfern_webhook" "orders" {
  provider = webhooks
  url      = "https://hooks.example.com/sellfern/orders"
  events   = %s

  rotate_when_changed = { generation = "%d" }

  lifecycle {
%s  }
}

action "sellfern_send_test_event" "orders" {
  provider = webhooks
  config {
    webhook_id = sellfern_webhook.orders.id
  }
}
`, events, gen, lifecycle)
}

// signatureScenario is one entry's scenario: the receiver rcv (behind whatever the entry puts in front of it) gets
// the webhook's secret from state after the first step, and the second step's test event must fail. diagnose, run
// once the test is over unless it was skipped or failed, checks what arrived against the webhook the first step
// left in state.
func signatureScenario(build func(t *testing.T, m *mockserver.Server, rcv *apitest.Receiver) (second string, diagnose func(first stateWebhook) error)) troubleshootingScenario {
	return troubleshootingScenario{
		versionChecks: []tfversion.TerraformVersionCheck{cliHasActions},
		steps: func(t *testing.T, m *mockserver.Server) []resource.TestStep {
			rcv := apitest.StartReceiver(t)
			if err := m.SetDeliverTo(rcv.URL); err != nil {
				t.Fatal(err)
			}
			second, diagnose := build(t, m, rcv)
			var first stateWebhook
			t.Cleanup(func() {
				if t.Skipped() || t.Failed() {
					return
				}
				if err := diagnose(first); err != nil {
					t.Error(err)
				}
			})
			return []resource.TestStep{
				{
					Config: signatureConfig(m, 1, false, `["order.created"]`),
					ConfigStateChecks: []statecheck.StateCheck{stateCheckFunc(func(s *tfjson.State) error {
						hooks, err := sellfernWebhooksInState(s)
						first = hooks[triggeredAddr]
						rcv.Accept("from state", first.secret)
						return err
					})},
				},
				{Config: second},
			}
		},
	}
}

// onlyArrival is the one delivery the receiver got.
func onlyArrival(rcv *apitest.Receiver) (apitest.Arrival, error) {
	got := rcv.Arrivals()
	if len(got) != 1 {
		return apitest.Arrival{}, fmt.Errorf("the receiver got %d deliveries, want the test event: %+v", len(got), got)
	}
	return got[0], nil
}

// The scenarios of the three entries, registered in troubleshootingScenarios under their headings.
var (
	// The receiver verifies the body as it would after parsing it and serialising it again; the raw bytes verify.
	signatureParsedFirst = signatureScenario(
		func(_ *testing.T, m *mockserver.Server, rcv *apitest.Receiver) (string, func(stateWebhook) error) {
			rcv.VerifyInstead(func(body []byte) []byte {
				var parsed map[string]any
				if err := json.Unmarshal(body, &parsed); err != nil {
					return body
				}
				again, _ := json.Marshal(parsed)
				return again
			})
			return signatureConfig(m, 1, true, `["order.created", "order.updated"]`), func(first stateWebhook) error {
				a, err := onlyArrival(rcv)
				if err == nil && !a.VerifiesWith(first.secret) {
					err = fmt.Errorf("the raw body does not verify with the secret from state either: %s", a.Body)
				}
				return err
			}
		})
	// The receiver keeps the secret of the webhook a rotation replaces; the new webhook signs with its own.
	signatureOldSecret = signatureScenario(
		func(_ *testing.T, m *mockserver.Server, rcv *apitest.Receiver) (string, func(stateWebhook) error) {
			return signatureConfig(m, 2, true, `["order.created"]`), func(old stateWebhook) error {
				a, err := onlyArrival(rcv)
				j := m.Journal()
				tested := slices.IndexFunc(j, func(e mockserver.JournalEntry) bool { return e.Op == mockserver.JournalTest })
				switch {
				case err != nil:
					return err
				case tested < 0 || j[tested].ID == old.id:
					return fmt.Errorf("journal %+v: want the test event sent to the new webhook, not to %s", j, old.id)
				case a.VerifiesWith(old.secret):
					return fmt.Errorf("the new webhook's test event verifies with the old secret: %+v", a)
				}
				return nil
			}
		})
	// A proxy in front of the receiver pretty-prints the JSON it forwards; what the mock sent verifies.
	signatureProxy = signatureScenario(
		func(t *testing.T, m *mockserver.Server, rcv *apitest.Receiver) (string, func(stateWebhook) error) {
			var mu sync.Mutex
			var sent [][]byte
			proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				mu.Lock()
				sent = append(sent, body)
				mu.Unlock()
				var pretty bytes.Buffer
				if json.Indent(&pretty, body, "", "  ") != nil {
					pretty.Write(body)
				}
				req, err := http.NewRequestWithContext(r.Context(), r.Method, rcv.URL+r.URL.RequestURI(), &pretty)
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadGateway)
					return
				}
				req.Header = r.Header.Clone()
				res, err := (&http.Client{}).Do(req)
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadGateway)
					return
				}
				defer res.Body.Close()
				for k, v := range res.Header {
					w.Header()[k] = v
				}
				w.WriteHeader(res.StatusCode)
				_, _ = io.Copy(w, res.Body)
			}))
			t.Cleanup(proxy.Close)
			if err := m.SetDeliverTo(proxy.URL); err != nil {
				t.Fatal(err)
			}
			return signatureConfig(m, 1, true, `["order.created", "order.updated"]`), func(first stateWebhook) error {
				secret := first.secret
				a, err := onlyArrival(rcv)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					return err
				case len(sent) != 1 || a.VerifiesWith(secret) || !verify.Verified(sent[0], a.Signature, secret):
					return fmt.Errorf("want what the proxy got to verify with the secret from state, and what it forwarded not to: %s", a.Body)
				}
				return nil
			}
		})
)
