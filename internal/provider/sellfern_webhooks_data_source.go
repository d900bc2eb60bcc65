package provider

import (
	"context"
	"slices"
	"strings"
	"time"

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
	listed, err := d.client.ListWebhooks(ctx)
	if err != nil {
		addAPIError(&resp.Diagnostics, "Could not list Sellfern webhooks", err)
		return
	}
	model := sellfernWebhooksModel{Webhooks: make([]sellfernWebhookDataModel, 0, len(listed))}
	for _, w := range oldestFirst(listed) {
		m, diags := newSellfernWebhookDataModel(ctx, w)
		resp.Diagnostics.Append(diags...)
		model.Webhooks = append(model.Webhooks, m)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
}

// oldestFirst returns the webhooks in a stable order whatever order Sellfern lists them in: by created_at as a
// moment in time (the same moment written with another offset is no different), then by id. A created_at that is
// not RFC 3339 sorts after every one that is, by its text.
func oldestFirst(listed []sellfern.Webhook) []sellfern.Webhook {
	type keyed struct {
		hook   sellfern.Webhook
		at     time.Time
		parsed bool
	}
	keys := make([]keyed, len(listed))
	for i, w := range listed {
		at, err := time.Parse(time.RFC3339, w.CreatedAt)
		keys[i] = keyed{hook: w, at: at, parsed: err == nil}
	}
	slices.SortFunc(keys, func(a, b keyed) int {
		switch {
		case a.parsed && b.parsed:
			if c := a.at.Compare(b.at); c != 0 {
				return c
			}
		case a.parsed != b.parsed:
			if a.parsed {
				return -1
			}
			return 1
		default:
			if c := strings.Compare(a.hook.CreatedAt, b.hook.CreatedAt); c != 0 {
				return c
			}
		}
		return strings.Compare(a.hook.ID, b.hook.ID)
	})
	out := make([]sellfern.Webhook, len(keys))
	for i, k := range keys {
		out[i] = k.hook
	}
	return out
}
