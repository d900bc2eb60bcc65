package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	goversion "github.com/hashicorp/go-version"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/seed/terraform-provider-webhooks/internal/apitest"
	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/tfrun"
)

// exampleVersion is the version the examples' provider is installed as: they require "~> 0.1", as users of the
// first release do.
const exampleVersion = "0.1.0"

// exampleFeature is what an example may use that older CLIs lack, and the first Terraform version with it. The
// check compares the CLI's own version number, OpenTofu's included (1.12.6 has identity, not list blocks or
// actions), as every version check of the tests does.
type exampleFeature struct {
	name    string
	minimum *goversion.Version
	usedBy  func(ex *exampleConfig) bool
}

var exampleFeatures = []exampleFeature{
	{"import blocks by identity", tfversion.Version1_12_0, func(ex *exampleConfig) bool {
		for _, b := range ex.blocksOf("import") {
			if _, ok := b.Body.Attributes["identity"]; ok {
				return true
			}
		}
		return false
	}},
	{"list blocks (.tfquery.hcl)", tfversion.Version1_14_0, func(ex *exampleConfig) bool { return ex.query }},
	{"actions", tfversion.Version1_14_0, func(ex *exampleConfig) bool {
		found := false
		ex.walk(func(b *hclsyntax.Block) { found = found || b.Type == "action" || b.Type == "action_trigger" })
		return found
	}},
	{"caller in an action's config", goversion.Must(goversion.NewVersion("1.16.0")), func(ex *exampleConfig) bool { return ex.refersTo("caller") }},
}

// TestAccExamples applies every example directory under examples/, as a user who copies it would run it, with the
// built provider installed from a mirror and the credentials and base URLs in the environment: init, apply (with
// each action invoked by hand too), a plan that must be empty, `terraform query` where there are query files, and
// destroy, which must leave none of the webhooks state held. No command may warn. The mock first holds what the
// example refers to by literal id (an import's webhook, configured as its resource block says, or a data source's),
// and answers in random order.
//
// Under a Terraform older than a feature the example uses, the example must say so itself: its required_version
// refuses that Terraform, and init fails with Terraform's "Unsupported Terraform Core version". OpenTofu ignores
// required_version in .tf files (it takes it for a Terraform constraint), so under an OpenTofu that lacks the
// feature the example is skipped by the version check instead.
func TestAccExamples(t *testing.T) {
	requireAcc(t)
	for _, dir := range exampleDirs(t, examplesRoot) {
		rel, _ := filepath.Rel(examplesRoot, dir)
		t.Run(filepath.ToSlash(rel), func(t *testing.T) {
			t.Parallel()
			runExample(t, readExample(t, dir))
		})
	}
}

