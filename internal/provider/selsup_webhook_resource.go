package provider

import (
	"context"
	"fmt"
	"math"
	"math/big"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/numberplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/seed/terraform-provider-webhooks/internal/selsup"
	"github.com/seed/terraform-provider-webhooks/internal/webhookurl"
)

var (
	_ resource.ResourceWithConfigure   = &selsupWebhookResource{}
	_ resource.ResourceWithImportState = &selsupWebhookResource{}
	_ resource.ResourceWithIdentity    = &selsupWebhookResource{}
)

// NewSelSupWebhookResource is the selsup_webhook resource.
func NewSelSupWebhookResource() resource.Resource { return &selsupWebhookResource{} }

type selsupWebhookResource struct {
	resourceBase[*selsup.Client]
}

type selsupWebhookModel struct {
	ID             types.String `tfsdk:"id"`
	Name           types.String `tfsdk:"name"`
	URL            urlValue     `tfsdk:"url"`
	Types          types.Set    `tfsdk:"types"`
	OrganizationID types.Number `tfsdk:"organization_id"`
	ClientID       types.Int64  `tfsdk:"client_id"`
}

func (r *selsupWebhookResource) Metadata(_ context.Context, _ resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = "selsup_webhook"
}

func (r *selsupWebhookResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := "Changing it replaces the webhook."
	resp.Schema = schema.Schema{
		MarkdownDescription: "A SelSup webhook subscription: SelSup sends the chosen event types to `url`. SelSup's API " +
			"has no update call, so **any change replaces the webhook** (delete, then create). Where a gap between " +
			"the two matters, add `lifecycle { create_before_destroy = true }`.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The webhook's id, an integer assigned by SelSup, as a string (like `\"1042\"`).",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "A name for the webhook: any text, Cyrillic included, without control or " +
					"bidirectional-formatting characters. " + replace,
				Validators:    []validator.String{printableName()},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"url": schema.StringAttribute{
				Required:   true,
				CustomType: urlType{},
				MarkdownDescription: fmt.Sprintf("Where SelSup sends events: an absolute `https://` (or `http://`) URL of "+
					"at most %d characters, without a user name or password. %s", maxURLLength, replace),
				Validators: []validator.String{webhookURL("https", "http")},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplaceIf(urlRequiresReplace,
					"Changing the endpoint replaces the webhook; another spelling of the same endpoint does not.",
					"Changing the endpoint replaces the webhook; another spelling of the same endpoint does not.")},
			},
			"types": schema.SetAttribute{
				Required:    true,
				ElementType: types.StringType,
				MarkdownDescription: "The event types to subscribe to, at least one: " + selsupTypeNames.eventsDescription() +
					". A set: order does not matter. " + replace,
				Validators: []validator.Set{
					setvalidator.SizeAtLeast(1),
					eventNameSet(selsupTypeNames, ", and refuses to create a webhook with one it does not have (HTTP 400)"),
				},
				PlanModifiers: []planmodifier.Set{setplanmodifier.RequiresReplace()},
			},
			"organization_id": schema.NumberAttribute{
				Optional:            true,
				MarkdownDescription: "The SelSup organization the webhook is for, a whole number of 1 or more. " + replace,
				Validators:          []validator.Number{wholeNumber(1, math.MaxInt64)},
				PlanModifiers:       []planmodifier.Number{numberplanmodifier.RequiresReplace()},
			},
			"client_id": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "The SelSup account (client) the webhook belongs to, set by SelSup.",
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
		},
	}
}

func (r *selsupWebhookResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = webhookIdentitySchema("The webhook's id, an integer assigned by SelSup, as a string (like `\"1042\"`).")
}

// selsupID is the state's id as SelSup's integer; one that is not an integer is reported, not sent.
func (m selsupWebhookModel) selsupID(diags *diag.Diagnostics) (int64, bool) {
	id, err := selsup.ParseID(m.ID.ValueString())
	if err != nil {
		diags.AddError("Invalid SelSup webhook id in state", err.Error())
		return 0, false
	}
	return id, true
}

// fromAPI sets what SelSup lists about a webhook. The documents do not promise types in the list: when they are
// missing, what the model holds stands.
func (m *selsupWebhookModel) fromAPI(ctx context.Context, w selsup.Webhook) diag.Diagnostics {
	m.ID = types.StringValue(selsup.FormatID(w.ID))
	m.Name = optionalString(w.Name)
	m.URL = newURLValue(w.URL)
	m.OrganizationID = optionalNumber(w.OrganizationID)
	m.ClientID = optionalInt64(w.ClientID)
	if w.Types == nil {
		return nil
	}
	set, diags := stringSet(ctx, w.Types)
	m.Types = set
	return diags
}

func (r *selsupWebhookResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer r.warnArrivals(&resp.Diagnostics)
	var plan selsupWebhookModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	eventTypes, diags := setStrings(ctx, plan.Types)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	created, err := r.client.CreateWebhook(ctx, selsup.CreateRequest{
		Name:           plan.Name.ValueString(),
		URL:            plan.URL.ValueString(),
		OrganizationID: orgID(plan.OrganizationID),
		Types:          eventTypes,
	})
	if err != nil {
		addAPIError(&resp.Diagnostics, "Could not create SelSup webhook", err)
		return
	}
	plan.ID = types.StringValue(selsup.FormatID(created.ID))
	plan.ClientID = optionalInt64(created.ClientID)
	if created.Adopted {
		warnAdopted(&resp.Diagnostics, plan.URL.ValueString(), plan.ID.ValueString())
	}
	reportCreate(ctx, &resp.Diagnostics, resp.Private, selsupWords, createSeen{url: plan.URL.ValueString(),
		id: plan.ID.ValueString(), identical: selsupIDs(created.Identical), inDoubt: created.InDoubt,
		appeared: selsupIDs(created.Appeared), beside: created.Beside, checkErr: created.CheckErr})
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	setIdentity(ctx, resp.Identity, plan.ID.ValueString(), &resp.Diagnostics)
}

