// Command demo is `make demo`: it starts the bundled mock server on a loopback port, installs the freshly built
// provider through a filesystem mirror, and runs a real CLI on examples/demo, narrating each step: init, apply, a
// second plan that must show no changes, deliveries to a local receiver that verifies their signatures with the
// secret from state, a rotation of a signing secret (the new webhook made before the old one is deleted, both
// delivering meanwhile), and, on a CLI that has them, `terraform query` and `terraform apply -invoke`; signing
// secrets sealed to an age key, one at create and one in place, and opened by the sellfern_webhook_secret ephemeral
// resource (sealed.go); then destroy. It exits non-zero if any step misbehaves, including a token, a webhook secret
// or the age identity showing up in the CLI's output or in its TRACE log.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"

	goversion "github.com/hashicorp/go-version"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/tfrun"
)

func main() {
	providerBinary := flag.String("provider", "bin/terraform-provider-webhooks", "the built provider binary")
	version := flag.String("version", "0.1.0", "the version the provider was built as")
	example := flag.String("example", "examples/demo", "the Terraform configuration to run")
	keep := flag.Bool("keep", false, "keep the work directory (state, trace log) for inspection")
	cli := flag.String("cli", "", "the CLI to run: terraform (on PATH), terraform-newest or tofu (pinned, built if need be), or a binary's path (default: $TF_ACC_TERRAFORM_PATH, else terraform)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *providerBinary, *version, *example, *cli, *keep); err != nil {
		fmt.Fprintf(os.Stderr, "\nDEMO FAILED: %v\n", err)
		os.Exit(1)
	}
	fmt.Println("\nDemo finished: every step behaved.")
}

func step(format string, args ...any) {
	fmt.Printf("\n==> "+format+"\n", args...)
}

