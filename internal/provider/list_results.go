package provider

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/seed/terraform-provider-webhooks/internal/safetext"
)

// listed describes one webhook as a list result: its identity's id, the name `terraform query` shows (as the
// service wrote it; it is escaped for the terminal here), what it is (like "Sellfern webhook wh_1"), and the
// resource object, as the configuration that adopts it would set it.
type listed struct {
	id, displayName, what string
	resource              func() (any, diag.Diagnostics)
}

// listFilterer is a list block's config: a set of optional filters a webhook of type W passes or not.
type listFilterer[W any] interface {
	keeps(W) bool
}

// streamWebhooks is the whole of a list resource's List, for either service: it reads the block's filters, lists
// the service once (the client shares that list with every other list block and read of the run), keeps what
// passes the filters, in the order given, and streams the results described by describe.
func streamWebhooks[W any, F listFilterer[W]](ctx context.Context, req list.ListRequest, stream *list.ListResultsStream,
	service string, fetch func(context.Context) ([]W, error), order func([]W) []W, resourceSchema rschema.Schema,
	describe func(W) listed) {
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
	stream.Results = webhookResults(ctx, req, service, kept, resourceSchema, describe)
}

// webhookResults streams the results of a list block from one list of the service's webhooks, already filtered
// and in the order to show: at most req.Limit of them (Terraform stops reading there as well, and a limit of 0
// asks for none), each with its identity, and with its resource object only when req.IncludeResource is set.
// Building a result waits until Terraform asks for it, so a small limit costs no more than it shows.
func webhookResults[W any](ctx context.Context, req list.ListRequest, service string, hooks []W,
	resourceSchema rschema.Schema, describe func(W) listed) iter.Seq[list.ListResult] {
	return func(push func(list.ListResult) bool) {
		for i, w := range hooks {
			if int64(i) >= req.Limit {
				return
			}
			d := describe(w)
			result := req.NewListResult(ctx)
			result.DisplayName = safetext.Escape(d.displayName)
			setIdentity(ctx, result.Identity, d.id, &result.Diagnostics)
			model, diags := d.resource()
			result.Diagnostics.Append(diags...)
			if req.IncludeResource {
				result.Diagnostics.Append(result.Resource.Set(ctx, model)...)
			}
			if problems := adoptionProblems(ctx, resourceSchema, model); len(problems) > 0 {
				// The id in the summary keeps Terraform from folding several results' warnings into one.
				result.Diagnostics.AddWarning(fmt.Sprintf("Found a %s webhook that cannot be adopted as it is: %s",
					service, safetext.Escape(d.id)),
					fmt.Sprintf("%s (%s): the configuration that adopts it, as terraform query -generate-config-out "+
						"writes it, would be refused at plan time: %s The provider refuses such values in "+
						"configuration for safety. To manage this webhook, remake it on the service with acceptable "+
						"values, or leave it unmanaged.", d.what, safetext.Shorten(d.displayName, 200),
						strings.Join(problems, " ")))
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

// adoptionProblems runs the validators of every attribute a configuration sets over model, a resource object
// built from what the service lists, and returns what they refuse, as "attribute: why" sentences. A listed value
// that the resource would refuse in configuration (a URL of the wrong kind, a name with control characters) makes
// the generated configuration fail its first plan.
func adoptionProblems(ctx context.Context, s rschema.Schema, model any) []string {
	state := tfsdk.State{Schema: s, Raw: tftypes.NewValue(s.Type().TerraformType(ctx), nil)}
	if state.Set(ctx, model).HasError() {
		return nil
	}
	var raw map[string]tftypes.Value
	if state.Raw.As(&raw) != nil {
		return nil
	}
	var problems []string
	for _, name := range slices.Sorted(maps.Keys(s.Attributes)) {
		a := s.Attributes[name]
		if !a.IsRequired() && !a.IsOptional() {
			continue
		}
		v, err := a.GetType().ValueFromTerraform(ctx, raw[name])
		if err != nil {
			continue
		}
		var diags diag.Diagnostics
		p := path.Root(name)
		switch a := a.(type) {
		case rschema.StringAttribute:
			valuable, ok := v.(basetypes.StringValuable)
			if !ok {
				continue
			}
			sv, d := valuable.ToStringValue(ctx)
			diags.Append(d...)
			for _, check := range a.StringValidators() {
				resp := &validator.StringResponse{}
				check.ValidateString(ctx, validator.StringRequest{Path: p, ConfigValue: sv}, resp)
				diags.Append(resp.Diagnostics...)
			}
		case rschema.SetAttribute:
			valuable, ok := v.(basetypes.SetValuable)
			if !ok {
				continue
			}
			sv, d := valuable.ToSetValue(ctx)
			diags.Append(d...)
			for _, check := range a.SetValidators() {
				resp := &validator.SetResponse{}
				check.ValidateSet(ctx, validator.SetRequest{Path: p, ConfigValue: sv}, resp)
				diags.Append(resp.Diagnostics...)
			}
		case rschema.NumberAttribute:
			valuable, ok := v.(basetypes.NumberValuable)
			if !ok {
				continue
			}
			nv, d := valuable.ToNumberValue(ctx)
			diags.Append(d...)
			for _, check := range a.NumberValidators() {
				resp := &validator.NumberResponse{}
				check.ValidateNumber(ctx, validator.NumberRequest{Path: p, ConfigValue: nv}, resp)
				diags.Append(resp.Diagnostics...)
			}
		}
		for _, d := range diags.Errors() {
			problems = append(problems, name+": "+d.Detail())
		}
	}
	return problems
}

// resourceSchema is the schema of the resource a list resource's results adopt.
func resourceSchema(ctx context.Context, r resource.Resource) rschema.Schema {
	var resp resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &resp)
	return resp.Schema
}
