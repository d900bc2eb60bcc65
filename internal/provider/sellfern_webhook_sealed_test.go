package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"filippo.io/age"
	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/sealing"
)

const sealedURL = "https://hooks.example.com/sellfern/sealed"

// ageKey is an age key pair made for one test.
type ageKey struct{ id *age.X25519Identity }

func newAgeKey(t *testing.T) ageKey {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return ageKey{id}
}

func (k ageKey) recipient() string { return k.id.Recipient().String() }

// keyFile is the identity as age-keygen writes it, comments included.
func (k ageKey) keyFile() string {
	return "# created: 2026-05-18T10:00:00Z\n# public key: " + k.recipient() + "\n" + k.id.String() + "\n"
}

// hcl is a set of recipients as HCL.
func recipientsHCL(keys ...string) string {
	quoted := make([]string, len(keys))
	for i, k := range keys {
		quoted[i] = fmt.Sprintf("%q", k)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// sealedConfig is sellfern_webhook.test with the recipients given as HCL ("" leaves the argument out) and more
// lines of its body.
func sealedConfig(m *mockserver.Server, recipients string, more ...string) string {
	body := fmt.Sprintf("  url    = %q\n  events = [\"order.created\"]\n", sealedURL)
	if recipients != "" {
		body += "\n  secret_recipients = " + recipients + "\n"
	}
	for _, line := range more {
		body += "\n" + line + "\n"
	}
	return sellfernConfig(m, body)
}

const createBeforeDestroy = "  lifecycle {\n    create_before_destroy = true\n  }"

// sealedOpens checks the test webhook in state: secret null, and secret_sealed opening, with the identity of each of
// openers, to exactly the secret the mock issued for the webhook, and with each of strangers' not at all.
func sealedOpens(m *mockserver.Server, openers []ageKey, strangers ...ageKey) statecheck.StateCheck {
	const address = sellfernAddr
	return stateCheckFunc(func(s *tfjson.State) error {
		v, err := resourceValues(s, address)
		if err != nil {
			return err
		}
		if v["secret"] != nil {
			return fmt.Errorf("%s: secret is not null in state although it has secret_recipients", address)
		}
		sealed, _ := v["secret_sealed"].(string)
		w, ok := m.SellfernWebhook(fmt.Sprint(v["id"]))
		switch {
		case !strings.HasPrefix(sealed, "-----BEGIN AGE ENCRYPTED FILE-----\n"):
			return fmt.Errorf("%s: secret_sealed is not ASCII-armored age: %q", address, sealed)
		case !ok || w.Secret == "":
			return fmt.Errorf("%s: the mock has no webhook %v with a secret", address, v["id"])
		}
		for i, k := range openers {
			got, err := sealing.Open(sealed, k.keyFile())
			if err != nil {
				return fmt.Errorf("%s: recipient #%d cannot open secret_sealed: %v", address, i+1, err)
			}
			if got != w.Secret {
				return fmt.Errorf("%s: secret_sealed opens to another secret than the mock issued", address)
			}
		}
		for i, k := range strangers {
			if _, err := sealing.Open(sealed, k.keyFile()); !errors.Is(err, sealing.ErrNotRecipient) {
				return fmt.Errorf("%s: identity #%d, not a recipient, did not fail as one: %v", address, i+1, err)
			}
		}
		return nil
	})
}

// issuedSecretIn says which secret the mock ever issued appears in v (a state or a plan, as JSON), or returns nil.
func issuedSecretIn(m *mockserver.Server, what string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	issued := m.IssuedSellfernSecrets()
	if len(issued) == 0 {
		return fmt.Errorf("the mock issued no secret: the search of the %s proves nothing", what)
	}
	for i, secret := range issued {
		if strings.Contains(string(raw), secret) {
			return fmt.Errorf("secret #%d the mock issued is in the %s", i+1, what)
		}
	}
	return nil
}

// noPlaintextInState checks that no secret the mock ever issued appears anywhere in the state, sensitive values
// included (terraform show -json holds them).
func noPlaintextInState(m *mockserver.Server) statecheck.StateCheck {
	return stateCheckFunc(func(s *tfjson.State) error { return issuedSecretIn(m, "state", s) })
}

// noPlaintextInPlan is noPlaintextInState for a plan (terraform show -json of the saved plan, prior state included).
func noPlaintextInPlan(m *mockserver.Server) plancheck.PlanCheck {
	return planCheckFunc(func(p *tfjson.Plan) error { return issuedSecretIn(m, "plan", p) })
}

// TestAccSellfernWebhook_sealedSecret: a webhook created with secret_recipients keeps only the sealed secret, which
// opens with each recipient's identity to exactly the secret Sellfern issued, and with another identity not at all;
// the plaintext is in neither plan nor state. The same keys in another order and spelling plan nothing, an update
// in place keeps the sealed value, and adding a recipient or removing them all replaces the webhook (a new secret,
// without a gap under create_before_destroy).
func TestAccSellfernWebhook_sealedSecret(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	alice, bob, eve := newAgeKey(t), newAgeKey(t), newAgeKey(t)
	sameSealed := statecheck.CompareValue(compare.ValuesSame())
	first, second := &recordedID{addr: sellfernAddr}, &recordedID{addr: sellfernAddr}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config: sealedConfig(m, recipientsHCL(alice.recipient()), createBeforeDestroy),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(sellfernAddr, plancheck.ResourceActionCreate),
						plancheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("secret"), knownvalue.Null()),
						plancheck.ExpectUnknownValue(sellfernAddr, tfjsonpath.New("secret_sealed")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan(), noPlaintextInPlan(m)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					sealedOpens(m, []ageKey{alice}, eve),
					noPlaintextInState(m),
					sellfernMatchesMock(m, sellfernAddr, false), // no secret: it is sealed
					sameSealed.AddStateValue(sellfernAddr, tfjsonpath.New("secret_sealed")),
					first,
				},
			},
			{
				// The same key in capitals, written twice: nothing to do.
				Config: sealedConfig(m, recipientsHCL(strings.ToUpper(alice.recipient()), " "+alice.recipient()), createBeforeDestroy),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// An update in place keeps the sealed secret, and the recipients as state spells them.
				Config: sellfernConfig(m, fmt.Sprintf("  url    = %q\n  events = [\"order.created\", \"order.updated\"]\n"+
					"  secret_recipients = %s\n%s\n", sealedURL, recipientsHCL(strings.ToUpper(alice.recipient())), createBeforeDestroy)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(sellfernAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("secret"), knownvalue.Null()),
						plancheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("secret_recipients"),
							knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact(alice.recipient())})),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					sameSealed.AddStateValue(sellfernAddr, tfjsonpath.New("secret_sealed")),
					sealedOpens(m, []ageKey{alice}, bob),
					mockCounts(m, map[string]int{"sellfern.create": 1, "sellfern.update": 1, "sellfern.delete": 0}),
				},
			},
			{
				// Another recipient: nobody can read the secret to seal it to bob too, so a new webhook brings a new one.
				Config: sealedConfig(m, recipientsHCL(alice.recipient(), bob.recipient()), createBeforeDestroy),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(sellfernAddr, plancheck.ResourceActionCreateBeforeDestroy),
						plancheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("secret"), knownvalue.Null()),
						plancheck.ExpectUnknownValue(sellfernAddr, tfjsonpath.New("secret_sealed")),
						requiresReplace(sellfernAddr, "secret_recipients"),
						noPlaintextInPlan(m),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					sealedOpens(m, []ageKey{alice, bob}, eve),
					replacedWithoutGap(m, first),
					mockHolds(m, 1, 0),
					noPlaintextInState(m),
					second,
				},
			},
			{
				// No recipients any more: the secret goes back to state, so it must be one that state can hold.
				Config: sealedConfig(m, "", createBeforeDestroy),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(sellfernAddr, plancheck.ResourceActionCreateBeforeDestroy),
						plancheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("secret_sealed"), knownvalue.Null()),
						plancheck.ExpectUnknownValue(sellfernAddr, tfjsonpath.New("secret")),
						requiresReplace(sellfernAddr, "secret_recipients"),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					sellfernMatchesMock(m, sellfernAddr, true),
					statecheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("secret_sealed"), knownvalue.Null()),
					replacedWithoutGap(m, second),
					mockHolds(m, 1, 0),
				},
			},
		},
	})
}

