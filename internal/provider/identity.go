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

// importedID sets the state's id from what an import names, with the framework's passthrough (the id of
// `terraform import` or an import block's `id`, else the `id` of its `identity`), and returns it.
func importedID(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) string {
	resource.ImportStatePassthroughWithIdentity(ctx, path.Root("id"), path.Root("id"), req, resp)
	var id types.String
	if !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(resp.State.GetAttribute(ctx, path.Root("id"), &id)...)
	}
	return id.ValueString()
}
