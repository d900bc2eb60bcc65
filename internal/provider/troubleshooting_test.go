package provider

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/tfrun"
)

// troubleshootingGuide is the page users read; it is generated from templates/guides/troubleshooting.md.tmpl, and
// `make docs-check` keeps the two the same.
const troubleshootingGuide = "../../docs/guides/troubleshooting.md"

// troubleshootingScenario makes the provider (or the CLI) print the message one entry of the guide quotes. The
// test builds the expected error from the guide itself, so an entry is one scenario here and one section there.
type troubleshootingScenario struct {
	// steps are the test steps, given the test's mock; the last one must fail with the entry's message (the test
	// sets its ExpectError), the ones before it must succeed. For a warning, every step must succeed, and one of
	// them must give the warning.
	steps func(t *testing.T, m *mockserver.Server) []resource.TestStep
	// versionChecks, for a message only newer CLIs can print (an action's).
	versionChecks []tfversion.TerraformVersionCheck
	// initConfig, instead of steps, is a configuration whose `terraform init` prints the message: an error of the
	// CLI's own, before any provider runs.
	initConfig string
}

// plan is a step that plans config and must fail.
func plan(config string) []resource.TestStep {
	return []resource.TestStep{{Config: config, PlanOnly: true}}
}

// importOf is a step that imports id into addr of config and must fail.
func importOf(config, addr, id string) []resource.TestStep {
	return []resource.TestStep{{Config: config, ResourceName: addr, ImportState: true, ImportStateId: id}}
}

const troubleshootingResources = `
resource "sellfern_webhook" "orders" {
  provider = webhooks
  url      = "https://hooks.example.com/sellfern/orders"
  events   = ["order.created"]
}

resource "selsup_webhook" "orders" {
  provider = webhooks
  url      = "https://hooks.example.com/selsup/orders"
  types    = ["CREATE_ORDER"]
}
`

const sellfernWebhooksData = `
data "sellfern_webhooks" "all" {
  provider = webhooks
}
`