// requiresReplace checks that the plan replaces address because of attribute.
func requiresReplace(address, attribute string) plancheck.PlanCheck {
	return planCheckFunc(func(p *tfjson.Plan) error {
		for _, rc := range p.ResourceChanges {
			if rc.Address != address {
				continue
			}
			for _, path := range rc.Change.ReplacePaths {
				if steps, ok := path.([]any); ok && len(steps) > 0 && steps[0] == attribute {
					return nil
				}
			}
			return fmt.Errorf("%s is replaced because of %v, not %s", address, rc.Change.ReplacePaths, attribute)
		}
		return fmt.Errorf("%s is not in the plan", address)
	})
}

// TestAccSellfernWebhook_sealInPlace: secret_recipients added to a webhook whose state holds the plaintext seals
// that secret at the next apply, with no API call and no replacement, and removes the plaintext from state; the
// plan after is empty, and a second plan too.
func TestAccSellfernWebhook_sealInPlace(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	alice, bob := newAgeKey(t), newAgeKey(t)
	sameID := statecheck.CompareValue(compare.ValuesSame())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config: sealedConfig(m, ""),
				ConfigStateChecks: []statecheck.StateCheck{
					sellfernMatchesMock(m, sellfernAddr, true),
					statecheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("secret_sealed"), knownvalue.Null()),
					sameID.AddStateValue(sellfernAddr, tfjsonpath.New("id")),
				},
			},
			{
				PreConfig: func() { m.ResetStats() },
				Config:    sealedConfig(m, recipientsHCL(alice.recipient(), bob.recipient())),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(sellfernAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("secret"), knownvalue.Null()),
						plancheck.ExpectUnknownValue(sellfernAddr, tfjsonpath.New("secret_sealed")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan(), noPlaintextInPlan(m)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					sealedOpens(m, []ageKey{alice, bob}),
					noPlaintextInState(m),
					sameID.AddStateValue(sellfernAddr, tfjsonpath.New("id")),
					mockCounts(m, map[string]int{"sellfern.create": 0, "sellfern.update": 0, "sellfern.delete": 0, "sellfern.test": 0}),
				},
			},
			{
				Config: sealedConfig(m, recipientsHCL(bob.recipient(), alice.recipient())),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

// TestAccSellfernWebhook_sealedRotation: a rotation of a sealed secret with create_before_destroy leaves one
// webhook, whose sealed secret opens to the new secret the mock issued, the old webhook deleted only after the new
// one existed; the plaintext of neither is in state.
func TestAccSellfernWebhook_sealedRotation(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	alice := newAgeKey(t)
	old := &recordedID{addr: sellfernAddr}
	newSealed := statecheck.CompareValue(compare.ValuesDiffer())
	cfg := func(gen int) string {
		return sealedConfig(m, recipientsHCL(alice.recipient()), "  rotate_when_changed = "+generation(gen), createBeforeDestroy)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg(1),
				ConfigStateChecks: []statecheck.StateCheck{
					sealedOpens(m, []ageKey{alice}),
					newSealed.AddStateValue(sellfernAddr, tfjsonpath.New("secret_sealed")),
					old,
				},
			},
			{
				Config: cfg(2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(sellfernAddr, plancheck.ResourceActionCreateBeforeDestroy),
						plancheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("secret"), knownvalue.Null()),
						plancheck.ExpectUnknownValue(sellfernAddr, tfjsonpath.New("secret_sealed")),
						noPlaintextInPlan(m),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					sealedOpens(m, []ageKey{alice}),
					newSealed.AddStateValue(sellfernAddr, tfjsonpath.New("secret_sealed")),
					replacedWithoutGap(m, old),
					mockHolds(m, 1, 0),
					noPlaintextInState(m),
					stateCheckFunc(func(*tfjson.State) error {
						if n := len(m.IssuedSellfernSecrets()); n != 2 {
							return fmt.Errorf("the mock issued %d secrets, want 2 (the first webhook's and the new one's)", n)
						}
						return nil
					}),
				},
			},
		},
	})
}

