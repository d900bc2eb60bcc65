package provider

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/seed/terraform-provider-webhooks/internal/apitest"
	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/tfrun"
)

// actionsCLI returns the CLI the acceptance tests run (TF_ACC_TERRAFORM_PATH, else terraform on PATH, as
// plugin-testing picks it), or skips the test, like the tests plugin-testing drives, unless TF_ACC is set and
// plugin-testing's own version check finds a CLI with actions.
func actionsCLI(t *testing.T) string {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("Acceptance tests skipped unless env 'TF_ACC' set")
	}
	cli, err := tfrun.DefaultCLI()
	if err != nil {
		t.Fatal(err)
	}
	apitest.SkipBelow(t, cli, tfversion.Version1_14_0)
	return cli
}

// cliWorkspace builds the provider and installs it for cli from a filesystem mirror, as a user's Terraform finds it.
func cliWorkspace(t *testing.T, cli string) *tfrun.Workspace {
	t.Helper()
	const providerVersion = "0.0.1"
	binary := filepath.Join(t.TempDir(), "terraform-provider-webhooks")
	build := exec.Command("go", "build", "-ldflags", "-X main.version="+providerVersion, "-o", binary, "../..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the provider: %v\n%s", err, out)
	}
	ws, err := tfrun.NewWorkspace(t.TempDir(), binary, providerVersion)
	if err != nil {
		t.Fatal(err)
	}
	ws.Terraform = cli
	return ws
}