// troubleshootingScenarios are keyed by the heading of the guide's entry.
var troubleshootingScenarios = map[string]troubleshootingScenario{
	"Terraform looks for a provider hashicorp/sellfern": {initConfig: tfrun.RequiredProviders("webhooks") + `
resource "sellfern_webhook" "orders" {
  url    = "https://hooks.example.com/sellfern/orders"
  events = ["order.created"]
}
`},
	"Missing Sellfern token": {steps: func(_ *testing.T, m *mockserver.Server) []resource.TestStep {
		return plan(badProvider(badSelSupBlock(m)) + troubleshootingResources)
	}},
	"Missing SelSup API key": {steps: func(_ *testing.T, m *mockserver.Server) []resource.TestStep {
		return plan(badProvider(badSellfernBlock(m)) + troubleshootingResources)
	}},
	"An http:// base URL is refused": {steps: func(_ *testing.T, m *mockserver.Server) []resource.TestStep {
		return plan(badProvider(sellfernWith(`    token    = "sk_live_example"
    base_url = "http://api.sellfern.com"`)(m)) + troubleshootingResources)
	}},
	"The server redirected to another host": {steps: func(t *testing.T, m *mockserver.Server) []resource.TestStep {
		// In front of the mock, a server that redirects every request to another host (localhost for 127.0.0.1),
		// as a base URL naming the wrong host may.
		front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, strings.Replace(m.URL(), "127.0.0.1", "localhost", 1)+r.URL.RequestURI(), http.StatusMovedPermanently)
		}))
		t.Cleanup(front.Close)
		services := tfrun.Services{SellfernToken: mockserver.DemoSellfernToken, SellfernURL: front.URL + "/sellfern",
			SelSupKey: mockserver.DemoSelSupKey, SelSupURL: m.SelSupBaseURL()}
		return plan(services.Config("") + `
data "sellfern_webhooks" "all" {
  provider = webhooks
}
`)
	}},
	"Sellfern: the token is missing, invalid, expired or revoked (401)": {steps: func(_ *testing.T, m *mockserver.Server) []resource.TestStep {
		return plan(providerConfigWith(m, "sk_live_revoked", mockserver.DemoSelSupKey, "") + `
data "sellfern_webhooks" "all" {
  provider = webhooks
}
`)
	}},
	"Sellfern: the token lacks the webhooks:manage scope (403 missing_scope)": {steps: func(_ *testing.T, m *mockserver.Server) []resource.TestStep {
		return plan(providerConfigWith(m, mockserver.NoScopeSellfernToken, mockserver.DemoSelSupKey, "") + `
data "sellfern_webhooks" "all" {
  provider = webhooks
}
`)
	}},
	"SelSup: the API key is refused (403 ACCESS_DENIED)": {steps: func(_ *testing.T, m *mockserver.Server) []resource.TestStep {
		return plan(providerConfigWith(m, mockserver.DemoSellfernToken, "wrong-key", "") + `
data "selsup_webhooks" "all" {
  provider = webhooks
}
`)
	}},
	"A Sellfern url that is not https": {steps: func(_ *testing.T, m *mockserver.Server) []resource.TestStep {
		return plan(sellfernBad(`"http://hooks.example.com/sellfern/orders"`, `["order.created"]`)(m))
	}},
	"A Sellfern url that cannot be reached from the internet": {steps: func(_ *testing.T, m *mockserver.Server) []resource.TestStep {
		return plan(sellfernBad(`"https://10.0.0.5/hooks"`, `["order.created"]`)(m))
	}},
	"A list answered 404: the base URL does not lead to the API": {steps: func(_ *testing.T, m *mockserver.Server) []resource.TestStep {
		services := tfrun.Services{SellfernToken: mockserver.DemoSellfernToken, SellfernURL: m.SellfernBaseURL() + "/api/v2",
			SelSupKey: mockserver.DemoSelSupKey, SelSupURL: m.SelSupBaseURL()}
		return plan(services.Config("") + sellfernWebhooksData)
	}},
	"A list that says more follows": {steps: func(_ *testing.T, m *mockserver.Server) []resource.TestStep {
		for i := range 3 {
			m.SellfernPut(mockserver.SellfernWebhook{URL: fmt.Sprintf("https://hooks.example.com/%d", i), Events: []string{"order.created"}, Enabled: true})
		}
		m.SetPageSize(2)
		m.SetSellfernPageStyle(true)
		return plan(providerConfig(m) + sellfernWebhooksData)
	}},
	"The service kept refusing calls (429)": {steps: func(_ *testing.T, m *mockserver.Server) []resource.TestStep {
		m.SetFaults(mockserver.FaultOptions{Rate: 1, Kinds: []mockserver.FaultKind{mockserver.Fault429}, RetryAfter: time.Hour,
			Routes: []string{"sellfern.create"}})
		return []resource.TestStep{{Config: providerConfig(m) + troubleshootingResources}}
	}},
	"A call was not sent: the service asked for a pause": {steps: func(_ *testing.T, m *mockserver.Server) []resource.TestStep {
		m.SetFaults(mockserver.FaultOptions{Rate: 1, Kinds: []mockserver.FaultKind{mockserver.Fault429}, RetryAfter: time.Hour,
			Routes: []string{"sellfern.create"}})
		return []resource.TestStep{{Config: providerConfig(m) + sellfernWebhooks(3, "paused")}}
	}},
	"A call was not sent: the quota is spent": {steps: func(_ *testing.T, m *mockserver.Server) []resource.TestStep {
		m.SetRateLimit(mockserver.RateLimit{Quota: 1, QuotaWindow: time.Hour, Headers: true})
		return []resource.TestStep{{Config: providerConfig(m) + troubleshootingResources}}
	}},
	"A Sellfern event that is not of the form of one": {steps: func(_ *testing.T, m *mockserver.Server) []resource.TestStep {
		return plan(sellfernBad(`"https://hooks.example.com/sellfern/orders"`, `["order-deleted"]`)(m))
	}},
	"A SelSup type that is not of the form of one": {steps: func(_ *testing.T, m *mockserver.Server) []resource.TestStep {
		return plan(selsupBad(`"https://hooks.example.com/selsup/orders"`, `["delete_order"]`, "")(m))
	}},
	"requests_per_second out of range": {steps: func(_ *testing.T, m *mockserver.Server) []resource.TestStep {
		return plan(strings.Replace(providerConfig(m), "sellfern = {", "sellfern = {\n    requests_per_second = 1e400", 1) + sellfernWebhooksData)
	}},
	"An event or type the provider does not know yet": {steps: func(_ *testing.T, m *mockserver.Server) []resource.TestStep {
		return []resource.TestStep{{Config: sellfernBad(`"https://hooks.example.com/sellfern/products"`, `["product.created"]`)(m),
			PlanOnly: true, ExpectNonEmptyPlan: true}}
	}},
	"A webhook's name or URL holds control or formatting characters": {steps: func(_ *testing.T, m *mockserver.Server) []resource.TestStep {
		m.SelSupPut(mockserver.SelSupWebhook{Name: "Заказы\x1b]0;pwned\x07", URL: "https://hooks.example.com/selsup/orders", Types: []string{"ORDER"}})
		return plan(providerConfig(m) + `
data "selsup_webhooks" "all" {
  provider = webhooks
}
`)
	}},
	"An id that cannot be a Sellfern webhook's": {steps: func(_ *testing.T, m *mockserver.Server) []resource.TestStep {
		return importOf(providerConfig(m)+troubleshootingResources, "sellfern_webhook.orders", "wh abc123")
	}},
	"An id that cannot be a SelSup webhook's": {steps: func(_ *testing.T, m *mockserver.Server) []resource.TestStep {
		return importOf(providerConfig(m)+troubleshootingResources, "selsup_webhook.orders", "wh_abc123")
	}},
	"No Sellfern webhook to import": {steps: func(_ *testing.T, m *mockserver.Server) []resource.TestStep {
		return importOf(providerConfig(m)+troubleshootingResources, "sellfern_webhook.orders", "wh_abc123")
	}},
	"No SelSup webhook to import": {steps: func(_ *testing.T, m *mockserver.Server) []resource.TestStep {
		return importOf(providerConfig(m)+troubleshootingResources, "selsup_webhook.orders", "1042")
	}},
	"A data source's webhook does not exist": {steps: func(_ *testing.T, m *mockserver.Server) []resource.TestStep {
		return plan(dataBad("sellfern_webhook", `id = "wh_abc123"`)(m))
	}},
	"Identical SelSup webhooks appeared while a create's answer was lost": {steps: func(_ *testing.T, m *mockserver.Server) []resource.TestStep {
		m.SetTwin(true, 0)
		m.SetFaults(mockserver.FaultOptions{Rate: 1, AfterCommitRatio: 1, Kinds: []mockserver.FaultKind{mockserver.Fault503},
			Routes: []string{"selsup.create"}})
		return []resource.TestStep{{Config: providerConfig(m) + troubleshootingResources}}
	}},
	"A Sellfern create that did not settle": {steps: func(_ *testing.T, m *mockserver.Server) []resource.TestStep {
		m.SetFaults(mockserver.FaultOptions{Rate: 1, AfterCommitRatio: 1, Kinds: []mockserver.FaultKind{mockserver.Fault503},
			Routes: []string{"sellfern.create"}})
		return []resource.TestStep{{Config: providerConfig(m) + troubleshootingResources}}
	}},
	"Sellfern: the Idempotency-Key was used with another request (422 idempotency_conflict)": {steps: func(_ *testing.T, m *mockserver.Server) []resource.TestStep {
		m.SetAnswer("sellfern.create", &mockserver.Answer{Status: http.StatusUnprocessableEntity, Body: `{"success": false, ` +
			`"error": {"code": "idempotency_conflict", "message": "Idempotency-Key was already used with a different request"}}`})
		return []resource.TestStep{{Config: providerConfig(m) + troubleshootingResources}}
	}},
	"A secret_recipients entry that is not a public key": {steps: func(_ *testing.T, m *mockserver.Server) []resource.TestStep {
		return plan(sealedConfig(m, `["https://example.com/keys.txt"]`))
	}},
	"Post-quantum and other recipients mixed": {steps: func(t *testing.T, m *mockserver.Server) []resource.TestStep {
		pq, err := age.GenerateHybridIdentity()
		if err != nil {
			t.Fatal(err)
		}
		return plan(sealedConfig(m, recipientsHCL(pq.Recipient().String(), newAgeKey(t).recipient())))
	}},
	"A sealed value that is not one": {steps: func(t *testing.T, m *mockserver.Server) []resource.TestStep {
		key := newAgeKey(t)
		return []resource.TestStep{{PlanOnly: true, ConfigVariables: config.Variables{"identity": config.StringVariable(key.keyFile())},
			Config: sealedConfig(m, recipientsHCL(key.recipient())) + identityVariable + `
ephemeral "sellfern_webhook_secret" "orders" {
  provider = webhooks
  sealed   = "whsec_0123456789abcdef"
  identity = var.identity
}
`}}
	}},
	"Recipients added to an imported webhook": {steps: func(t *testing.T, m *mockserver.Server) []resource.TestStep {
		existing := m.SellfernPut(mockserver.SellfernWebhook{URL: sealedURL, Events: []string{"order.created"}, Enabled: true})
		return []resource.TestStep{
			{Config: sealedConfig(m, ""), ResourceName: sellfernAddr, ImportState: true, ImportStateId: existing.ID, ImportStatePersist: true},
			{Config: sealedConfig(m, recipientsHCL(newAgeKey(t).recipient()))},
		}
	}},
	"An identity that cannot open the sealed secret": {steps: func(t *testing.T, m *mockserver.Server) []resource.TestStep {
		alice, eve := newAgeKey(t), newAgeKey(t)
		webhook := sealedConfig(m, recipientsHCL(alice.recipient()))
		return []resource.TestStep{
			{Config: webhook},
			{Config: webhook + openSealed + handOff, ConfigVariables: config.Variables{"identity": config.StringVariable(eve.keyFile())}},
		}
	}},
	"An identity that is not an age key file": {steps: func(t *testing.T, m *mockserver.Server) []resource.TestStep {
		webhook := sealedConfig(m, recipientsHCL(newAgeKey(t).recipient()))
		return []resource.TestStep{
			{Config: webhook},
			{Config: webhook + openSealed + handOff, PlanOnly: true,
				ConfigVariables: config.Variables{"identity": config.StringVariable("# the key of the orders receiver\nsk_live_not_an_age_key\n")}},
		}
	}},
	"A signature does not verify: the body was parsed first":       signatureParsedFirst,
	"A signature does not verify: the old secret after a rotation": signatureOldSecret,
	"A signature does not verify: a proxy rewrote the body":        signatureProxy,
	"The endpoint failed the test event": {
		versionChecks: []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		steps: func(_ *testing.T, m *mockserver.Server) []resource.TestStep {
			m.SetSellfernEndpointFailure("https://hooks.example.com/sellfern/orders", http.StatusInternalServerError, "")
			return []resource.TestStep{{Config: triggeredConfig(m, "https://hooks.example.com/sellfern/orders", "sellfern_webhook.orders.id")}}
		},
	},
}

