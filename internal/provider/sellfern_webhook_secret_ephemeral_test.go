package provider

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

// echoFactories serve this provider and plugin-testing's echo provider, which copies its configuration's data to
// the state of an echo resource: the way a test sees what an ephemeral value held.
var echoFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"webhooks": testAccFactories["webhooks"],
	"echo":     echoprovider.NewProviderServer(),
}

// identityVariable is the identity as users pass it: an ephemeral, sensitive variable.
const identityVariable = `
variable "identity" {
  type      = string
  sensitive = true
  ephemeral = true
}
`

// openSealed is the ephemeral resource opening the test webhook's sealed secret with var.identity.
const openSealed = identityVariable + `
ephemeral "sellfern_webhook_secret" "test" {
  provider = webhooks
  sealed   = sellfern_webhook.test.secret_sealed
  identity = var.identity
}
`

// handOff is a consumer of the opened secret, run when the sealed secret changes.
const handOff = `
resource "terraform_data" "handoff" {
  triggers_replace = sellfern_webhook.test.secret_sealed

  provisioner "local-exec" {
    command = "true"
    environment = {
      SIGNING_SECRET = ephemeral.sellfern_webhook_secret.test.secret
    }
  }
}
`

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// mockSecretHash is a state check's view of the SHA-256 of the secret the mock holds for the test webhook.
func mockSecretHash(m *mockserver.Server, s *tfjson.State) (string, error) {
	v, err := resourceValues(s, sellfernAddr)
	if err != nil {
		return "", err
	}
	w, ok := m.SellfernWebhook(fmt.Sprint(v["id"]))
	if !ok || w.Secret == "" {
		return "", fmt.Errorf("the mock has no webhook %v with a secret", v["id"])
	}
	return sha256Hex(w.Secret), nil
}

// TestAccSellfernWebhookSecret_reachesConsumers: the ephemeral resource opens the sealed secret to exactly what the
// mock issued, and its value reaches a provider's configuration (plugin-testing's echo provider, given its SHA-256)
// and a provisioner's environment (local-exec writing its SHA-256 to a file), while state holds nothing of it. After
// a rotation the hand-off (a terraform_data replaced when secret_sealed changes) runs again with the new secret.
func TestAccSellfernWebhookSecret_reachesConsumers(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	alice := newAgeKey(t)
	handedOff := filepath.Join(t.TempDir(), "handed-off.sha256")
	cfg := func(gen int) string {
		webhook := sealedConfig(m, recipientsHCL(alice.recipient()), "  rotate_when_changed = "+generation(gen), createBeforeDestroy)
		// The echo provider, required beside this one (a module has one required_providers block).
		webhook = strings.Replace(webhook, "required_providers {\n", "required_providers {\n    echo = {\n      source = \"seed/echo\"\n    }\n", 1)
		return webhook + openSealed + fmt.Sprintf(`
provider "echo" {
  data = sha256(ephemeral.sellfern_webhook_secret.test.secret)
}

# The echo resource copies its provider's data when it is created: made again with each new webhook.
resource "echo" "secret_hash" {
  lifecycle {
    replace_triggered_by = [sellfern_webhook.test.id]
  }
}

# The hand-off to a receiver, again whenever the sealed secret changes (a rotation).
resource "terraform_data" "handoff" {
  triggers_replace = sellfern_webhook.test.secret_sealed

  provisioner "local-exec" {
    command = "printf '%%s' \"$SIGNING_SECRET\" | sha256sum | cut -d ' ' -f 1 > %s"
    environment = {
      SIGNING_SECRET = ephemeral.sellfern_webhook_secret.test.secret
    }
  }
}
`, handedOff)
	}
	reached := stateCheckFunc(func(s *tfjson.State) error {
		want, err := mockSecretHash(m, s)
		if err != nil {
			return err
		}
		echoed, err := resourceValues(s, "echo.secret_hash")
		if err != nil {
			return err
		}
		if echoed["data"] != want {
			return fmt.Errorf("the echo provider was given %v, not the SHA-256 of the secret the mock issued", echoed["data"])
		}
		written, err := os.ReadFile(handedOff)
		if err != nil {
			return fmt.Errorf("the provisioner wrote nothing: %w", err)
		}
		if got := strings.TrimSpace(string(written)); got != want {
			return fmt.Errorf("the provisioner's environment held a secret whose SHA-256 is %s, not the mock's %s", got, want)
		}
		return nil
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: echoFactories,
		Steps: []resource.TestStep{
			{
				Config:          cfg(1),
				ConfigVariables: config.Variables{"identity": config.StringVariable(alice.keyFile())},
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan(), noPlaintextInPlan(m)},
				},
				ConfigStateChecks: []statecheck.StateCheck{reached, noPlaintextInState(m), noIdentityInState(alice)},
			},
			{
				Config:          cfg(2),
				ConfigVariables: config.Variables{"identity": config.StringVariable(alice.keyFile())},
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(sellfernAddr, plancheck.ResourceActionCreateBeforeDestroy),
						plancheck.ExpectResourceAction("terraform_data.handoff", plancheck.ResourceActionReplace),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					reached,
					noPlaintextInState(m),
					mockHolds(m, 1, 0),
					statecheck.ExpectKnownValue("echo.secret_hash", tfjsonpath.New("data"), knownvalue.NotNull()),
				},
			},
		},
	})
}