// recordedNothingSealed is what recipients added to an imported webhook do: an update in place that records them,
// with secret and secret_sealed null and no API call that changes anything, and an empty plan after.
var recordedNothingSealed = struct {
	plan  resource.ConfigPlanChecks
	state func(m *mockserver.Server, id string, k ageKey) []statecheck.StateCheck
}{
	plan: resource.ConfigPlanChecks{
		PreApply: []plancheck.PlanCheck{
			plancheck.ExpectResourceAction(sellfernAddr, plancheck.ResourceActionUpdate),
			plancheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("secret"), knownvalue.Null()),
			plancheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("secret_sealed"), knownvalue.Null()),
		},
		PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
	},
	state: func(m *mockserver.Server, id string, k ageKey) []statecheck.StateCheck {
		return []statecheck.StateCheck{
			statecheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("id"), knownvalue.StringExact(id)),
			statecheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("secret_sealed"), knownvalue.Null()),
			statecheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("secret_recipients"),
				knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact(k.recipient())})),
			mockCounts(m, map[string]int{"sellfern.create": 0, "sellfern.update": 0, "sellfern.delete": 0}),
		}
	},
}

// TestAccSellfernWebhook_sealedAfterImport: import leaves secret, secret_recipients and secret_sealed null. Adding
// recipients then has nothing to seal: they are recorded with a warning, without an API call, and secret_sealed
// stays null; the first rotation gives the webhook a secret sealed to them.
func TestAccSellfernWebhook_sealedAfterImport(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	alice := newAgeKey(t)
	existing := m.SellfernPut(mockserver.SellfernWebhook{URL: sealedURL, Events: []string{"order.created"}, Enabled: true})
	imported := &recordedID{addr: sellfernAddr, id: existing.ID}
	withRecipients := func(gen int) string {
		return sealedConfig(m, recipientsHCL(alice.recipient()), "  rotate_when_changed = "+generation(gen), createBeforeDestroy)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config:             sealedConfig(m, ""),
				ResourceName:       sellfernAddr,
				ImportState:        true,
				ImportStateId:      existing.ID,
				ImportStatePersist: true,
				ImportStateCheck: func(states []*terraform.InstanceState) error {
					for _, attr := range []string{"secret", "secret_sealed", "secret_recipients.#"} {
						if v, ok := states[0].Attributes[attr]; ok {
							return fmt.Errorf("%s after import: want null, got %q", attr, v)
						}
					}
					return nil
				},
			},
			{
				Config:            withRecipients(1),
				ConfigPlanChecks:  recordedNothingSealed.plan,
				ConfigStateChecks: recordedNothingSealed.state(m, existing.ID, alice),
			},
			{
				Config: withRecipients(2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(sellfernAddr, plancheck.ResourceActionCreateBeforeDestroy)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					sealedOpens(m, []ageKey{alice}),
					replacedWithoutGap(m, imported),
					noPlaintextInState(m),
				},
			},
		},
	})
}

