package provider

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

// TestAccSellfernWebhook_importGeneratedConfig: a webhook made outside Terraform is imported by an import block
// whose resource configuration nobody wrote: `terraform plan -generate-config-out`, where Terraform asks the
// provider for it. What the provider writes names the provider and holds exactly the settable attributes (no id,
// secret or created_at), and planned with it the import changes nothing: the values are the service's.
func TestAccSellfernWebhook_importGeneratedConfig(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	existing := m.SellfernPut(mockserver.SellfernWebhook{
		URL: "https://hooks.example.com/made-elsewhere", Events: []string{"ticket.updated", "order.created"}, Enabled: false,
	})
	resource.ParallelTest(t, generatedConfigCase(m, sellfernAddr, existing.ID, []plancheck.PlanCheck{
		plancheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("id"), knownvalue.StringExact(existing.ID)),
		plancheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("url"), knownvalue.StringExact(existing.URL)),
		plancheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("events"), knownvalue.SetExact([]knownvalue.Check{
			knownvalue.StringExact("order.created"), knownvalue.StringExact("ticket.updated"),
		})),
		plancheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("enabled"), knownvalue.Bool(false)),
		plancheck.ExpectKnownValue(sellfernAddr, tfjsonpath.New("secret"), knownvalue.Null()),
		expectGeneratedAttributes(sellfernAddr, "enabled", "events", "provider", "url"),
	}))
}

// TestAccSelSupWebhook_importGeneratedConfig: the same for SelSup, whose optional name and organization_id are
// written when the service has them, and whose read-only client_id is not.
func TestAccSelSupWebhook_importGeneratedConfig(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	existing := m.SelSupPut(mockserver.SelSupWebhook{
		Name: cyrillicName, URL: "https://hooks.example.com/made-elsewhere", Types: []string{"ORDER", "CREATE_ORDER"}, OrganizationID: 17,
	})
	id := fmt.Sprint(existing.ID)
	resource.ParallelTest(t, generatedConfigCase(m, selsupAddr, id, []plancheck.PlanCheck{
		plancheck.ExpectKnownValue(selsupAddr, tfjsonpath.New("id"), knownvalue.StringExact(id)),
		plancheck.ExpectKnownValue(selsupAddr, tfjsonpath.New("name"), knownvalue.StringExact(cyrillicName)),
		plancheck.ExpectKnownValue(selsupAddr, tfjsonpath.New("url"), knownvalue.StringExact(existing.URL)),
		plancheck.ExpectKnownValue(selsupAddr, tfjsonpath.New("types"), knownvalue.SetExact([]knownvalue.Check{
			knownvalue.StringExact("CREATE_ORDER"), knownvalue.StringExact("ORDER"),
		})),
		plancheck.ExpectKnownValue(selsupAddr, tfjsonpath.New("organization_id"), knownvalue.Int64Exact(17)),
		plancheck.ExpectKnownValue(selsupAddr, tfjsonpath.New("client_id"), knownvalue.Int64Exact(mockserver.DemoSelSupClientID)),
		expectGeneratedAttributes(selsupAddr, "name", "organization_id", "provider", "types", "url"),
	}))
}

// generatedConfigCase imports id into addr with an import block and no resource block, generating the
// configuration; plugin-testing fails the step unless the import plans no change.
func generatedConfigCase(m *mockserver.Server, addr, id string, checks []plancheck.PlanCheck) resource.TestCase {
	return resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{cliAsksProviderForConfig},
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{{
			Config:                 providerConfig(m) + importBlockWithID(addr),
			ConfigVariables:        config.Variables{"import_id": config.StringVariable(id)},
			ResourceName:           addr,
			ImportStateId:          id,
			ImportState:            true,
			ImportStateKind:        resource.ImportBlockWithID,
			ImportStateConfigExact: true,
			GenerateConfig:         true,
			ImportPlanChecks: resource.ImportPlanChecks{
				PreApply: append([]plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionNoop)}, checks...),
			},
		}},
	}
}

// expectGeneratedAttributes checks the configuration generated for addr: a resource block naming the provider
// `webhooks` whose arguments are exactly want.
func expectGeneratedAttributes(addr string, want ...string) plancheck.PlanCheck {
	return planCheckFunc(func(plan *tfjson.Plan) error {
		for _, rc := range plan.ResourceChanges {
			if rc.Address != addr || rc.Change == nil {
				continue
			}
			generated := rc.Change.GeneratedConfig
			if generated == "" {
				return fmt.Errorf("%s: the plan holds no generated configuration", addr)
			}
			typ, name, _ := strings.Cut(addr, ".")
			if !strings.Contains(generated, fmt.Sprintf("resource %q %q {", typ, name)) {
				return fmt.Errorf("%s: the generated configuration is not its resource block:\n%s", addr, generated)
			}
			args := map[string]string{}
			for _, m := range generatedArgument.FindAllStringSubmatch(generated, -1) {
				args[m[1]] = m[2]
			}
			var got []string
			for k := range args {
				got = append(got, k)
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				return fmt.Errorf("%s: the generated configuration sets %v, want %v:\n%s", addr, got, want, generated)
			}
			if args["provider"] != "webhooks" {
				return fmt.Errorf("%s: the generated configuration names provider %q, want webhooks:\n%s", addr, args["provider"], generated)
			}
			return nil
		}
		return fmt.Errorf("%s is not in the plan", addr)
	})
}

// generatedArgument is an argument of the generated resource block, which Terraform writes indented by two spaces.
var generatedArgument = regexp.MustCompile(`(?m)^  (\w+)\s*=\s*(.*?)\s*$`)
