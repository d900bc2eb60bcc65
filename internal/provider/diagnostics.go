package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/diag"
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
	case sellfern.IsNotServed(err):
		detail += ".\n\nThe base URL comes from sellfern.base_url in the provider \"webhooks\" block or the " +
			EnvSellfernBaseURL + " environment variable (default " + sellfern.DefaultBaseURL + ")."
	case selsup.IsNotServed(err):
		detail += ".\n\nThe base URL comes from selsup.base_url in the provider \"webhooks\" block or the " +
			EnvSelSupBaseURL + " environment variable (default " + selsup.DefaultBaseURL + ")."
	}
	diags.AddError(summary, detail)
}