// noIdentityInState checks that the state holds nothing of an identity.
func noIdentityInState(k ageKey) statecheck.StateCheck {
	return stateCheckFunc(func(s *tfjson.State) error {
		raw, err := json.Marshal(s)
		if err != nil {
			return err
		}
		if strings.Contains(strings.ToUpper(string(raw)), k.id.String()[16:]) {
			return fmt.Errorf("the state holds the identity")
		}
		return nil
	})
}

// TestAccSellfernWebhookSecret_wrongIdentity: an identity that is not a recipient fails, the error naming it by its
// public key and holding none of its private key; a malformed identity is refused at plan time by line, never
// quoted either.
func TestAccSellfernWebhookSecret_wrongIdentity(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	alice, eve := newAgeKey(t), newAgeKey(t)
	mistyped := alice.id.String()
	mistyped = mistyped[:40] + flipCase(mistyped[40]) + mistyped[41:]
	var failures atomic.Int32
	expect := func(parts ...string) func(error) error {
		return func(err error) error {
			msg := err.Error()
			for _, secret := range []string{alice.id.String()[16:], eve.id.String()[16:], mistyped[16:], strings.ToLower(eve.id.String()[16:])} {
				if strings.Contains(strings.ReplaceAll(msg, "\n", ""), secret) {
					return fmt.Errorf("the error holds an identity: %v", err)
				}
			}
			if !errorContaining(parts...).MatchString(msg) {
				return err
			}
			failures.Add(1)
			return nil
		}
	}
	var check func(error) error
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		ErrorCheck:               func(err error) error { return check(err) },
		Steps: []resource.TestStep{
			{
				Config: sealedConfig(m, recipientsHCL(alice.recipient())),
			},
			{
				PreConfig: func() {
					check = expect("Cannot open the sealed signing secret", "the secret was not sealed to the identity of "+eve.recipient()[:24])
				},
				Config:          sealedConfig(m, recipientsHCL(alice.recipient())) + openSealed + handOff,
				ConfigVariables: config.Variables{"identity": config.StringVariable(eve.keyFile())},
			},
			{
				PreConfig: func() {
					check = expect("Invalid identity", "line 3 of the identity is not a valid age identity", "its checksum does not match")
				},
				Config:          sealedConfig(m, recipientsHCL(alice.recipient())) + openSealed + handOff,
				ConfigVariables: config.Variables{"identity": config.StringVariable("# created: today\n\n" + mistyped + "\n")},
			},
			{
				PreConfig: func() {
					check = expect("Invalid identity", "line 1 of the identity is a recipient (a public key), not an identity")
				},
				Config:          sealedConfig(m, recipientsHCL(alice.recipient())) + openSealed + handOff,
				ConfigVariables: config.Variables{"identity": config.StringVariable(alice.recipient())},
			},
			{
				PreConfig: func() {
					if n := failures.Load(); n != 3 {
						t.Fatalf("%d of the 3 steps with a wrong identity failed as they should", n)
					}
					check = func(err error) error { return err }
				},
				Config:          sealedConfig(m, recipientsHCL(alice.recipient())) + openSealed + handOff,
				ConfigVariables: config.Variables{"identity": config.StringVariable(alice.keyFile())},
			},
		},
	})
}

// flipCase changes a character of Bech32's alphabet into another.
func flipCase(c byte) string {
	if c == 'Q' {
		return "P"
	}
	return "Q"
}
