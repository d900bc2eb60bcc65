package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/sealing"
	"github.com/seed/terraform-provider-webhooks/internal/tfrun"
)

// The configuration the demo adds to keep signing secrets out of state: a new webhook whose secret is sealed from
// the start, the support webhook's secret sealed in place (an override file adds secret_recipients to its block),
// and the sellfern_webhook_secret ephemeral resource handing the sealed secret to a receiver, here a command that
// writes its SHA-256 to a file. The key pair is made by the demo; users make theirs with age-keygen.
const (
	demoSealed = `variable "demo_age_recipient" {
  type = string
}

variable "demo_age_identity" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "sellfern_webhook" "sealed" {
  provider = webhooks

  url               = "https://hooks.example.com/sellfern/expenses"
  events            = ["expense.created"]
  secret_recipients = [var.demo_age_recipient]
}

ephemeral "sellfern_webhook_secret" "sealed" {
  provider = webhooks
  sealed   = sellfern_webhook.sealed.secret_sealed
  identity = var.demo_age_identity
}

# The endpoints the account delivers to, read once every webhook is made, the sealed one included (the override
# file points the output at it): main.tf's list depends on the webhooks main.tf knows, and would race this create.
data "sellfern_webhooks" "after_sealing" {
  provider = webhooks

  depends_on = [sellfern_webhook.orders, sellfern_webhook.support, sellfern_webhook.sealed]
}

resource "terraform_data" "sealed_handoff" {
  triggers_replace = sellfern_webhook.sealed.secret_sealed

  provisioner "local-exec" {
    command = "printf '%s' \"$SIGNING_SECRET\" | sha256sum | cut -d ' ' -f 1 > handed-off.sha256"
    environment = {
      SIGNING_SECRET = ephemeral.sellfern_webhook_secret.sealed.secret
    }
  }
}
`
	demoSealedOverride = `resource "sellfern_webhook" "support" {
  secret_recipients = [var.demo_age_recipient]
}

output "sellfern_endpoints" {
  value = sort(distinct([for w in data.sellfern_webhooks.after_sealing.webhooks : w.url]))
}
`
)

