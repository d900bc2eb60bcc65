package provider

import (
	"context"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/seed/terraform-provider-webhooks/internal/sellfern"
)

var _ list.ListResourceWithConfigure = &sellfernWebhookListResource{}

// NewSellfernWebhookListResource is the sellfern_webhook list resource, which `terraform query` uses to find webhooks.
func NewSellfernWebhookListResource() list.ListResource { return &sellfernWebhookListResource{} }

type sellfernWebhookListResource struct {
	resourceBase[*sellfern.Client]
}

// sellfernWebhookFilter is a list block's config: each filter is optional, and a webhook is listed when it passes
// every filter that is set.
type sellfernWebhookFilter struct {
	Event     types.String `tfsdk:"event"`
	Enabled   types.Bool   `tfsdk:"enabled"`
	URLPrefix types.String `tfsdk:"url_prefix"`
}

func (f sellfernWebhookFilter) keeps(w sellfern.Webhook) bool {
	return (f.Event.IsNull() || slices.Contains(w.Events, f.Event.ValueString())) &&
		(f.Enabled.IsNull() || w.Enabled == f.Enabled.ValueBool()) &&
		(f.URLPrefix.IsNull() || strings.HasPrefix(w.URL, f.URLPrefix.ValueString()))
}

func (r *sellfernWebhookListResource) Metadata(_ context.Context, _ resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = "sellfern_webhook"
}

func (r *sellfernWebhookListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Finds the webhooks of the Sellfern account, including those no Terraform configuration " +
			"manages, for `terraform query` (which can also write the configuration that imports them). Each result " +
			"is named by the webhook's url and identified by its id. The filters are optional and combine: a webhook " +
			"is listed when it passes every filter given. Results come oldest first (by `created_at`, then `id`). " +
			"With `include_resource = true` each result carries the webhook's attributes; `secret` is always null " +
			"there, because Sellfern shows it only once, to the call that creates the webhook.",
		Attributes: map[string]schema.Attribute{
			"event": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Only webhooks subscribed to this event: " + sellfernEventNames.eventsDescription() + ".",
				Validators: []validator.String{eventName(sellfernEventNames,
					"; the filter keeps the webhooks Sellfern lists with it")},
			},
			"enabled": schema.BoolAttribute{
				Optional:            true,
				MarkdownDescription: "Only webhooks that deliver events (`true`) or only paused ones (`false`).",
			},
			"url_prefix": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Only webhooks whose `url` begins with this text, compared exactly as Sellfern " +
					"lists the url (such as `https://hooks.example.com/`).",
			},
		},
	}
}

// List costs one list call to Sellfern, whatever the number of webhooks.
func (r *sellfernWebhookListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	streamWebhooks[sellfern.Webhook, sellfernWebhookFilter](ctx, req, stream, "Sellfern", r.client.ListWebhooks, oldestFirst,
		resourceSchema(ctx, &sellfernWebhookResource{}),
		func(w sellfern.Webhook) listed {
			return listed{id: w.ID, displayName: w.URL, what: "Sellfern webhook " + w.ID, resource: func() (any, diag.Diagnostics) {
				model := sellfernWebhookModel{Secret: types.StringNull()}
				diags := model.fromAPI(ctx, w)
				return model, diags
			}}
		})
}
