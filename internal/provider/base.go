package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
)

// Every resource, list resource, data source and action embeds the base of its kind, instantiated with its service's
// client type (resourceBase[*sellfern.Client], dataSourceBase[*selsup.Client], …). The base holds Configure, so a
// type's own file holds only its schema and its CRUD or read. A list resource uses resourceBase: the framework
// configures it with the resource's request types.

// serviceBase holds the client of one service, C being its client type.
type serviceBase[C any] struct {
	client C
}

// configure takes the client of C's service from what the provider's Configure built. Validation runs before the
// provider is configured, with no provider data: there is nothing to take then. A service whose settings are
// missing or wrong reports that here, so only configurations that use the service need its credentials.
func (b *serviceBase[C]) configure(from any, diags *diag.Diagnostics) {
	if from == nil {
		return
	}
	data, ok := from.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data",
			fmt.Sprintf("Expected *providerData, got %T. This is a bug in the provider; please report it.", from))
		return
	}
	for _, service := range []any{data.sellfern, data.selsup} {
		if s, ok := service.(serviceClient[C]); ok {
			client, clientDiags := s.get()
			diags.Append(clientDiags...)
			if !clientDiags.HasError() {
				b.client = client
			}
			return
		}
	}
	var zero C
	diags.AddError("Unexpected client type",
		fmt.Sprintf("The provider builds no client of type %T. This is a bug in the provider; please report it.", zero))
}

// resourceBase is embedded by resources and list resources.
type resourceBase[C any] struct{ serviceBase[C] }

func (b *resourceBase[C]) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	b.configure(req.ProviderData, &resp.Diagnostics)
}

// dataSourceBase is embedded by data sources.
type dataSourceBase[C any] struct{ serviceBase[C] }

func (b *dataSourceBase[C]) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	b.configure(req.ProviderData, &resp.Diagnostics)
}

// actionBase is embedded by actions.
type actionBase[C any] struct{ serviceBase[C] }

func (b *actionBase[C]) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	b.configure(req.ProviderData, &resp.Diagnostics)
}