// sealSecrets shows secret_recipients and the ephemeral resource on the demo's configuration: the plan holds no
// secret, state only the sealed ones, sealing in place costs no API call, each sealed secret opens to what the mock
// issued, and the ephemeral resource hands it over without state holding it. It returns the identity, for the
// final search of the output and the TRACE log.
func sealSecrets(ctx context.Context, ws *tfrun.Workspace, mock *mockserver.Server, terraform func(...string) (tfrun.Result, error)) (string, error) {
	identity, err := age.GenerateX25519Identity()
	if err != nil {
		return "", err
	}
	recipient := identity.Recipient().String()
	keyFile := "# created by the demo\n# public key: " + recipient + "\n" + identity.String() + "\n"
	ws.Env = append(ws.Env, "TF_VAR_demo_age_recipient="+recipient, "TF_VAR_demo_age_identity="+keyFile)
	for name, text := range map[string]string{"sealed.tf": demoSealed, "sealed_override.tf": demoSealedOverride} {
		if err := os.WriteFile(filepath.Join(ws.ConfigDir, name), []byte(text), 0o644); err != nil {
			return "", err
		}
	}

	step("Keeping signing secrets out of state: a key pair like age-keygen's (public key %s), and sealed.tf and sealed_override.tf", recipient)
	for _, line := range strings.Split(strings.TrimSpace(demoSealed+"\n"+demoSealedOverride), "\n") {
		fmt.Println("    + " + line)
	}
	step("terraform plan -out: the new webhook plans no secret at all, and secret_sealed known after apply; support is sealed in place")
	res, err := terraform("plan", "-no-color", "-out=sealed.tfplan", rotated)
	if err != nil {
		return "", err
	}
	created, _, _ := strings.Cut(after(res.Output, "# sellfern_webhook.sealed will be created"), "\n  # ")
	for _, want := range []string{"secret_sealed     = (known after apply)", "sellfern_webhook.support will be updated in-place",
		"Plan: 2 to add, 1 to change, 0 to destroy."} {
		if !strings.Contains(res.Output, want) {
			return "", fmt.Errorf("the plan does not say %q", want)
		}
	}
	for _, line := range strings.Split(created, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == "secret" {
			return "", fmt.Errorf("the plan of a webhook with secret_recipients plans a secret: %s", strings.TrimSpace(line))
		}
	}

	step("terraform apply sealed.tfplan")
	before := mock.Stats().Requests
	if _, err := terraform("apply", "-no-color", "sealed.tfplan"); err != nil {
		return "", err
	}
	requests := mock.Stats().Requests
	if n := requests["sellfern.create"] - before["sellfern.create"]; n != 1 || requests["sellfern.update"] != before["sellfern.update"] {
		return "", fmt.Errorf("the apply made %d creates and %d updates, want 1 create (the new webhook) and no update (sealing in place needs none)",
			n, requests["sellfern.update"]-before["sellfern.update"])
	}
	fmt.Println("    the apply made 1 create (the new webhook) and no update: support's secret was sealed in place, with no API call")

	step("What state holds now (terraform show -json): no secret, only the sealed ones")
	state, err := readState(ctx, ws)
	if err != nil {
		return "", err
	}
	raw, err := os.ReadFile(filepath.Join(ws.ConfigDir, "terraform.tfstate"))
	if err != nil {
		return "", err
	}
	for _, address := range []string{"sellfern_webhook.sealed", "sellfern_webhook.support"} {
		v := state.values(address)
		sealed, _ := v["secret_sealed"].(string)
		w, ok := mock.SellfernWebhook(fmt.Sprint(v["id"]))
		switch {
		case !ok:
			return "", fmt.Errorf("%s: the mock has no webhook %v", address, v["id"])
		case v["secret"] != nil:
			return "", fmt.Errorf("%s: state still holds a secret", address)
		case strings.Contains(string(raw), w.Secret):
			return "", fmt.Errorf("%s: the state file holds its secret in plain text", address)
		}
		lines := strings.Split(strings.TrimSpace(sealed), "\n")
		fmt.Printf("    %s: id = %v, secret = null, secret_recipients = %v,\n      secret_sealed = %s\n        %s\n        … (%d lines)\n",
			address, v["id"], v["secret_recipients"], lines[0], lines[1], len(lines))
		opened, err := sealing.Open(sealed, keyFile)
		if err != nil {
			return "", fmt.Errorf("%s: the demo's identity cannot open secret_sealed: %w", address, err)
		}
		if opened != w.Secret {
			return "", fmt.Errorf("%s: secret_sealed opens to another secret than the mock issued", address)
		}
		fmt.Printf("      opened with the identity (as `age --decrypt -i KEYFILE` does): the secret the mock issued, SHA-256 %s…\n", fingerprint(opened))
		if address == "sellfern_webhook.sealed" {
			handed, err := os.ReadFile(filepath.Join(ws.ConfigDir, "handed-off.sha256"))
			if err != nil {
				return "", fmt.Errorf("the hand-off wrote nothing: %w", err)
			}
			if strings.TrimSpace(string(handed)) != fingerprintFull(w.Secret) {
				return "", errors.New("the ephemeral resource handed another secret to the provisioner than the mock issued")
			}
			fmt.Printf("      the sellfern_webhook_secret ephemeral resource gave the provisioner the same secret (SHA-256 %s…), and state holds nothing of it\n",
				fingerprint(opened))
		}
	}
	if strings.Contains(string(raw), identity.String()) {
		return "", errors.New("the state file holds the identity")
	}

	step("terraform plan again: \"No changes\" (the ephemeral resource is opened again, and changes nothing)")
	res, err = terraform("plan", "-detailed-exitcode", "-no-color", rotated)
	if err != nil {
		return "", fmt.Errorf("%w: the plan after sealing is not empty", err)
	}
	if !strings.Contains(res.Output, "No changes.") {
		return "", errors.New("the plan after sealing did not say \"No changes.\"")
	}
	return identity.String(), nil
}

// after is the text of s after the first sep, or "".
func after(s, sep string) string {
	_, rest, _ := strings.Cut(s, sep)
	return rest
}

func fingerprintFull(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// fingerprint is the start of a secret's SHA-256, which the demo shows instead of the secret.
func fingerprint(s string) string { return fingerprintFull(s)[:12] }
