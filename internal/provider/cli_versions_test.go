package provider

import "github.com/hashicorp/terraform-plugin-testing/tfversion"

// A test that needs a feature newer than the oldest CLI tested lists the feature's check below in its
// TerraformVersionChecks: it then runs in every leg of `make test` whose CLI has the feature and is skipped, by
// version, in the others. That is the only skip the test matrix accepts, and a test must still run in at least
// one leg. A check compares the CLI's own version number with the minimum, OpenTofu's included.
//
// The minimums of the features the provider builds on: resource identity, Terraform 1.12 and OpenTofu 1.12; list
// resources (`terraform query`) and actions, Terraform 1.14 (OpenTofu 1.12 has neither).
var (
	// cliAsksProviderForConfig: `plan -generate-config-out` asks the provider to write an imported resource's
	// configuration (the GenerateResourceConfig call) from Terraform 1.14; older CLIs write it themselves.
	cliAsksProviderForConfig = tfversion.SkipBelow(tfversion.Version1_14_0)
	// cliHasActions: action blocks, action_trigger and `apply -invoke`, from Terraform 1.14; OpenTofu has none.
	cliHasActions = tfversion.SkipBelow(tfversion.Version1_14_0)
)