func run(ctx context.Context, providerBinary, version, example, cli string, keep bool) error {
	cliBinary, err := tfrun.ResolveCLI(ctx, cli, os.Stderr)
	if err != nil {
		return err
	}
	cliVersion, err := tfrun.VersionOf(ctx, cliBinary)
	if err != nil {
		return err
	}
	mock := mockserver.New(mockserver.Options{Shuffle: true})
	if err := mock.Start("127.0.0.1:0"); err != nil {
		return err
	}
	defer mock.Close()
	step("Started the mock Sellfern and SelSup APIs at %s (it answers lists and arrays in random order, as a real API may)", mock.URL())

	root, err := os.MkdirTemp("", "webhooks-demo-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Printf("    work directory kept at %s\n", root)
	} else {
		defer os.RemoveAll(root)
	}
	ws, err := tfrun.NewWorkspace(root, providerBinary, version)
	if err != nil {
		return err
	}
	ws.Terraform = cliBinary
	if err := ws.CopyConfig(example); err != nil {
		return err
	}
	traceLog := filepath.Join(root, "terraform-trace.log")
	ws.Env = []string{
		"SELLFERN_TOKEN=" + mockserver.DemoSellfernToken,
		"SELLFERN_BASE_URL=" + mock.SellfernBaseURL(),
		"SELSUP_API_KEY=" + mockserver.DemoSelSupKey,
		"SELSUP_BASE_URL=" + mock.SelSupBaseURL(),
		// Everything Terraform and the provider log goes to a file that is searched for secrets at the end.
		"TF_LOG=TRACE",
		"TF_LOG_PATH=" + traceLog,
	}
	ws.Echo = &indented{}
	fmt.Printf("    CLI: %s (%s)\n", cliVersion, cliBinary)
	fmt.Printf("    provider seed/webhooks %s installed in a filesystem mirror; CLI config %s\n", version, ws.CLIConfig)
	fmt.Printf("    configuration: %s (credentials come from SELLFERN_* and SELSUP_* environment variables)\n", example)

	var transcript strings.Builder
	terraform := func(args ...string) (tfrun.Result, error) {
		res, err := ws.Run(ctx, args...)
		transcript.WriteString(res.Output)
		if err != nil {
			return res, err
		}
		if res.ExitCode != 0 {
			return res, fmt.Errorf("terraform %s exited with %d", strings.Join(args, " "), res.ExitCode)
		}
		return res, nil
	}

	step("terraform init: installs the provider offline, from the mirror")
	if _, err := terraform("init", "-no-color"); err != nil {
		return err
	}

	step("terraform apply: creates two Sellfern webhooks and one SelSup webhook")
	res, err := terraform("apply", "-auto-approve", "-no-color")
	if err != nil {
		return err
	}
	if !sensitiveSecret.MatchString(res.Output) {
		return errors.New("the plan did not show the Sellfern secret as (sensitive value)")
	}
	if !strings.Contains(res.Output, "Apply complete! Resources: 3 added, 0 changed, 0 destroyed.") {
		return errors.New("apply did not report 3 resources added")
	}

	step("Checking the mock: what Terraform recorded is what the services hold")
	identities, err := compareStateWithMock(ctx, ws, mock)
	if err != nil {
		return err
	}
	fmt.Printf("    Sellfern holds %d webhooks, SelSup %d; every id and the Sellfern secrets in state match what the mock issued\n",
		len(mock.SellfernWebhooks()), len(mock.SelSupWebhooks()))
	fmt.Printf("    %s\n", identities)

	step("terraform plan again: must say \"No changes\" (refresh reads everything back in a new order)")
	before := mock.Stats()
	res, err = terraform("plan", "-detailed-exitcode", "-no-color")
	if err != nil {
		return fmt.Errorf("%w: the second plan is not empty", err)
	}
	if !strings.Contains(res.Output, "No changes.") {
		return errors.New("the second plan did not say \"No changes.\"")
	}
	after := mock.Stats()
	fmt.Printf("    the refresh of 3 webhooks cost %d Sellfern list call(s) and %d SelSup list call(s)\n",
		after.Requests["sellfern.list"]-before.Requests["sellfern.list"], after.Requests["selsup.list"]-before.Requests["selsup.list"])

	ordersID, err := withDeliveries(ctx, ws, mock, func() (string, error) { return rotate(ctx, ws, mock, terraform) })
	if err != nil {
		return err
	}
	if err := newestFeatures(ws, mock, cliVersion, ordersID, terraform); err != nil {
		return err
	}
	identity, err := sealSecrets(ctx, ws, mock, terraform)
	if err != nil {
		return err
	}

	step("terraform destroy: removes every webhook")
	if _, err := terraform("destroy", "-auto-approve", "-no-color", rotated); err != nil {
		return err
	}
	if n, m := len(mock.SellfernWebhooks()), len(mock.SelSupWebhooks()); n+m != 0 {
		return fmt.Errorf("after destroy the mock still holds %d Sellfern and %d SelSup webhooks", n, m)
	}
	fmt.Println("    the mock holds no webhooks")

	step("Searching Terraform's output and its TRACE log for the token, the API key, every webhook secret and the age identity")
	trace, err := os.ReadFile(traceLog)
	if err != nil {
		return fmt.Errorf("reading the trace log: %w", err)
	}
	// Every secret the mock ever issued: the rotated-out one too.
	secrets := append(mock.IssuedSellfernSecrets(), mockserver.DemoSellfernToken, mockserver.DemoSelSupKey, identity)
	for _, where := range []struct{ name, text string }{{"Terraform's output", transcript.String()}, {"the TRACE log", string(trace)}} {
		for _, s := range secrets {
			if strings.Contains(where.text, s) {
				return fmt.Errorf("a secret (%s…) appears in %s", s[:6], where.name)
			}
		}
	}
	fmt.Printf("    none of %d secrets appears in %d bytes of output or %d bytes of TRACE log\n",
		len(secrets), transcript.Len(), len(trace))
	return nil
}

// rotated is the variable setting that rotates the orders webhook's signing secret; every command after the
// rotation passes it, so that the configuration stays the one applied.
const rotated = "-var=signing_secret_generation=2"

// sensitiveSecret is how a plan shows a Sellfern secret (Terraform aligns the "=" of a block's attributes).
var sensitiveSecret = regexp.MustCompile(`secret +=\s+\(sensitive value\)`)

