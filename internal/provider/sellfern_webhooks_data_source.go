package provider

import (
	"context"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"

	"github.com/seed/terraform-provider-webhooks/internal/sellfern"
)

var _ datasource.DataSourceWithConfigure = &sellfernWebhooksDataSource{}

// NewSellfernWebhooksDataSource is the sellfern_webhooks data source.
func NewSellfernWebhooksDataSource() datasource.DataSource { return &sellfernWebhooksDataSource{} }

type sellfernWebhooksDataSource struct {
	dataSourceBase[*sellfern.Client]
}

type sellfernWebhooksModel struct {
	Webhooks []sellfernWebhookDataModel `tfsdk:"webhooks"`
}

func (d *sellfernWebhooksDataSource) Metadata(_ context.Context, _ datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = "sellfern_webhooks"
}

func (d *sellfernWebhooksDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists every webhook of the Sellfern account, including those Terraform does not manage. " +
			"Secrets are never listed.",
		Attributes: map[string]schema.Attribute{
			"webhooks": schema.ListNestedAttribute{
				Computed: true,
				MarkdownDescription: "Every webhook, oldest first (by `created_at`, then `id`), whatever order the API " +
					"answers in, so that the result does not change when nothing changed.",
				NestedObject: schema.NestedAttributeObject{Attributes: sellfernWebhookDataAttributes(false)},
			},
		},
	}
}

func (d *sellfernWebhooksDataSource) Read(ctx context.Context, _ datasource.ReadRequest, resp *datasource.ReadResponse) {
	defer d.warnArrivals(&resp.Diagnostics)
	listed, err := d.client.ListWebhooks(ctx)
	if err != nil {
		addAPIError(&resp.Diagnostics, "Could not list Sellfern webhooks", err)
		return
	}
	model := sellfernWebhooksModel{Webhooks: make([]sellfernWebhookDataModel, 0, len(listed))}
	for _, w := range oldestFirst(listed) {
		warnUnsafeSellfern(&resp.Diagnostics, w)
		m, diags := newSellfernWebhookDataModel(ctx, w)
		resp.Diagnostics.Append(diags...)
		model.Webhooks = append(model.Webhooks, m)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
}

// oldestFirst sorts the webhooks (the caller's own copy, from the client) in a stable order whatever order Sellfern
// lists them in (sellfern.OldestFirst).
func oldestFirst(listed []sellfern.Webhook) []sellfern.Webhook {
	slices.SortFunc(listed, sellfern.OldestFirst)
	return listed
}
