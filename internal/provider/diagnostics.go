package provider

import (
	"context"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/seed/terraform-provider-webhooks/internal/sellfern"
	"github.com/seed/terraform-provider-webhooks/internal/selsup"
)

// addAPIError reports a failed API call: the client's message (status, code and the service's own words, never a
// raw dump or a credential) and, for credential problems, where the credential comes from.
func addAPIError(diags *diag.Diagnostics, summary string, err error) {
	detail := err.Error()
	switch {
	case sellfern.IsAuth(err):
		detail += ".\n\nThe token comes from sellfern.token in the provider \"webhooks\" block or the " +
			EnvSellfernToken + " environment variable."
	case selsup.IsAuth(err):
		detail += ".\n\nThe key comes from selsup.api_key in the provider \"webhooks\" block or the " +
			EnvSelSupAPIKey + " environment variable."
	}
	diags.AddError(summary, detail)
}

// stringSet turns an API's string array into a set; order never matters to a set, so a reordered answer is no change.
func stringSet(ctx context.Context, values []string) (types.Set, diag.Diagnostics) {
	if values == nil {
		values = []string{}
	}
	return types.SetValueFrom(ctx, types.StringType, values)
}

// setStrings returns a set's elements sorted, so that requests are deterministic.
func setStrings(ctx context.Context, set types.Set) ([]string, diag.Diagnostics) {
	var out []string
	diags := set.ElementsAs(ctx, &out, false)
	slices.Sort(out)
	return out, diags
}