func runExample(t *testing.T, ex *exampleConfig) {
	m := apitest.StartMock(t, mockserver.Options{Seed: 23, Shuffle: true})
	ws := exampleWorkspace(t, m)
	cli := cliVersion(t, ws.Terraform)
	var out strings.Builder

	for _, f := range exampleFeatures {
		if !f.usedBy(ex) || !cli.version.LessThan(f.minimum) {
			continue
		}
		if cli.product != "Terraform" {
			apitest.SkipBelow(t, ws.Terraform, f.minimum)
		}
		if ex.allows(t, cli.version) {
			t.Fatalf("%s uses %s (Terraform %s or later), but no required_version refuses %s: set "+
				"terraform { required_version = \">= %s\" } so that older CLIs say so", ex.dir, f.name, f.minimum, cli, f.minimum)
		}
		copyExample(t, ws, ex)
		if got := terraform(t, ws, &out, 1, "init"); !strings.Contains(got, "Error: Unsupported Terraform Core version") {
			t.Fatalf("init of an example %s refuses did not say so in Terraform's words:\n%s", cli, got)
		}
		return
	}

	seeded := seedExample(t, m, ex)
	copyExample(t, ws, ex)
	terraform(t, ws, &out, 0, "init")
	noWarning(t, "apply", terraform(t, ws, &out, 0, "apply", "-auto-approve"))
	for _, b := range ex.blocksOf("action") {
		addr := "action." + strings.Join(b.Labels, ".")
		noWarning(t, "apply -invoke="+addr, terraform(t, ws, &out, 0, "apply", "-auto-approve", "-invoke="+addr))
	}
	// Terraform reads a data source nested in a check block at every apply, so a plan of such an example lists
	// those reads (and exits 2); it must list nothing else.
	if checkReads := ex.checkedDataSources(); checkReads > 0 {
		plan := terraform(t, ws, &out, 2, "plan", "-detailed-exitcode")
		noWarning(t, "plan", plan)
		reads := 0
		for line := range strings.SplitSeq(plan, "\n") {
			if l := strings.TrimSpace(line); strings.HasPrefix(l, "# ") && !strings.HasPrefix(l, "# (") {
				if !strings.Contains(l, "will be read during apply") {
					t.Fatalf("the plan after apply changes more than the check blocks' reads (%q):\n%s", l, plan)
				}
				reads++
			}
		}
		if reads != checkReads || !strings.Contains(plan, "Plan: 0 to add, 0 to change, 0 to destroy.") {
			t.Fatalf("the plan after apply holds %d reads, want the %d of the check blocks and nothing else:\n%s", reads, checkReads, plan)
		}
	} else {
		plan := terraform(t, ws, &out, 0, "plan", "-detailed-exitcode")
		noWarning(t, "plan", plan)
		if !strings.Contains(plan, "No changes.") {
			t.Fatalf("the plan after apply is not empty:\n%s", plan)
		}
	}
	if ex.query {
		found := terraform(t, ws, &out, 0, "query")
		noWarning(t, "query", found)
		for _, b := range ex.blocksOf("list") {
			wantLine(t, found, "list."+b.Labels[0]+"."+b.Labels[1], "id="+seeded[listKey(b)][0])
		}
	}
	managed := showState(t, ws)
	noWarning(t, "destroy", terraform(t, ws, &out, 0, "destroy", "-auto-approve"))
	for addr, r := range managed {
		id := fmt.Sprint(r.Values["id"])
		switch typ, _, _ := strings.Cut(addr, "."); typ {
		case "sellfern_webhook":
			if _, ok := m.SellfernWebhook(id); ok {
				t.Errorf("%s (%s) is still on the mock after destroy", addr, id)
			}
		case "selsup_webhook":
			n, _ := strconv.ParseInt(id, 10, 64)
			if _, ok := m.SelSupWebhook(n); ok {
				t.Errorf("%s (%s) is still on the mock after destroy", addr, id)
			}
		}
	}
}

// exampleWorkspace installs the provider as exampleVersion and gives the CLI the mock's settings as a user's
// environment would, the sensitive variables that examples declare included.
func exampleWorkspace(t *testing.T, m *mockserver.Server) *tfrun.Workspace {
	t.Helper()
	ws, err := tfrun.NewWorkspace(t.TempDir(), providerBinary, exampleVersion)
	if err != nil {
		t.Fatal(err)
	}
	ws.Env = []string{
		"SELLFERN_TOKEN=" + mockserver.DemoSellfernToken,
		"SELLFERN_BASE_URL=" + m.SellfernBaseURL(),
		"SELSUP_API_KEY=" + mockserver.DemoSelSupKey,
		"SELSUP_BASE_URL=" + m.SelSupBaseURL(),
		"TF_VAR_sellfern_token=" + mockserver.DemoSellfernToken,
		"TF_VAR_selsup_api_key=" + mockserver.DemoSelSupKey,
	}
	ws.Env = append(ws.Env, sealingVariables(t)...)
	return ws
}

