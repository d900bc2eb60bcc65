package apitest

import (
	"context"
	"strings"
	"testing"

	goversion "github.com/hashicorp/go-version"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/seed/terraform-provider-webhooks/internal/tfrun"
)

// SkipBelow skips a test that drives the CLI bin itself (not through plugin-testing) when bin is older than
// minimum, through the same plugin-testing version check the acceptance tests' TerraformVersionChecks use, so that
// the skip reads as theirs: the only skip the test matrix accepts. OpenTofu's version is compared the same way.
func SkipBelow(t testing.TB, bin string, minimum *goversion.Version) {
	t.Helper()
	said, err := tfrun.VersionOf(context.Background(), bin)
	if err != nil {
		t.Fatal(err)
	}
	_, number, _ := strings.Cut(said, " v")
	cli, err := goversion.NewVersion(number)
	if err != nil {
		t.Fatalf("%s: %v", said, err)
	}
	var resp tfversion.CheckTerraformVersionResponse
	tfversion.SkipBelow(minimum).CheckTerraformVersion(context.Background(),
		tfversion.CheckTerraformVersionRequest{TerraformVersion: cli}, &resp)
	if resp.Error != nil {
		t.Fatal(resp.Error)
	}
	if resp.Skip != "" {
		t.Skip(resp.Skip)
	}
}
