package provider

import (
	"cmp"
	"context"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"

	"github.com/seed/terraform-provider-webhooks/internal/selsup"
)

var _ datasource.DataSourceWithConfigure = &selsupWebhooksDataSource{}

// NewSelSupWebhooksDataSource is the selsup_webhooks data source.
func NewSelSupWebhooksDataSource() datasource.DataSource { return &selsupWebhooksDataSource{} }

type selsupWebhooksDataSource struct {
	dataSourceBase[*selsup.Client]
}

type selsupWebhooksModel struct {
	Webhooks []selsupWebhookDataModel `tfsdk:"webhooks"`
}

func (d *selsupWebhooksDataSource) Metadata(_ context.Context, _ datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = "selsup_webhooks"
}

func (d *selsupWebhooksDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists every webhook of the SelSup account, including those Terraform does not manage.",
		Attributes: map[string]schema.Attribute{
			"webhooks": schema.ListNestedAttribute{
				Computed: true,
				MarkdownDescription: "Every webhook, by ascending id, whatever order the API answers in, so that the " +
					"result does not change when nothing changed.",
				NestedObject: schema.NestedAttributeObject{Attributes: selsupWebhookDataAttributes(false)},
			},
		},
	}
}

func (d *selsupWebhooksDataSource) Read(ctx context.Context, _ datasource.ReadRequest, resp *datasource.ReadResponse) {
	defer d.warnArrivals(&resp.Diagnostics)
	listed, err := d.client.ListWebhooks(ctx)
	if err != nil {
		addAPIError(&resp.Diagnostics, "Could not list SelSup webhooks", err)
		return
	}
	model := selsupWebhooksModel{Webhooks: make([]selsupWebhookDataModel, 0, len(listed))}
	for _, w := range byID(listed) {
		warnUnsafeSelSup(&resp.Diagnostics, w)
		m, diags := newSelSupWebhookDataModel(ctx, w)
		resp.Diagnostics.Append(diags...)
		model.Webhooks = append(model.Webhooks, m)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
}

// byID sorts the webhooks (the caller's own copy, from the client) by ascending id, whatever order SelSup lists
// them in.
func byID(listed []selsup.Webhook) []selsup.Webhook {
	slices.SortFunc(listed, func(a, b selsup.Webhook) int { return cmp.Compare(a.ID, b.ID) })
	return listed
}