// copyExample puts the example's files in the workspace and, when it declares no required_providers (most
// examples are fragments of a page), the terraform block a user's configuration has.
func copyExample(t *testing.T, ws *tfrun.Workspace, ex *exampleConfig) {
	t.Helper()
	if err := ws.CopyConfig(ex.dir); err != nil {
		t.Fatal(err)
	}
	if !ex.declaresProvider() {
		block := "# Added by the test: the example declares no required_providers.\n" + tfrun.RequiredProviders(ex.localName(t))
		if err := os.WriteFile(filepath.Join(ws.ConfigDir, "zz_required_providers.tf"), []byte(block), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// exampleSeed puts in the mock what one kind of block refers to by a literal id, and returns the id it stored under
// the service's resource type ("" when the block names none).
type exampleSeed func(t *testing.T, m *mockserver.Server, ex *exampleConfig, b attrs) (typ, id string)

// exampleSeeds: by block type and first label, what the mock must hold before the example is applied.
var exampleSeeds = map[[2]string]exampleSeed{
	{"import", ""}: seedImport,
	{"data", "sellfern_webhook"}: func(t *testing.T, m *mockserver.Server, _ *exampleConfig, b attrs) (string, string) {
		return seedSellfern(m, b.str("id"))
	},
	{"data", "sellfern_webhook_deliveries"}: func(t *testing.T, m *mockserver.Server, _ *exampleConfig, b attrs) (string, string) {
		return seedSellfern(m, literalOrEmpty(b, "webhook_id"))
	},
	{"data", "selsup_webhook"}: func(t *testing.T, m *mockserver.Server, _ *exampleConfig, b attrs) (string, string) {
		return seedSelSup(t, m, b.str("id"))
	},
	{"action", "sellfern_send_test_event"}: seedActionWebhook,
	{"list", "sellfern_webhook"}:           seedListed,
	{"list", "selsup_webhook"}:             seedListed,
}

// seedExample applies exampleSeeds to the example's blocks and returns the ids stored, by resource type (and, for
// list blocks, by the block's address).
func seedExample(t *testing.T, m *mockserver.Server, ex *exampleConfig) map[string][]string {
	t.Helper()
	seeded := map[string][]string{}
	for _, b := range ex.blocks {
		label := ""
		if len(b.Labels) > 0 && b.Type != "import" {
			label = b.Labels[0]
		}
		seed, ok := exampleSeeds[[2]string{b.Type, label}]
		if !ok {
			continue
		}
		if typ, id := seed(t, m, ex, attrs{t, b}); id != "" {
			seeded[typ] = append(seeded[typ], id)
		}
	}
	return seeded
}

// literalOrEmpty is a literal string attribute, or "" when it refers to something (a managed webhook's id).
func literalOrEmpty(b attrs, name string) string {
	a, ok := b.block.Body.Attributes[name]
	if !ok || len(a.Expr.Variables()) > 0 {
		return ""
	}
	return literalString(b.t, a)
}

// seedListed stores a webhook that a list block's filters keep (its config block's event or type, enabled,
// organization_id and url_prefix), so that the query has something to show for every block: Terraform warns of a
// list block that finds nothing. It is recorded under the block's address.
func seedListed(t *testing.T, m *mockserver.Server, _ *exampleConfig, b attrs) (string, string) {
	filter := attrs{t, &hclsyntax.Block{Body: &hclsyntax.Body{}}}
	for _, c := range b.block.Body.Blocks {
		if c.Type == "config" {
			filter = attrs{t, c}
		}
	}
	url := filter.str("url_prefix")
	if url == "" {
		url = "https://hooks.example.com/"
	}
	url += "listed/" + b.block.Labels[1]
	if b.block.Labels[0] == "sellfern_webhook" {
		event := filter.str("event")
		if event == "" {
			event = "order.created"
		}
		w := m.SellfernPut(mockserver.SellfernWebhook{URL: url, Events: []string{event}, Enabled: filter.boolean("enabled", true)})
		return listKey(b.block), w.ID
	}
	typ := filter.str("type")
	if typ == "" {
		typ = "ORDER"
	}
	w := m.SelSupPut(mockserver.SelSupWebhook{Name: "listed " + b.block.Labels[1], URL: url, Types: []string{typ}, OrganizationID: filter.integer("organization_id")})
	return listKey(b.block), strconv.FormatInt(w.ID, 10)
}

// listKey is how seedExample records the webhook made for a list block.
func listKey(b *hclsyntax.Block) string { return "list." + strings.Join(b.Labels, ".") }

// seedImport stores the webhook an import block names by a literal id or identity, set up as the resource block it
// imports into says, so that the import plans no change. An import with for_each finds its ids itself.
func seedImport(t *testing.T, m *mockserver.Server, ex *exampleConfig, b attrs) (string, string) {
	if b.has("for_each") {
		return "", ""
	}
	typ, name, ok := resourceAddr(b.block.Body.Attributes["to"])
	if !ok {
		t.Fatalf("%s: an import block without for_each imports to %s, not TYPE.NAME", ex.dir, b.block.Body.Attributes["to"].SrcRange)
	}
	id := b.str("id")
	if id == "" {
		id = b.object("identity")["id"]
	}
	targets := ex.blocksOf("resource", typ, name)
	if len(targets) != 1 {
		t.Fatalf("%s: an import block imports to %s.%s, but no resource block %q %q is beside it", ex.dir, typ, name, typ, name)
	}
	r := attrs{t, targets[0]}
	switch typ {
	case "sellfern_webhook":
		m.SellfernPut(mockserver.SellfernWebhook{ID: id, URL: r.str("url"), Events: r.strs("events"), Enabled: r.boolean("enabled", true)})
	case "selsup_webhook":
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			t.Fatalf("%s: SelSup id %q: %v", ex.dir, id, err)
		}
		m.SelSupPut(mockserver.SelSupWebhook{ID: n, Name: r.str("name"), URL: r.str("url"), Types: r.strs("types"), OrganizationID: r.integer("organization_id")})
	default:
		t.Fatalf("%s: an import into %s, which the test does not know how to prepare", ex.dir, typ)
	}
	return typ, id
}

// seedActionWebhook stores the webhook an action's config names by a literal id.
func seedActionWebhook(t *testing.T, m *mockserver.Server, _ *exampleConfig, b attrs) (string, string) {
	for _, c := range b.block.Body.Blocks {
		if c.Type == "config" {
			return seedSellfern(m, literalOrEmpty(attrs{t, c}, "webhook_id"))
		}
	}
	return "", ""
}

// seedSellfern stores a Sellfern webhook with the id given, unless there is one ("" stores nothing).
func seedSellfern(m *mockserver.Server, id string) (string, string) {
	if id == "" {
		return "", ""
	}
	if _, ok := m.SellfernWebhook(id); !ok {
		m.SellfernPut(mockserver.SellfernWebhook{ID: id, URL: "https://hooks.example.com/sellfern/" + id, Events: []string{"order.created"}, Enabled: true})
	}
	return "sellfern_webhook", id
}

func seedSelSup(t *testing.T, m *mockserver.Server, id string) (string, string) {
	if id == "" {
		return "", ""
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		t.Fatalf("SelSup id %q: %v", id, err)
	}
	if _, ok := m.SelSupWebhook(n); !ok {
		m.SelSupPut(mockserver.SelSupWebhook{ID: n, Name: "seeded " + id, URL: "https://hooks.example.com/selsup/" + id, Types: []string{"ORDER"}})
	}
	return "selsup_webhook", id
}

var warningLine = regexp.MustCompile(`(?m)^\s*(?:│\s*)?Warning: .*$`)

// noWarning fails when a command's output holds a warning: users copy the examples, which must be clean.
func noWarning(t *testing.T, command, output string) {
	t.Helper()
	if w := warningLine.FindAllString(output, -1); len(w) > 0 {
		t.Errorf("%s warned (%s):\n%s", command, strings.Join(w, "; "), output)
	}
}

// cliInfo is a CLI as `version` names it: "Terraform v1.16.4", "OpenTofu v1.12.6".
type cliInfo struct {
	product string
	version *goversion.Version
}

func (c cliInfo) String() string { return c.product + " " + c.version.String() }

func cliVersion(t *testing.T, bin string) cliInfo {
	t.Helper()
	said, err := tfrun.VersionOf(context.Background(), bin)
	if err != nil {
		t.Fatal(err)
	}
	product, number, _ := strings.Cut(said, " v")
	v, err := goversion.NewVersion(number)
	if err != nil {
		t.Fatalf("%s: %v", said, err)
	}
	return cliInfo{product: product, version: v}
}
