package provider

import (
	"context"
	"math"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/seed/terraform-provider-webhooks/internal/selsup"
)

var _ list.ListResourceWithConfigure = &selsupWebhookListResource{}

// NewSelSupWebhookListResource is the selsup_webhook list resource, which `terraform query` uses to find webhooks.
func NewSelSupWebhookListResource() list.ListResource { return &selsupWebhookListResource{} }

type selsupWebhookListResource struct {
	resourceBase[*selsup.Client]
}

// selsupWebhookFilter is a list block's config: each filter is optional, and a webhook is listed when it passes
// every filter that is set.
type selsupWebhookFilter struct {
	Type           types.String `tfsdk:"type"`
	OrganizationID types.Number `tfsdk:"organization_id"`
	URLPrefix      types.String `tfsdk:"url_prefix"`
}

// keeps reports whether w passes the filter. A webhook listed without its types cannot be shown to have one, so
// a type filter leaves it out.
func (f selsupWebhookFilter) keeps(w selsup.Webhook) bool {
	return (f.Type.IsNull() || slices.Contains(w.Types, f.Type.ValueString())) &&
		(f.OrganizationID.IsNull() || w.OrganizationID == orgID(f.OrganizationID)) &&
		(f.URLPrefix.IsNull() || strings.HasPrefix(w.URL, f.URLPrefix.ValueString()))
}

func (r *selsupWebhookListResource) Metadata(_ context.Context, _ resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = "selsup_webhook"
}

func (r *selsupWebhookListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Finds the webhooks of the SelSup account, including those no Terraform configuration " +
			"manages, for `terraform query` (which can also write the configuration that imports them). Each result " +
			"is named by the webhook's name, or its url when it has no name, and identified by its id. The filters " +
			"are optional and combine: a webhook is listed when it passes every filter given. Results come by " +
			"ascending id. With `include_resource = true` each result carries the webhook's attributes.",
		Attributes: map[string]schema.Attribute{
			"type": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Only webhooks subscribed to this event type: " + selsupTypeNames.eventsDescription() +
					". SelSup's documents do not promise that its list shows each webhook's types; a webhook listed " +
					"without them never passes this filter.",
				Validators: []validator.String{eventName(selsupTypeNames,
					"; the filter keeps the webhooks SelSup lists with it")},
			},
			"organization_id": schema.NumberAttribute{
				Optional:            true,
				MarkdownDescription: "Only webhooks for this SelSup organization, a positive integer.",
				Validators:          []validator.Number{wholeNumber(1, math.MaxInt64)},
			},
			"url_prefix": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Only webhooks whose `url` begins with this text, compared exactly as SelSup " +
					"lists the url (such as `https://hooks.example.com/`).",
			},
		},
	}
}

// List costs one list call to SelSup, whatever the number of webhooks.
func (r *selsupWebhookListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	streamWebhooks[selsup.Webhook, selsupWebhookFilter](ctx, req, stream, "SelSup", r.client.ListWebhooks, byID,
		resourceSchema(ctx, &selsupWebhookResource{}),
		func(w selsup.Webhook) listed {
			name := w.Name
			if name == "" {
				name = w.URL
			}
			return listed{id: selsup.FormatID(w.ID), displayName: name, what: "SelSup webhook " + selsup.FormatID(w.ID),
				resource: func() (any, diag.Diagnostics) {
					model := selsupWebhookModel{Types: types.SetNull(types.StringType)}
					diags := model.fromAPI(ctx, w)
					return model, diags
				}}
		})
}