// guideEntry is one section of the guide: its heading and the message it quotes.
type guideEntry struct {
	heading, message string
}

// readTroubleshootingGuide returns the guide's entries: every "### " heading with the one ```text block that
// follows it before the next heading, the message as Terraform prints it.
func readTroubleshootingGuide(t *testing.T) []guideEntry {
	t.Helper()
	data, err := os.ReadFile(troubleshootingGuide)
	if err != nil {
		t.Fatal(err)
	}
	var entries []guideEntry
	var block []string
	inBlock := false
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "### "):
			entries = append(entries, guideEntry{heading: strings.TrimSpace(strings.TrimPrefix(line, "### "))})
		case inBlock && line == "```":
			inBlock = false
			if len(entries) == 0 {
				t.Fatal("the guide quotes a message before its first entry")
			}
			e := &entries[len(entries)-1]
			if e.message != "" {
				t.Fatalf("the guide's entry %q quotes two messages", e.heading)
			}
			e.message = strings.Join(block, "\n")
		case inBlock:
			block = append(block, line)
		case line == "```text":
			inBlock, block = true, nil
		}
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.message, "Error: ") && !strings.HasPrefix(e.message, "Warning: ") {
			t.Errorf("the guide's entry %q quotes no message starting with \"Error: \" or \"Warning: \": %q", e.heading, e.message)
		}
	}
	return entries
}

