package provider

import (
	"context"
	"iter"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
)

// listed describes one webhook as a list result: its identity's id, the name `terraform query` shows, and a
// function that builds the full resource object, called only when Terraform asks for it.
type listed struct {
	id, displayName string
	resource        func() (any, diag.Diagnostics)
}

// webhookResults streams the results of a list block from one list of the service's webhooks, already filtered
// and in the order to show: at most req.Limit of them (Terraform stops reading there as well, and a limit of 0
// asks for none), each with its identity, and with its resource object only when req.IncludeResource is set.
// Building a result waits until Terraform asks for it, so a small limit costs no more than it shows.
func webhookResults[W any](ctx context.Context, req list.ListRequest, hooks []W, describe func(W) listed) iter.Seq[list.ListResult] {
	return func(push func(list.ListResult) bool) {
		for i, w := range hooks {
			if int64(i) >= req.Limit {
				return
			}
			d := describe(w)
			result := req.NewListResult(ctx)
			result.DisplayName = d.displayName
			setIdentity(ctx, result.Identity, d.id, &result.Diagnostics)
			if req.IncludeResource {
				model, diags := d.resource()
				result.Diagnostics.Append(diags...)
				result.Diagnostics.Append(result.Resource.Set(ctx, model)...)
			}
			if !push(result) {
				return
			}
		}
	}
}

// listFilter reads a list block's config into filter. Terraform sends an object of nulls when the block has no
// config; a null object (from a client that sends none) filters nothing either.
func listFilter(ctx context.Context, config tfsdk.Config, filter any) diag.Diagnostics {
	if config.Raw.IsNull() {
		return nil
	}
	return config.Get(ctx, filter)
}
