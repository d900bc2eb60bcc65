package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/seed/terraform-provider-webhooks/internal/apitest"
	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/sealing"
)

// sealedConfigFor is a webhook sealed to recipient, rotated by var.generation without a gap, another whose secret
// is sealed in place when sealInPlace is set, the ephemeral resource opening the first with var.identity (an
// ephemeral variable, as users pass it), a hand-off that writes the SHA-256 of the opened secret to handedOff each
// time the sealed secret changes, and outputs of the secret and the sealed secret.
func sealedConfigFor(recipient, handedOff string, sealInPlace bool) string {
	inPlace := ""
	if sealInPlace {
		inPlace = fmt.Sprintf("  secret_recipients = [%q]\n", recipient)
	}
	return fmt.Sprintf(`
variable "generation" {
  type    = number
  default = 1
}

variable "identity" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "sellfern_webhook" "sealed" {
  provider          = webhooks
  url               = "https://hooks.example.com/sealed"
  events            = ["order.created"]
  secret_recipients = [%[1]q]

  rotate_when_changed = { generation = var.generation }

  lifecycle {
    create_before_destroy = true
  }
}

resource "sellfern_webhook" "later" {
  provider = webhooks
  url      = "https://hooks.example.com/later"
  events   = ["order.created"]
%[3]s}

ephemeral "sellfern_webhook_secret" "sealed" {
  provider = webhooks
  sealed   = sellfern_webhook.sealed.secret_sealed
  identity = var.identity
}

resource "terraform_data" "handoff" {
  triggers_replace = sellfern_webhook.sealed.secret_sealed

  provisioner "local-exec" {
    command = "printf '%%s' \"$SIGNING_SECRET\" | sha256sum | cut -d ' ' -f 1 > %[2]s"
    environment = {
      SIGNING_SECRET = ephemeral.sellfern_webhook_secret.sealed.secret
    }
  }
}

output "secret" {
  value     = sellfern_webhook.sealed.secret
  sensitive = true
}

output "secret_sealed" {
  value = sellfern_webhook.sealed.secret_sealed
}
`, recipient, handedOff, inPlace)
}

