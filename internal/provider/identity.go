package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Both webhook resources have the same identity: the id the service assigned. Within the account that the
// provider's credentials name, nothing else is needed to find a webhook, and the id never changes.

// webhookIdentityModel is the identity of a sellfern_webhook or selsup_webhook.
type webhookIdentityModel struct {
	ID types.String `tfsdk:"id"`
}

// webhookIdentitySchema is the identity schema of a webhook resource; idDescription says what the id looks like.
func webhookIdentitySchema(idDescription string) identityschema.Schema {
	return identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"id": identityschema.StringAttribute{
				RequiredForImport: true,
				Description:       idDescription,
			},
		},
	}
}

// setIdentity records id as the resource's identity. Every operation that leaves the resource in state records it,
// Read included, and Read even when it removes the resource: the framework demands an identity after every
// successful Read, and Terraform before 1.12 (or state written before identity existed) never sends one to start
// from.
func setIdentity(ctx context.Context, identity *tfsdk.ResourceIdentity, id string, diags *diag.Diagnostics) {
	if identity == nil {
		return
	}
	diags.Append(identity.Set(ctx, webhookIdentityModel{ID: types.StringValue(id)})...)
}

// importID returns what an import names: the id of `terraform import` or of an import block's `id`, else the
// `id` of an import block's `identity` (the request then carries no id).
func importID(ctx context.Context, req resource.ImportStateRequest, diags *diag.Diagnostics) string {
	if req.ID != "" || req.Identity == nil {
		return req.ID
	}
	var id types.String
	diags.Append(req.Identity.GetAttribute(ctx, path.Root("id"), &id)...)
	return id.ValueString()
}