// TestAccSellfernSendTestEventInvoked runs the action as a user does by hand, which plugin-testing cannot:
// `terraform plan -invoke` and `terraform apply -invoke` with the real CLI. Each invocation is one test call, the
// mock's count says so, and the output is what the user reads.
func TestAccSellfernSendTestEventInvoked(t *testing.T) {
	cli := actionsCLI(t)
	m := accMock(t, mockserver.Options{})
	ws := cliWorkspace(t, cli)
	const url = "https://hooks.example.com/orders"
	// The request timeout outlasts the answer the mock holds back when Ctrl-C is tested, so that only the interrupt
	// can end that call early.
	config := providerConfigWith(m, mockserver.DemoSellfernToken, mockserver.DemoSelSupKey, `request_timeout = "10m"`) + `
resource "sellfern_webhook" "orders" {
  provider = webhooks
  url      = "` + url + `"
  events   = ["order.created"]
}

action "sellfern_send_test_event" "orders" {
  provider = webhooks
  config {
    webhook_id = sellfern_webhook.orders.id
  }
}

action "sellfern_send_test_event" "missing" {
  provider = webhooks
  config {
    webhook_id = "wh_0000000000000000"
  }
}
`
	if err := os.WriteFile(filepath.Join(ws.ConfigDir, "main.tf"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	// Everything Terraform prints and logs is searched for the token and the signing secrets at the end.
	traceLog := filepath.Join(t.TempDir(), "trace.log")
	ws.Env = append(ws.Env, "TF_LOG=TRACE", "TF_LOG_PATH="+traceLog)
	var printed strings.Builder
	run := func(want int, args ...string) string {
		t.Helper()
		res, err := ws.Run(context.Background(), append(args, "-no-color")...)
		if err != nil {
			t.Fatal(err)
		}
		printed.WriteString(res.Output)
		t.Logf("$ terraform %s\n%s", strings.Join(args, " "), res.Output)
		if res.ExitCode != want {
			t.Fatalf("terraform %s exited %d, want %d", strings.Join(args, " "), res.ExitCode, want)
		}
		return strings.Join(strings.Fields(res.Output), " ") // Terraform wraps long lines
	}
	tests := 0 // test calls the mock should have seen so far
	check := func(out string, fragments ...string) {
		t.Helper()
		if got := m.Count("sellfern.test"); got != tests {
			t.Errorf("the mock saw %d test calls, want %d", got, tests)
		}
		for _, f := range fragments {
			if !strings.Contains(out, f) {
				t.Errorf("the output lacks %q", f)
			}
		}
	}
	invoke := func(name string) []string {
		return []string{"apply", "-auto-approve", "-invoke=action.sellfern_send_test_event." + name}
	}

	run(0, "init")
	check(run(0, "apply", "-auto-approve")) // nothing triggers the action, so creating the webhook tests nothing
	id := m.SellfernWebhooks()[0].ID

	check(run(0, "plan", "-invoke=action.sellfern_send_test_event.orders"),
		"Actions: 1 to invoke", "action.sellfern_send_test_event.orders will be invoked", `webhook_id = "`+id+`"`)

	tests++
	out := run(0, invoke("orders")...)
	check(out, "Sending a test event to Sellfern webhook "+id,
		"Sellfern webhook "+id+", test delivery "+m.SellfernDeliveries(id)[0].ID+": the endpoint answered HTTP 200",
		"Actions: 1 invoked.")

	t.Run("a failed delivery", func(t *testing.T) {
		m.SetSellfernEndpointFailure(url, 500, "handler crashed: nil map")
		defer m.SetSellfernEndpointFailure(url, 200, "")
		tests++
		check(run(1, invoke("orders")...), "Error: Webhook endpoint failed the test event",
			"Sellfern webhook "+id+", test delivery "+m.SellfernDeliveries(id)[0].ID+": the endpoint answered HTTP 500: handler crashed: nil map")
	})

	t.Run("an endpoint's error that quotes the signing secret", func(t *testing.T) {
		m.SetSellfernEndpointFailure(url, 401, "signature mismatch: expected "+m.SellfernWebhooks()[0].Secret)
		defer m.SetSellfernEndpointFailure(url, 200, "")
		tests++
		check(run(1, invoke("orders")...), "the endpoint answered HTTP 401: signature mismatch: expected ***")
	})

	t.Run("an unknown webhook", func(t *testing.T) {
		tests++
		check(run(1, invoke("missing")...), "Error: Sellfern webhook not found",
			`Sellfern has no webhook with id "wh_0000000000000000" in this account, so no test event was sent.`)
	})

	t.Run("a 5xx on the test call is not repeated", func(t *testing.T) {
		m.SetFaults(mockserver.FaultOptions{Rate: 1, Kinds: []mockserver.FaultKind{mockserver.Fault503}, Routes: []string{"sellfern.test"}})
		defer m.SetFaults(mockserver.FaultOptions{})
		tests++ // one, however many retries the provider allows other calls
		check(run(1, invoke("orders")...), "Error: Could not send a Sellfern test event", "HTTP 503",
			"the test call was not repeated: Sellfern may have sent the test event already, and a repeat would send it twice")
	})

	t.Run("an answer without its delivery", func(t *testing.T) {
		m.SetSellfernTestOmitsDelivery(true)
		defer m.SetSellfernTestOmitsDelivery(false)
		lookups := m.Count("sellfern.deliveries")
		tests++
		check(run(0, invoke("orders")...), "names no delivery; looking for it among the webhook's deliveries",
			"test delivery "+m.SellfernDeliveries(id)[0].ID+", found among its deliveries: the endpoint answered HTTP 200")
		if got := m.Count("sellfern.deliveries") - lookups; got != 1 {
			t.Errorf("%d look-ups of the deliveries, want 1", got)
		}
	})

	t.Run("Ctrl-C while Sellfern holds the answer", func(t *testing.T) {
		// Once the plan has listed the webhooks, every answer is held back for a minute, the test call's above
		// all; the interrupt comes as soon as that call arrives. Terraform waits for the provider to finish the
		// invocation, so an invocation that ends well within the minute proves the call was cancelled.
		// terraform-plugin-go sends no final event for an invocation Terraform stopped, so the action's own error
		// (the unit tests check it) never reaches the output, and Terraform reports the apply as complete.
		const held = time.Minute
		arrived := make(chan struct{}, 1)
		m.OnRequest(func(route string) {
			switch route {
			case "sellfern.list":
				m.SetResponseDelay(held)
			case "sellfern.test":
				select {
				case arrived <- struct{}{}:
				default:
				}
			}
		})
		defer func() { m.OnRequest(nil); m.SetResponseDelay(0) }()
		var output bytes.Buffer
		started := time.Now()
		cmd, err := ws.Start(context.Background(), &output, append(invoke("orders"), "-no-color")...)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-arrived:
		case <-time.After(2 * time.Minute):
			_ = cmd.Process.Kill()
			t.Fatalf("the test call never arrived:\n%s", output.String())
		}
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		err = cmd.Wait()
		elapsed := time.Since(started)
		t.Logf("$ terraform %s, interrupted (%v after %s)\n%s", strings.Join(invoke("orders"), " "), err, elapsed.Round(time.Millisecond), output.String())
		if elapsed >= held {
			t.Errorf("the invocation ended after %s, once Sellfern answered: the interrupt did not cancel the call", elapsed)
		}
		printed.WriteString(output.String())
		tests++
		check(strings.Join(strings.Fields(output.String()), " "), "Interrupt received.",
			"Sending a test event to Sellfern webhook "+id)
	})

	trace, err := os.ReadFile(traceLog)
	if err != nil {
		t.Fatal(err)
	}
	// The search only means something if the provider's own lines about the test call reached the log.
	if !bytes.Contains(trace, []byte("API request")) || !bytes.Contains(trace, []byte("Sent a Sellfern test event")) {
		t.Fatal("the TRACE log holds none of the provider's lines about the test call: the search below would prove nothing")
	}
	for i, secret := range append(m.IssuedSellfernSecrets(), mockserver.DemoSellfernToken) {
		if strings.Contains(printed.String(), secret) || bytes.Contains(trace, []byte(secret)) {
			t.Errorf("secret #%d (%.8s…) appears in Terraform's output or TRACE log", i, secret)
		}
	}
}
