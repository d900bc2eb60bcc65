package provider

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/seed/terraform-provider-webhooks/internal/apitest"
	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/tfrun"
)

// testAccFactories serves the provider in-process under the local name "webhooks". With
// TF_ACC_PROVIDER_NAMESPACE=seed (set in TestMain) its address is registry.terraform.io/seed/webhooks, the
// published one, so configurations may declare it exactly as users do.
// testAccFactories serves a new provider for each Terraform command, as Terraform starts a new provider process
// for each: what one provider learns of a service's pace (a pause of an hour) lasts as long as its command.
var testAccFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"webhooks": func() (tfprotov6.ProviderServer, error) { return providerserver.NewProtocol6WithError(New("test")())() },
}

func TestMain(m *testing.M) {
	os.Setenv("TF_ACC_PROVIDER_NAMESPACE", "seed")
	// TF_CLI_CONFIG_FILE may name a file that does not exist, or settings of the user's: give the CLI an empty one.
	dir, err := os.MkdirTemp("", "webhooks-tfcli-")
	if err != nil {
		panic(err)
	}
	cli := filepath.Join(dir, "terraformrc")
	if err := os.WriteFile(cli, []byte("# acceptance tests: no provider installation settings\n"), 0o600); err != nil {
		panic(err)
	}
	os.Setenv("TF_CLI_CONFIG_FILE", cli)
	// The provider under test must take its settings from each test's configuration, never from the
	// environment of whoever runs the tests.
	for _, env := range []string{EnvSellfernToken, EnvSellfernBaseURL, EnvSelSupAPIKey, EnvSelSupBaseURL} {
		os.Unsetenv(env)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// accMock starts a mock server for one test, on a loopback port, closed when the test ends.
func accMock(t *testing.T, opts mockserver.Options) *mockserver.Server {
	t.Helper()
	if opts.Seed == 0 {
		opts.Seed = int64(len(t.Name())) + 1
	}
	return apitest.StartMock(t, opts)
}

// providerConfig is the terraform and provider blocks pointing both services at the mock.
func providerConfig(m *mockserver.Server) string {
	return providerConfigWith(m, mockserver.DemoSellfernToken, mockserver.DemoSelSupKey, "")
}

func providerConfigWith(m *mockserver.Server, token, key, extra string) string {
	return tfrun.Services{SellfernToken: token, SellfernURL: m.SellfernBaseURL(), SelSupKey: key, SelSupURL: m.SelSupBaseURL()}.Config(extra)
}

// errorContaining matches a Terraform error whose text contains every fragment, in order, whatever line breaks
// Terraform wrapped it with.
func errorContaining(fragments ...string) *regexp.Regexp {
	return regexp.MustCompile("(?s)" + fragmentsInOrder(fragments))
}

// errorsContaining matches a Terraform error that holds two diagnostics, each containing its fragments in order,
// the two in either order: Terraform prints the errors of parallel calls in the order the calls ended.
func errorsContaining(first, second []string) *regexp.Regexp {
	a, b := fragmentsInOrder(first), fragmentsInOrder(second)
	return regexp.MustCompile("(?s)(?:" + a + b + "|" + b + a + ")")
}

func fragmentsInOrder(fragments []string) string {
	parts := make([]string, len(fragments))
	for i, f := range fragments {
		words := strings.Fields(f)
		for j, w := range words {
			words[j] = regexp.QuoteMeta(w)
		}
		parts[i] = "(?s:.*" + strings.Join(words, `\s+(?:│\s+)?`) + ")"
	}
	return strings.Join(parts, "")
}