// TestAccSellfernWebhook_sealedRecipientsUnknownUntilApply: recipients that come from another resource, known only
// at apply, are sealed to at create, and added to an existing webhook they seal its secret in place.
func TestAccSellfernWebhook_sealedRecipientsUnknownUntilApply(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	alice := newAgeKey(t)
	keys := fmt.Sprintf(`
resource "terraform_data" "keys" {
  input = [%q]
}
`, alice.recipient())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config: sealedConfig(m, "terraform_data.keys.output") + keys,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectUnknownValue(sellfernAddr, tfjsonpath.New("secret_sealed")),
						plancheck.ExpectUnknownValue(sellfernAddr, tfjsonpath.New("secret")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{sealedOpens(m, []ageKey{alice}), noPlaintextInState(m)},
			},
			{
				Config: sealedConfig(m, "") + keys,
			},
			{
				// Replaced by the step before (recipients removed); now added where state holds the plaintext, with a
				// value known only at apply.
				Config: sealedConfig(m, "terraform_data.keys.output") + strings.Replace(keys, "input", "triggers_replace = \"2\"\n  input", 1),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(sellfernAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{sealedOpens(m, []ageKey{alice})},
			},
		},
	})
}

// sealedBadInputs are TestAccBadInput's cases for secret_recipients and the sellfern_webhook_secret ephemeral
// resource: each refused at plan time, before any request.
func sealedBadInputs() []badInput {
	recipients := func(hcl func() string) func(*mockserver.Server) string {
		return func(m *mockserver.Server) string {
			return providerConfig(m) + fmt.Sprintf(`
resource "sellfern_webhook" "bad" {
  provider          = webhooks
  url               = "https://hooks.example.com/sealed"
  events            = ["order.created"]
  secret_recipients = %s
}
`, hcl())
		}
	}
	literal := func(s string) func() string { return func() string { return s } }
	opening := func(sealed, identity string) func(*mockserver.Server) string {
		return func(m *mockserver.Server) string {
			return providerConfig(m) + fmt.Sprintf(`
ephemeral "sellfern_webhook_secret" "bad" {
  provider = webhooks
  sealed   = %q
  identity = %q
}
`, sealed, identity)
		}
	}
	const x25519 = "age17edh7a9yc9dqnx36rdccplu53a4kwzc8wzghwhs4xl4nxpdsqvlsn5gjnl"
	mistyped := x25519[:30] + "q" + x25519[31:]
	return []badInput{
		{name: "secret_recipients not a key", config: recipients(literal(`["https://example.com/keys.txt"]`)),
			want: errorContaining(`Invalid secret_recipients entry`, `"https://example.com/keys.txt" is not an age recipient: give an age public key (age1…, from age-keygen) or an SSH public key`)},
		{name: "secret_recipients mistyped", config: recipients(literal(recipientsHCL(x25519, mistyped))),
			want: errorContaining(`Invalid secret_recipients entry`, fmt.Sprintf(`%q is not a valid age recipient (age1…): its checksum does not match (a character is mistyped or missing).`, mistyped))},
		{name: "secret_recipients a private key", config: recipients(literal(`["AGE-SECRET-KEY-19FVZDAPZJSZNN3WT4NL25AZSLSNR7Y7GQP5DLGJ027EG47Z9JYYQ5NA2FP"]`)),
			want: errorContaining(`Invalid secret_recipients entry`, `An entry is a private key, not a recipient: give its public key`)},
		{name: "secret_recipients empty", config: recipients(literal(`[]`)),
			want: errorContaining(`Invalid secret_recipients`, `secret_recipients is empty, so there is no one to seal the signing secret to.`)},
		{name: "secret_recipients an ecdsa key", config: recipients(literal(`["ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg= ops@bastion"]`)),
			want: errorContaining(`Invalid secret_recipients entry`, `is an SSH key of type ecdsa-sha2-nistp256, which age cannot encrypt to`)},
		{name: "secret_recipients mixes post-quantum and classic", config: recipients(func() string {
			pq, err := age.GenerateHybridIdentity()
			if err != nil {
				panic(err)
			}
			return recipientsHCL(pq.Recipient().String(), x25519)
		}), want: errorContaining(`Invalid secret_recipients`, `cannot be mixed with others (age17edh7a9yc9dqnx36rdccplu53a4kwzc8wzghwhs4xl4nxpdsqvlsn5gjnl)`)},
		{name: "sellfern_webhook_secret sealed not age", config: opening("whsec_notsealed", "AGE-SECRET-KEY-19FVZDAPZJSZNN3WT4NL25AZSLSNR7Y7GQP5DLGJ027EG47Z9JYYQ5NA2FP"),
			want: errorContaining(`Invalid sealed`, `Not a sealed secret: it does not start with -----BEGIN AGE ENCRYPTED FILE-----`)},
		{name: "sellfern_webhook_secret identity and sealed swapped", config: opening("AGE-SECRET-KEY-19FVZDAPZJSZNN3WT4NL25AZSLSNR7Y7GQP5DLGJ027EG47Z9JYYQ5NA2FP", "-----BEGIN AGE ENCRYPTED FILE-----"),
			want: errorContaining(`Invalid sealed`, `Are the sealed value and the identity swapped?`)},
		{name: "sellfern_webhook_secret identity not a key", config: opening("-----BEGIN AGE ENCRYPTED FILE-----", "# my key\nhunter2"),
			want: errorContaining(`Invalid identity`, `Not an age identity: line 2 of the identity is not a key: an age key file holds AGE-SECRET-KEY-1… lines`)},
	}
}

