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

// listFilterer is a list block's config: a set of optional filters a webhook of type W passes or not.
type listFilterer[W any] interface {
	keeps(W) bool
}

// streamWebhooks is the whole of a list resource's List, for either service: it reads the block's filters, lists
// the service once (the client shares that list with every other list block and read of the run), keeps what
// passes the filters, in the order given, and streams the results described by describe.
func streamWebhooks[W any, F listFilterer[W]](ctx context.Context, req list.ListRequest, stream *list.ListResultsStream,
	service string, fetch func(context.Context) ([]W, error), order func([]W) []W, describe func(W) listed) {
	var filter F
	if diags := listFilter(ctx, req.Config, &filter); diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	all, err := fetch(ctx)
	if err != nil {
		var diags diag.Diagnostics
		addAPIError(&diags, "Could not list "+service+" webhooks", err)
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	var kept []W
	for _, w := range order(all) {
		if filter.keeps(w) {
			kept = append(kept, w)
		}
	}
	stream.Results = webhookResults(ctx, req, kept, describe)
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