// rotate applies a new signing_secret_generation: Terraform must create the new orders webhook, then delete the old
// one, leaving a new id and a new secret in state that match the mock, and nothing to do afterwards. It returns the
// new webhook's id.
func rotate(ctx context.Context, ws *tfrun.Workspace, mock *mockserver.Server, terraform func(...string) (tfrun.Result, error)) (string, error) {
	before, err := readState(ctx, ws)
	if err != nil {
		return "", err
	}
	old := before.values("sellfern_webhook.orders")
	oldID, _ := old["id"].(string)

	step("Rotating the orders webhook's signing secret: terraform apply %s (rotate_when_changed with create_before_destroy)", rotated)
	res, err := terraform("apply", "-auto-approve", "-no-color", rotated)
	if err != nil {
		return "", err
	}
	for _, want := range []string{"+/- create replacement and then destroy", "sellfern_webhook.orders must be replaced",
		"# forces replacement", "Apply complete! Resources: 1 added, 0 changed, 1 destroyed."} {
		if !strings.Contains(res.Output, want) {
			return "", fmt.Errorf("the rotation's apply did not say %q", want)
		}
	}
	if _, err := compareStateWithMock(ctx, ws, mock); err != nil {
		return "", err
	}
	after, err := readState(ctx, ws)
	if err != nil {
		return "", err
	}
	rotatedValues := after.values("sellfern_webhook.orders")
	newID, _ := rotatedValues["id"].(string)
	switch {
	case newID == "" || newID == oldID:
		return "", fmt.Errorf("sellfern_webhook.orders is still %s after the rotation", oldID)
	case rotatedValues["secret"] == old["secret"]:
		return "", errors.New("the rotated webhook has the old signing secret")
	}
	journal := mock.Journal()
	created := mockserver.JournalIndex(journal, "sellfern", mockserver.JournalCreate, newID)
	deleted := mockserver.JournalIndex(journal, "sellfern", mockserver.JournalDelete, oldID)
	if created < 0 || deleted < created {
		return "", fmt.Errorf("the mock's journal does not show %s created before %s was deleted: %+v", newID, oldID, journal)
	}
	fmt.Printf("    sellfern_webhook.orders: %s -> %s, with a new secret (in state, matching the mock); the mock's journal: "+
		"the new webhook created (entry %d) before the old one was deleted (entry %d), so no event went undelivered\n",
		oldID, newID, created+1, deleted+1)

	step("terraform plan %s again: the rotation is done, \"No changes\"", rotated)
	res, err = terraform("plan", "-detailed-exitcode", "-no-color", rotated)
	if err != nil {
		return "", fmt.Errorf("%w: the plan after the rotation is not empty", err)
	}
	if !strings.Contains(res.Output, "No changes.") {
		return "", errors.New("the plan after the rotation did not say \"No changes.\"")
	}
	return newID, nil
}

// The configuration the demo adds on a CLI with list resources and actions (Terraform 1.14 or later): examples/demo
// itself stays valid on every CLI.
const (
	demoQuery = `list "sellfern_webhook" "all" {
  provider = webhooks
}

list "selsup_webhook" "all" {
  provider = webhooks
}
`
	demoAction = `action "sellfern_send_test_event" "orders" {
  provider = webhooks
  config {
    webhook_id = sellfern_webhook.orders.id
  }
}
`
)

// newestFeatures runs `terraform query` and `terraform apply -invoke` where the CLI has them, and says why not
// elsewhere.
func newestFeatures(ws *tfrun.Workspace, mock *mockserver.Server, cliVersion, ordersID string, terraform func(...string) (tfrun.Result, error)) error {
	product, number, _ := strings.Cut(cliVersion, " v")
	v, err := goversion.NewVersion(number)
	if err != nil {
		return fmt.Errorf("%s: %w", cliVersion, err)
	}
	if product != "Terraform" || v.LessThan(goversion.Must(goversion.NewVersion("1.14.0"))) {
		step("terraform query and terraform apply -invoke: skipped")
		fmt.Printf("    list resources and actions need Terraform 1.14 or later, and %s has neither\n", cliVersion)
		return nil
	}
	for name, text := range map[string]string{"demo.tfquery.hcl": demoQuery, "actions.tf": demoAction} {
		if err := os.WriteFile(filepath.Join(ws.ConfigDir, name), []byte(text), 0o644); err != nil {
			return err
		}
	}

	step("terraform query: list blocks find every webhook of both accounts (written to demo.tfquery.hcl)")
	for _, line := range strings.Split(strings.TrimSpace(demoQuery), "\n") {
		fmt.Println("    + " + line)
	}
	res, err := terraform("query", "-no-color")
	if err != nil {
		return err
	}
	for _, w := range mock.SellfernWebhooks() {
		if !strings.Contains(res.Output, "id="+w.ID) {
			return fmt.Errorf("terraform query did not find Sellfern webhook %s", w.ID)
		}
	}
	for _, w := range mock.SelSupWebhooks() {
		if !strings.Contains(res.Output, fmt.Sprintf("id=%d", w.ID)) {
			return fmt.Errorf("terraform query did not find SelSup webhook %d", w.ID)
		}
	}

	step("terraform apply -invoke: the sellfern_send_test_event action sends the rotated webhook one test event (written to actions.tf)")
	for _, line := range strings.Split(strings.TrimSpace(demoAction), "\n") {
		fmt.Println("    + " + line)
	}
	deliveries := len(mock.SellfernDeliveries(ordersID))
	res, err = terraform("apply", "-auto-approve", "-no-color", rotated, "-invoke=action.sellfern_send_test_event.orders")
	if err != nil {
		return err
	}
	if !strings.Contains(res.Output, "Actions: 1 invoked.") || mock.Count("sellfern.test") != 1 || len(mock.SellfernDeliveries(ordersID)) != deliveries+1 {
		return fmt.Errorf("apply -invoke did not send exactly one test event to %s (the mock saw %d test calls)", ordersID, mock.Count("sellfern.test"))
	}
	return nil
}

