package provider

import (
	"context"
	"fmt"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/seed/terraform-provider-webhooks/internal/sellfern"
)

var _ datasource.DataSourceWithConfigure = &sellfernWebhookDeliveriesDataSource{}

// NewSellfernWebhookDeliveriesDataSource is the sellfern_webhook_deliveries data source.
func NewSellfernWebhookDeliveriesDataSource() datasource.DataSource {
	return &sellfernWebhookDeliveriesDataSource{}
}

type sellfernWebhookDeliveriesDataSource struct {
	dataSourceBase[*sellfern.Client]
}

type sellfernDeliveriesModel struct {
	WebhookID  types.String            `tfsdk:"webhook_id"`
	Deliveries []sellfernDeliveryModel `tfsdk:"deliveries"`
}

type sellfernDeliveryModel struct {
	ID         types.String `tfsdk:"id"`
	Event      types.String `tfsdk:"event"`
	StatusCode types.Int64  `tfsdk:"status_code"`
	Success    types.Bool   `tfsdk:"success"`
	Error      types.String `tfsdk:"error"`
	CreatedAt  types.String `tfsdk:"created_at"`
}

func (d *sellfernWebhookDeliveriesDataSource) Metadata(_ context.Context, _ datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = "sellfern_webhook_deliveries"
}

func (d *sellfernWebhookDeliveriesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads the recent deliveries to one Sellfern webhook: for each, the event, the HTTP status " +
			"code the endpoint answered with and any error. Useful in checks and outputs that confirm an endpoint works.",
		Attributes: map[string]schema.Attribute{
			"webhook_id": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "The id of the webhook, like `wh_abc123` (for example `sellfern_webhook.orders.id`).",
				Validators:          []validator.String{sellfernWebhookID()},
			},
			"deliveries": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "Recent deliveries, newest first, as far back as Sellfern keeps them.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id":          schema.StringAttribute{Computed: true, MarkdownDescription: "The delivery's id."},
					"event":       schema.StringAttribute{Computed: true, MarkdownDescription: "The event delivered."},
					"status_code": schema.Int64Attribute{Computed: true, MarkdownDescription: "The HTTP status code the endpoint answered with (0 if it could not be reached)."},
					"success":     schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether Sellfern counts the delivery as successful."},
					"error":       schema.StringAttribute{Computed: true, MarkdownDescription: "Error details when the delivery failed; empty otherwise."},
					// A plain string, as Sellfern wrote it: a delivery's time is not checked, so a typed RFC 3339
					// value could fail the whole read for one odd entry.
					"created_at": schema.StringAttribute{Computed: true, MarkdownDescription: "When the delivery was attempted (RFC 3339)."},
				}},
			},
		},
	}
}

func (d *sellfernWebhookDeliveriesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	defer d.warnArrivals(&resp.Diagnostics)
	var model sellfernDeliveriesModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := model.WebhookID.ValueString()
	deliveries, err := d.client.ListDeliveries(ctx, id)
	if sellfern.IsNotFound(err) {
		resp.Diagnostics.AddError("Sellfern webhook not found",
			fmt.Sprintf("Sellfern has no webhook with id %q in this account, so it has no deliveries to show.", id))
		return
	}
	if err != nil {
		addAPIError(&resp.Diagnostics, "Could not read Sellfern webhook deliveries", err)
		return
	}
	slices.SortStableFunc(deliveries, sellfern.NewestFirst) // the caller's own copy, from the client
	model.Deliveries = make([]sellfernDeliveryModel, 0, len(deliveries))
	for _, dl := range deliveries {
		model.Deliveries = append(model.Deliveries, sellfernDeliveryModel{
			ID:         types.StringValue(dl.ID),
			Event:      types.StringValue(dl.Event),
			StatusCode: types.Int64Value(int64(dl.StatusCode)),
			Success:    types.BoolValue(dl.Success),
			Error:      types.StringValue(dl.Error),
			CreatedAt:  types.StringValue(dl.CreatedAt),
		})
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
}