// TestAccSealedSecretNeverWrittenDown runs a sealed webhook's life with TF_LOG=TRACE: create, an in-place sealing of
// another webhook, a plan that must be empty, a rotation, destroy, each from a saved plan. The secrets Sellfern
// issued to sealed webhooks appear in no state file, no saved plan (nor `show -json` of it), no output of the CLI and
// no line of its TRACE log; neither does the identity. The sealed value opens to exactly what the mock issued, the
// hand-off receives it after each rotation, `terraform output` gives a null secret, and sealing in place makes no
// API call.
func TestAccSealedSecretNeverWrittenDown(t *testing.T) {
	requireAcc(t)
	m := apitest.StartMock(t, mockserver.Options{Seed: 26})
	ws := workspace(t, m)
	identity, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	keyFile := "# created: 2026-05-18T10:00:00Z\n# public key: " + identity.Recipient().String() + "\n" + identity.String() + "\n"
	traceLog := filepath.Join(t.TempDir(), "trace.log")
	handedOff := filepath.Join(t.TempDir(), "handed-off.sha256")
	ws.Env = append(ws.Env, "TF_LOG=TRACE", "TF_LOG_PATH="+traceLog, "TF_VAR_identity="+keyFile)
	var out strings.Builder
	run := func(want int, args ...string) string { t.Helper(); return terraform(t, ws, &out, want, args...) }
	statePath := filepath.Join(ws.ConfigDir, "terraform.tfstate")
	planFile := filepath.Join(ws.ConfigDir, "sealed.tfplan")
	var saved []string // every saved plan and its JSON, searched at the end
	planned := func(args ...string) string {
		t.Helper()
		text := run(0, append([]string{"plan", "-out=" + planFile}, args...)...)
		raw, err := os.ReadFile(planFile)
		if err != nil {
			t.Fatal(err)
		}
		// Not part of the transcript: show -json prints the prior state, sensitive values included, by design.
		shown, err := ws.Run(context.Background(), "show", "-json", planFile)
		if err != nil || shown.ExitCode != 0 {
			t.Fatalf("terraform show -json %s: %v (exit %d)", planFile, err, shown.ExitCode)
		}
		saved = append(saved, string(raw), shown.Output)
		return text
	}
	sealedSecrets := func() []string {
		t.Helper()
		var secrets []string
		for _, w := range m.SellfernWebhooks() {
			if w.URL == "https://hooks.example.com/sealed" || w.URL == "https://hooks.example.com/later" {
				secrets = append(secrets, w.Secret)
			}
		}
		return secrets
	}
	checkOpens := func() {
		t.Helper()
		sealed := strings.TrimSpace(run(0, "output", "-raw", "secret_sealed")) + "\n"
		id := fmt.Sprint(showState(t, ws)["sellfern_webhook.sealed"].Values["id"])
		w, ok := m.SellfernWebhook(id)
		if !ok {
			t.Fatalf("the mock has no webhook %s", id)
		}
		got, err := sealing.Open(sealed, keyFile)
		if err != nil || got != w.Secret {
			t.Fatalf("secret_sealed does not open to the secret the mock issued for %s (err %v)", id, err)
		}
		sum := sha256.Sum256([]byte(w.Secret))
		if written, err := os.ReadFile(handedOff); err != nil || strings.TrimSpace(string(written)) != hex.EncodeToString(sum[:]) {
			t.Fatalf("the hand-off did not receive the secret of %s (%v)", id, err)
		}
		// An output whose value is null is not stored at all.
		var outputs map[string]struct {
			Value any `json:"value"`
		}
		if err := json.Unmarshal([]byte(run(0, "output", "-json")), &outputs); err != nil {
			t.Fatal(err)
		}
		if o, ok := outputs["secret"]; ok && o.Value != nil {
			t.Fatal("terraform output has a secret, want null")
		}
	}

	writeConfig(t, ws, sealedConfigFor(identity.Recipient().String(), handedOff, false))
	run(0, "init")
	// The plan shows the sealed secret as known after apply, and no secret at all.
	sealedPlan := planBlock(t, planned(), "sellfern_webhook.sealed will be created")
	wantAll(t, sealedPlan, `+ secret_sealed = (known after apply)`, `+ secret_recipients = [`)
	for _, line := range strings.Split(sealedPlan, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == "secret" {
			t.Errorf("the plan of a sealed webhook plans a secret (%s):\n%s", strings.TrimSpace(line), sealedPlan)
		}
	}
	run(0, "apply", planFile)
	checkOpens()
	later := m.SellfernWebhooks()
	var laterSecret string
	for _, w := range later {
		if w.URL == "https://hooks.example.com/later" {
			laterSecret = w.Secret
		}
	}

	// Sealing the other webhook in place: no API call; its plaintext leaves the state file.
	writeConfig(t, ws, sealedConfigFor(identity.Recipient().String(), handedOff, true))
	before := m.Stats().Requests
	wantAll(t, planned(), "sellfern_webhook.later will be updated in-place", "Plan: 0 to add, 1 to change, 0 to destroy.")
	run(0, "apply", planFile)
	after := m.Stats().Requests
	for _, route := range []string{"sellfern.create", "sellfern.update", "sellfern.delete"} {
		if after[route] != before[route] {
			t.Errorf("sealing in place made %d %s calls, want none", after[route]-before[route], route)
		}
	}
	if plan := run(0, "plan", "-detailed-exitcode"); !strings.Contains(plan, "No changes.") {
		t.Fatalf("the plan after sealing in place is not empty:\n%s", plan)
	}

	// A rotation: a new webhook, a new secret, handed off again; the old webhook deleted after.
	wantAll(t, planned("-var=generation=2"), "sellfern_webhook.sealed must be replaced", "+/- create replacement and then destroy")
	run(0, "apply", planFile)
	checkOpens()
	if plan := run(0, "plan", "-detailed-exitcode", "-var=generation=2"); !strings.Contains(plan, "No changes.") {
		t.Fatalf("the plan after the rotation is not empty:\n%s", plan)
	}
	state, err := os.ReadFile(statePath)
	if err != nil {
		t.Fatal(err)
	}
	// Every secret ever issued to the sealed webhook (the rotated-out one too), and the one sealed in place, which
	// the state file held before that apply and must not hold any more.
	secrets := map[string]string{"the in-place sealed secret": laterSecret}
	for i, s := range m.IssuedSellfernSecrets() {
		if s != laterSecret {
			secrets[fmt.Sprintf("sealed webhook secret #%d", i+1)] = s
		}
	}
	if len(secrets) != 3 || len(sealedSecrets()) != 2 {
		t.Fatalf("the mock issued %d secrets and holds %d webhooks: want the two of the sealed webhook and one more", len(secrets), len(sealedSecrets()))
	}
	for name, s := range secrets {
		if strings.Contains(string(state), s) {
			t.Errorf("%s is in the state file", name)
		}
	}
	for i, p := range saved {
		for name, s := range secrets {
			if name != "the in-place sealed secret" && strings.Contains(p, s) {
				t.Errorf("%s is in saved plan #%d (or its show -json)", name, i/2+1)
			}
		}
	}

	run(0, "destroy", "-auto-approve", "-var=generation=2")
	trace, err := os.ReadFile(traceLog)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(trace), "OpenEphemeralResource") {
		t.Fatal("the TRACE log shows no ephemeral resource being opened: the search below would prove less than it claims")
	}
	secrets["the identity"] = identity.String()
	secrets["the identity in lower case"] = strings.ToLower(identity.String())
	for name, s := range secrets {
		checkAbsent(t, name, s, out.String(), string(trace))
	}
	t.Logf("searched %d bytes of output, %d bytes of TRACE log, the state file and %d saved plans for %d secrets: none found",
		out.Len(), len(trace), len(saved)/2, len(secrets))
}

// planBlock is the part of a plan's text about one resource: from the line holding heading to the next resource's.
func planBlock(t *testing.T, plan, heading string) string {
	t.Helper()
	_, rest, found := strings.Cut(plan, heading)
	if !found {
		t.Fatalf("the plan has no %q:\n%s", heading, plan)
	}
	block, _, _ := strings.Cut(rest, "\n  # ")
	return block
}

// sealingVariables are the environment the examples that seal a secret read, as a user sets it: a key pair made
// for the test (the public key, and the private key as age-keygen writes it) and the file a receiver reads.
func sealingVariables(t *testing.T) []string {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return []string{
		"TF_VAR_signing_key_recipient=" + id.Recipient().String(),
		"TF_VAR_signing_key_identity=# public key: " + id.Recipient().String() + "\n" + id.String() + "\n",
		"TF_VAR_receiver_secret_file=" + filepath.Join(t.TempDir(), "receiver-signing-secret"),
	}
}
