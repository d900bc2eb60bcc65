package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/seed/terraform-provider-webhooks/internal/selsup"
)

var _ datasource.DataSourceWithConfigure = &selsupWebhookDataSource{}

// NewSelSupWebhookDataSource is the selsup_webhook data source.
func NewSelSupWebhookDataSource() datasource.DataSource { return &selsupWebhookDataSource{} }

type selsupWebhookDataSource struct {
	dataSourceBase[*selsup.Client]
}

type selsupWebhookDataModel struct {
	ID             types.String `tfsdk:"id"`
	Name           types.String `tfsdk:"name"`
	URL            types.String `tfsdk:"url"`
	Types          types.Set    `tfsdk:"types"`
	OrganizationID types.Int64  `tfsdk:"organization_id"`
	ClientID       types.Int64  `tfsdk:"client_id"`
}

func newSelSupWebhookDataModel(ctx context.Context, w selsup.Webhook) (selsupWebhookDataModel, diag.Diagnostics) {
	m := selsupWebhookDataModel{
		ID:             types.StringValue(selsup.FormatID(w.ID)),
		Name:           optionalString(w.Name),
		URL:            types.StringValue(w.URL),
		Types:          types.SetNull(types.StringType),
		OrganizationID: optionalInt64(w.OrganizationID),
		ClientID:       optionalInt64(w.ClientID),
	}
	var diags diag.Diagnostics
	if w.Types != nil {
		m.Types, diags = stringSet(ctx, w.Types)
	}
	return m, diags
}

func selsupWebhookDataAttributes(idArgument bool) map[string]schema.Attribute {
	id := schema.StringAttribute{Computed: true, MarkdownDescription: "The webhook's id (an integer, as a string)."}
	if idArgument {
		id = schema.StringAttribute{
			Required:            true,
			MarkdownDescription: "The id of the webhook to read: SelSup's integer id, as a string (like `\"1042\"`).",
			Validators:          []validator.String{notBlank()},
		}
	}
	return map[string]schema.Attribute{
		"id":   id,
		"name": schema.StringAttribute{Computed: true, MarkdownDescription: "The webhook's name; null when it has none."},
		"url":  schema.StringAttribute{Computed: true, MarkdownDescription: "Where SelSup sends events."},
		"types": schema.SetAttribute{Computed: true, ElementType: types.StringType,
			MarkdownDescription: "The subscribed event types; null when SelSup's list does not include them (its documents do not promise it)."},
		"organization_id": schema.Int64Attribute{Computed: true, MarkdownDescription: "The organization the webhook is for; null when unset."},
		"client_id":       schema.Int64Attribute{Computed: true, MarkdownDescription: "The SelSup account the webhook belongs to."},
	}
}

func (d *selsupWebhookDataSource) Metadata(_ context.Context, _ datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = "selsup_webhook"
}

func (d *selsupWebhookDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one SelSup webhook by id.",
		Attributes:          selsupWebhookDataAttributes(true),
	}
}

func (d *selsupWebhookDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	defer d.warnArrivals(&resp.Diagnostics)
	var cfg selsupWebhookDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id, err := selsup.ParseID(cfg.ID.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("id"), "Invalid SelSup webhook id", capitalize(err.Error())+".")
		return
	}
	w, err := d.client.GetWebhook(ctx, id)
	if selsup.IsNotFound(err) {
		resp.Diagnostics.AddError("SelSup webhook not found", fmt.Sprintf("SelSup has no webhook with id %d in this account.", id))
		return
	}
	if err != nil {
		addAPIError(&resp.Diagnostics, "Could not read SelSup webhook", err)
		return
	}
	warnUnsafeSelSup(&resp.Diagnostics, *w)
	model, diags := newSelSupWebhookDataModel(ctx, *w)
	resp.Diagnostics.Append(diags...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
}