// TestAgeRecipientsValidator: the validator of secret_recipients, called directly.
func TestAgeRecipientsValidator(t *testing.T) {
	const x25519 = "age17edh7a9yc9dqnx36rdccplu53a4kwzc8wzghwhs4xl4nxpdsqvlsn5gjnl"
	set := func(elems ...attr.Value) types.Set { return types.SetValueMust(types.StringType, elems) }
	for name, c := range map[string]struct {
		value types.Set
		want  string
	}{
		"one key":               {set(str(x25519)), ""},
		"upper case and spaces": {set(str(" " + strings.ToUpper(x25519))), ""},
		"null":                  {types.SetNull(types.StringType), ""},
		"unknown":               {types.SetUnknown(types.StringType), ""},
		"an unknown entry":      {set(str(x25519), types.StringUnknown()), ""},
		"a bad entry among unknown ones": {set(str("nope"), types.StringUnknown()),
			`"nope" is not an age recipient`},
		"empty":      {set(), "secret_recipients is empty"},
		"null entry": {set(types.StringNull()), "holds a null entry"},
		"two bad entries, each named": {set(str("age1abc"), str("ssh-dss AAAA")),
			`"age1abc" is not a valid age recipient (age1…): its length or encoding is wrong.` + "\n" + `"ssh-dss AAAA" is not a valid SSH public key`},
	} {
		t.Run(name, func(t *testing.T) {
			resp := &validator.SetResponse{}
			ageRecipients().ValidateSet(context.Background(), validator.SetRequest{Path: path.Root("secret_recipients"), ConfigValue: c.value}, resp)
			var details []string
			for _, d := range resp.Diagnostics.Errors() {
				details = append(details, d.Detail())
			}
			got := strings.Join(details, "\n")
			switch {
			case c.want == "" && got != "":
				t.Errorf("refused with %q, want it accepted", got)
			case c.want != "" && !strings.Contains(strings.ToLower(got), strings.ToLower(c.want)):
				t.Errorf("got %q, want an error containing %q", got, c.want)
			}
		})
	}
}