func (r *selsupWebhookResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	defer r.warnArrivals(&resp.Diagnostics)
	var state selsupWebhookModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id, ok := state.selsupID(&resp.Diagnostics)
	if !ok {
		return
	}
	setIdentity(ctx, resp.Identity, selsup.FormatID(id), &resp.Diagnostics)
	w, err := r.client.GetWebhook(ctx, id)
	if selsup.IsNotFound(err) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addAPIError(&resp.Diagnostics, "Could not read SelSup webhook", err)
		return
	}
	warnUnsafeSelSup(&resp.Diagnostics, *w)
	resp.Diagnostics.Append(state.fromAPI(ctx, *w)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	checkWatch(ctx, req.Private, resp.Private, &resp.Diagnostics, selsupWords, selsup.FormatID(w.ID), func() ([]string, error) {
		identical, err := r.client.IdenticalTo(ctx, *w)
		return selsupIDs(identical), err
	})
}

func selsupIDs(webhooks []selsup.Webhook) []string {
	out := make([]string, len(webhooks))
	for i, w := range webhooks {
		out[i] = selsup.FormatID(w.ID)
	}
	return out
}

// urlRequiresReplace: a url spelled another way but naming the same endpoint (a host in capitals in the
// configuration, where SelSup lists it in lower case after an import) needs no new webhook.
func urlRequiresReplace(_ context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = !webhookurl.Equal(req.StateValue.ValueString(), req.PlanValue.ValueString())
}

// Update only takes another spelling of the same url into state: SelSup's API has no update call, so every other
// change replaces the webhook, and the webhook SelSup holds already has this endpoint.
func (r *selsupWebhookResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state selsupWebhookModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	onlyRespelled := webhookurl.Equal(plan.URL.ValueString(), state.URL.ValueString()) && plan.ID.Equal(state.ID) &&
		plan.Name.Equal(state.Name) && plan.Types.Equal(state.Types) && plan.OrganizationID.Equal(state.OrganizationID) &&
		plan.ClientID.Equal(state.ClientID)
	if !onlyRespelled {
		resp.Diagnostics.AddError("SelSup webhooks cannot be updated",
			"SelSup's API has no update call, so every change must replace the webhook. Terraform planned an in-place "+
				"update, which is a bug in the provider; please report it.")
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	setIdentity(ctx, resp.Identity, plan.ID.ValueString(), &resp.Diagnostics)
}

func (r *selsupWebhookResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	defer r.warnArrivals(&resp.Diagnostics)
	var state selsupWebhookModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id, ok := state.selsupID(&resp.Diagnostics)
	if !ok {
		return
	}
	// A webhook already gone counts as deleted only when SelSup's list confirms it (the client's rule).
	if err := r.client.DeleteWebhook(ctx, id); err != nil {
		addAPIError(&resp.Diagnostics, "Could not delete SelSup webhook", err)
	}
}

// ImportState takes the id from `terraform import`, an import block's `id` or its `identity` (the framework's
// passthrough), and checks its form and that the webhook exists, so that a wrong id fails with a message that
// names it; Read then fills the state from the same list.
func (r *selsupWebhookResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	defer r.warnArrivals(&resp.Diagnostics)
	given := importedID(ctx, req, resp)
	if resp.Diagnostics.HasError() {
		return
	}
	id, err := selsup.ParseID(given)
	if err != nil {
		resp.Diagnostics.AddError("Invalid SelSup webhook id", fmt.Sprintf("Cannot import %q: %s.", given, err))
		return
	}
	if _, err := r.client.GetWebhook(ctx, id); err != nil {
		if selsup.IsNotFound(err) {
			resp.Diagnostics.AddError("Cannot import SelSup webhook",
				fmt.Sprintf("SelSup has no webhook with id %d in this account. Check the id (the selsup_webhooks data "+
					"source lists them all).", id))
			return
		}
		addAPIError(&resp.Diagnostics, "Could not import SelSup webhook", err)
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), selsup.FormatID(id))...)
	setIdentity(ctx, resp.Identity, selsup.FormatID(id), &resp.Diagnostics)
}

// optionalString and optionalInt64 map the API's "not set" (empty, zero) to null, which is how an attribute left
// out of the configuration looks.
func optionalString(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

func optionalNumber(n int64) types.Number {
	if n == 0 {
		return types.NumberNull()
	}
	return types.NumberValue(new(big.Float).SetInt64(n))
}

// orgID is organization_id as SelSup's integer (0: not set), once wholeNumber has checked it.
func orgID(n types.Number) int64 {
	v, _ := wholeValue(n)
	return v
}

func optionalInt64(n int64) types.Int64 {
	if n == 0 {
		return types.Int64Null()
	}
	return types.Int64Value(n)
}
