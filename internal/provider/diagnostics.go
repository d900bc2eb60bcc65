package provider

import (
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/seed/terraform-provider-webhooks/internal/safetext"
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

// warnIdentical tells, after a create, of the webhooks with the same endpoint and events that the account held
// already and that this run neither made nor deleted. The provider never touches them: it cannot tell one left by
// an interrupted apply (whose secret is lost, on Sellfern) from one someone else made, nor, at create time, from
// the webhook a create_before_destroy replacement is about to delete.
func warnIdentical(diags *diag.Diagnostics, service, url, madeID string, identical []string, next string) {
	if len(identical) == 0 {
		return
	}
	ids := make([]string, len(identical))
	for i, id := range identical {
		ids[i] = safetext.Escape(id)
	}
	// The url in the summary keeps Terraform from folding the warnings of several creates into one, which would
	// show the ids of one only.
	diags.AddWarning("Identical "+service+" webhooks already exist for "+url,
		fmt.Sprintf("Before creating webhook %s, the account already held %d webhook(s) with the same url and "+
			"events that this run did not make: %s. The provider left them alone.\n\n"+
			"During a create_before_destroy replacement (a rotation of the secret), one of them is the webhook being "+
			"replaced, which Terraform deletes next: then there is nothing to do. Otherwise one may be left by an "+
			"interrupted apply, or made by hand, and it receives every event too: %s",
			safetext.Escape(madeID), len(ids), strings.Join(ids, ", "), next))
}