// demoState is what the demo reads of `terraform show -json`.
type demoState struct {
	TerraformVersion string `json:"terraform_version"`
	Values           struct {
		RootModule struct {
			Resources []struct {
				Address  string         `json:"address"`
				Mode     string         `json:"mode"`
				Values   map[string]any `json:"values"`
				Identity map[string]any `json:"identity"`
			} `json:"resources"`
		} `json:"root_module"`
	} `json:"values"`
}

// readState reads the state without printing it: it holds secrets.
func readState(ctx context.Context, ws *tfrun.Workspace) (demoState, error) {
	var state demoState
	saved := ws.Echo
	ws.Echo = nil
	defer func() { ws.Echo = saved }()
	res, err := ws.Run(ctx, "show", "-json")
	if err != nil || res.ExitCode != 0 {
		return state, fmt.Errorf("terraform show -json failed: %v", err)
	}
	if err := json.Unmarshal([]byte(res.Output), &state); err != nil {
		return state, fmt.Errorf("reading terraform show -json: %w", err)
	}
	return state, nil
}

// values returns the attribute values of the managed resource at address.
func (s demoState) values(address string) map[string]any {
	for _, r := range s.Values.RootModule.Resources {
		if r.Address == address && r.Mode == "managed" {
			return r.Values
		}
	}
	return nil
}

// compareStateWithMock reads the state and checks it against the mock, and each resource's identity against its
// id. It returns a line that shows the identities, or says that the CLI records none (resource identity needs
// Terraform 1.12 or OpenTofu 1.12).
func compareStateWithMock(ctx context.Context, ws *tfrun.Workspace, mock *mockserver.Server) (string, error) {
	state, err := readState(ctx, ws)
	if err != nil {
		return "", err
	}
	cli, err := goversion.NewVersion(state.TerraformVersion)
	if err != nil {
		return "", fmt.Errorf("terraform show -json names no version: %w", err)
	}
	recordsIdentity := !cli.LessThan(goversion.Must(goversion.NewVersion("1.12.0")))
	var identities []string
	checked := 0
	for _, r := range state.Values.RootModule.Resources {
		if r.Mode != "managed" {
			continue
		}
		id := fmt.Sprint(r.Values["id"])
		if recordsIdentity {
			if got := fmt.Sprint(r.Identity["id"]); got != id {
				return "", fmt.Errorf("%s: identity in state is %v, want { id = %q }", r.Address, r.Identity, id)
			}
			identities = append(identities, fmt.Sprintf("%s { id = %q }", r.Address, id))
		}
		switch {
		case strings.HasPrefix(r.Address, "sellfern_webhook."):
			w, ok := mock.SellfernWebhook(id)
			if !ok {
				return "", fmt.Errorf("%s: the mock has no webhook %s", r.Address, id)
			}
			if r.Values["secret"] != w.Secret {
				return "", fmt.Errorf("%s: the secret in state is not the one the mock issued", r.Address)
			}
		case strings.HasPrefix(r.Address, "selsup_webhook."):
			found := false
			for _, w := range mock.SelSupWebhooks() {
				found = found || fmt.Sprint(w.ID) == id
			}
			if !found {
				return "", fmt.Errorf("%s: the mock has no webhook %s", r.Address, id)
			}
		}
		checked++
	}
	if checked != 3 {
		return "", fmt.Errorf("state holds %d managed resources, want 3", checked)
	}
	if !recordsIdentity {
		return fmt.Sprintf("identity: Terraform v%s records none (it needs Terraform 1.12 or OpenTofu 1.12; run the demo "+
			"with %s naming a newer CLI to see it)", cli, tfrun.EnvCLI), nil
	}
	return "identity in state: " + strings.Join(identities, ", "), nil
}

// indented echoes Terraform's output, line by line, indented under the step that ran it.
type indented struct{ partial []byte }

func (w *indented) Write(p []byte) (int, error) {
	w.partial = append(w.partial, p...)
	for {
		i := strings.IndexByte(string(w.partial), '\n')
		if i < 0 {
			return len(p), nil
		}
		fmt.Println("    | " + string(w.partial[:i]))
		w.partial = w.partial[i+1:]
	}
}