// quotedError matches what Terraform prints for a quoted message: each paragraph of it in order, with anything
// between them (Terraform adds the "with …" and "on …" lines after the summary), line breaks anywhere, and "…"
// standing for any text (an id, a port).
func quotedError(message string) *regexp.Regexp {
	var fragments []string
	for _, paragraph := range regexp.MustCompile(`\n\s*\n`).Split(message, -1) {
		for _, part := range strings.Split(paragraph, "…") {
			if strings.TrimSpace(part) != "" {
				fragments = append(fragments, part)
			}
		}
	}
	return errorContaining(fragments...)
}

// TestTroubleshootingGuideHasAScenarioPerEntry: every entry of the guide has its scenario, and every scenario its
// entry, so that no quoted message goes unchecked.
func TestTroubleshootingGuideHasAScenarioPerEntry(t *testing.T) {
	var headings []string
	for _, e := range readTroubleshootingGuide(t) {
		if _, ok := troubleshootingScenarios[e.heading]; !ok {
			t.Errorf("the guide's entry %q has no scenario in troubleshootingScenarios", e.heading)
		}
		if slices.Contains(headings, e.heading) {
			t.Errorf("the guide has two entries %q", e.heading)
		}
		headings = append(headings, e.heading)
	}
	for key := range troubleshootingScenarios {
		if !slices.Contains(headings, key) {
			t.Errorf("the scenario %q has no entry in the guide", key)
		}
	}
}