// TestAccSellfernWebhook_sealedRecipientsInvalidAtApply: recipients known only at apply that are not keys are
// refused before the webhook is created, so that no webhook exists whose secret could be kept nowhere.
func TestAccSellfernWebhook_sealedRecipientsInvalidAtApply(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{{
			Config: sealedConfig(m, "terraform_data.keys.output") + `
resource "terraform_data" "keys" {
  input = ["ssh-dss AAAAB3NzaC1kc3M= old@host"]
}
`,
			ExpectError: errorContaining("Invalid secret_recipients entry", `"ssh-dss AAAAB3NzaC1kc3M= old@host" is not a valid SSH public key`),
		}},
		CheckDestroy: func(*terraform.State) error {
			if n := m.Count("sellfern.create"); n != 0 || len(m.SellfernWebhooks()) != 0 {
				return fmt.Errorf("%d creates reached the mock, which holds %d webhooks: want none", n, len(m.SellfernWebhooks()))
			}
			return nil
		},
	})
}

// TestAccSellfernWebhook_sealedImportBlock: an import block into a resource block with secret_recipients imports the
// webhook and records the recipients in the same apply, without an API call that changes anything; secret and
// secret_sealed stay null, and the next plan is empty.
func TestAccSellfernWebhook_sealedImportBlock(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	alice := newAgeKey(t)
	existing := m.SellfernPut(mockserver.SellfernWebhook{URL: sealedURL, Events: []string{"order.created"}, Enabled: true})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{{
			Config: sealedConfig(m, recipientsHCL(alice.recipient())) + fmt.Sprintf(`
import {
  provider = webhooks
  to       = sellfern_webhook.test
  id       = %q
}
`, existing.ID),
			ConfigPlanChecks:  recordedNothingSealed.plan,
			ConfigStateChecks: recordedNothingSealed.state(m, existing.ID, alice),
		}},
	})
}
