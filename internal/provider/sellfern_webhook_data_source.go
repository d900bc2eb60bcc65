package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/seed/terraform-provider-webhooks/internal/sellfern"
)

var _ datasource.DataSourceWithConfigure = &sellfernWebhookDataSource{}

// NewSellfernWebhookDataSource is the sellfern_webhook data source.
func NewSellfernWebhookDataSource() datasource.DataSource { return &sellfernWebhookDataSource{} }

type sellfernWebhookDataSource struct {
	dataSourceBase[*sellfern.Client]
}

// sellfernWebhookDataModel is one webhook as the data sources show it: never with a secret, which Sellfern lists
// for nobody.
type sellfernWebhookDataModel struct {
	ID        types.String      `tfsdk:"id"`
	URL       types.String      `tfsdk:"url"`
	Events    types.Set         `tfsdk:"events"`
	Enabled   types.Bool        `tfsdk:"enabled"`
	CreatedAt timetypes.RFC3339 `tfsdk:"created_at"`
}

func newSellfernWebhookDataModel(ctx context.Context, w sellfern.Webhook) (sellfernWebhookDataModel, diag.Diagnostics) {
	events, diags := stringSet(ctx, w.Events)
	return sellfernWebhookDataModel{
		ID:        types.StringValue(w.ID),
		URL:       types.StringValue(w.URL),
		Events:    events,
		Enabled:   types.BoolValue(w.Enabled),
		CreatedAt: createdAt(w),
	}, diags
}

// sellfernWebhookDataAttributes are the attributes of one webhook; the id is an argument of the single-webhook
// data source and an output of the list.
func sellfernWebhookDataAttributes(idArgument bool) map[string]schema.Attribute {
	id := schema.StringAttribute{Computed: true, MarkdownDescription: "The webhook's id, like `wh_abc123`."}
	if idArgument {
		id = schema.StringAttribute{
			Required:            true,
			MarkdownDescription: "The id of the webhook to read, like `wh_abc123`.",
			Validators:          []validator.String{sellfernWebhookID()},
		}
	}
	return map[string]schema.Attribute{
		"id":      id,
		"url":     schema.StringAttribute{Computed: true, MarkdownDescription: "The endpoint Sellfern sends events to."},
		"events":  schema.SetAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "The subscribed events."},
		"enabled": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether delivery is active (`false` means paused)."},
		"created_at": schema.StringAttribute{Computed: true, CustomType: timetypes.RFC3339Type{},
			MarkdownDescription: "When the webhook was created (RFC 3339)."},
	}
}

func (d *sellfernWebhookDataSource) Metadata(_ context.Context, _ datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = "sellfern_webhook"
}

func (d *sellfernWebhookDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one Sellfern webhook by id. The signing secret is never available here: Sellfern " +
			"returns it only to the create call.",
		Attributes: sellfernWebhookDataAttributes(true),
	}
}

func (d *sellfernWebhookDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	defer d.warnArrivals(&resp.Diagnostics)
	var cfg sellfernWebhookDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	w, err := d.client.GetWebhook(ctx, cfg.ID.ValueString())
	if sellfern.IsNotFound(err) {
		resp.Diagnostics.AddError("Sellfern webhook not found",
			fmt.Sprintf("Sellfern has no webhook with id %q in this account.", cfg.ID.ValueString()))
		return
	}
	if err != nil {
		addAPIError(&resp.Diagnostics, "Could not read Sellfern webhook", err)
		return
	}
	warnUnsafeSellfern(&resp.Diagnostics, *w)
	model, diags := newSellfernWebhookDataModel(ctx, *w)
	resp.Diagnostics.Append(diags...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
}