// TestAccTroubleshootingGuide: each message the guide quotes is what the provider (or the CLI) prints today in its
// entry's situation: an error the step fails with, or a warning the provider gives Terraform during the steps.
func TestAccTroubleshootingGuide(t *testing.T) {
	for _, e := range readTroubleshootingGuide(t) {
		sc, ok := troubleshootingScenarios[e.heading]
		if !ok {
			continue // TestTroubleshootingGuideHasAScenarioPerEntry reports it
		}
		t.Run(e.heading, func(t *testing.T) {
			t.Parallel()
			warning, isWarning := strings.CutPrefix(e.message, "Warning: ")
			want := quotedError(e.message)
			if sc.initConfig != "" {
				troubleshootInit(t, sc.initConfig, want)
				return
			}
			rec := &warningRecorder{}
			steps := sc.steps(t, accMock(t, mockserver.Options{}))
			if isWarning {
				// A plan check runs after every step, a plan-only one too.
				last := &steps[len(steps)-1].ConfigPlanChecks
				last.PostApplyPostRefresh = append(last.PostApplyPostRefresh,
					planCheckFunc(func(*tfjson.Plan) error { return rec.matching(quotedError(warning)) }))
			} else {
				steps[len(steps)-1].ExpectError = want
			}
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: rec.factories(),
				TerraformVersionChecks:   sc.versionChecks,
				Steps:                    steps,
			})
		})
	}
}

// troubleshootInit runs `terraform init` on config with a CLI configuration that installs providers from an empty
// mirror only, so that nothing is fetched, and matches its output against want.
func troubleshootInit(t *testing.T, config string, want *regexp.Regexp) {
	t.Helper()
	cli, err := tfrun.DefaultCLI()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	mirror := filepath.Join(dir, "mirror")
	rc := filepath.Join(dir, "terraformrc")
	for name, content := range map[string]string{
		filepath.Join(dir, "config", "main.tf"): config,
		rc:                                      fmt.Sprintf("provider_installation {\n  filesystem_mirror {\n    path = %q\n  }\n}\n", mirror),
		filepath.Join(mirror, ".keep"):          "",
	} {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.CommandContext(context.Background(), cli, "init", "-no-color", "-input=false")
	cmd.Dir = filepath.Join(dir, "config")
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc, "CHECKPOINT_DISABLE=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("terraform init succeeded:\n%s", out)
	}
	if !want.Match(out) {
		t.Fatalf("terraform init did not print the guide's message %s:\n%s", want, out)
	}
}
