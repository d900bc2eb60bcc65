package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/seed/terraform-provider-webhooks/internal/sellfern"
)

var (
	_ resource.ResourceWithConfigure   = &sellfernWebhookResource{}
	_ resource.ResourceWithImportState = &sellfernWebhookResource{}
	_ resource.ResourceWithIdentity    = &sellfernWebhookResource{}
)

// NewSellfernWebhookResource is the sellfern_webhook resource.
func NewSellfernWebhookResource() resource.Resource { return &sellfernWebhookResource{} }

type sellfernWebhookResource struct {
	resourceBase[*sellfern.Client]
}

type sellfernWebhookModel struct {
	ID        types.String      `tfsdk:"id"`
	URL       urlValue          `tfsdk:"url"`
	Events    types.Set         `tfsdk:"events"`
	Enabled   types.Bool        `tfsdk:"enabled"`
	Secret    types.String      `tfsdk:"secret"`
	CreatedAt timetypes.RFC3339 `tfsdk:"created_at"`
	// RotateWhenChanged is recorded in state only: Sellfern knows nothing of it.
	RotateWhenChanged types.Map `tfsdk:"rotate_when_changed"`
	// SecretRecipients and SecretSealed are Terraform's alone too (sealed_secret.go).
	SecretRecipients types.Set    `tfsdk:"secret_recipients"`
	SecretSealed     types.String `tfsdk:"secret_sealed"`
}

func (r *sellfernWebhookResource) Metadata(_ context.Context, _ resource.MetadataRequest, resp *resource.MetadataResponse) {
	// The type name carries the service, not the provider, so every block names its provider (the provider page
	// explains why).
	resp.TypeName = "sellfern_webhook"
}

func (r *sellfernWebhookResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A Sellfern webhook endpoint: Sellfern POSTs the chosen events to `url`. `url`, `events` and " +
			"`enabled` change in place. The signing `secret` is returned by Sellfern only when the webhook is created; " +
			"the provider keeps it in state, marked sensitive, or with `secret_recipients` only sealed to your keys. " +
			"`rotate_when_changed` replaces the webhook, for a new secret, when one of its values changes.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The webhook's id, assigned by Sellfern (like `wh_abc123`).",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"url": schema.StringAttribute{
				Required:   true,
				CustomType: urlType{},
				MarkdownDescription: fmt.Sprintf("The HTTPS endpoint Sellfern sends events to: an absolute `https://` URL "+
					"of at most %d characters, without a user name or password. Sellfern delivers from the internet, so "+
					"the provider refuses `localhost` and literal loopback, private and link-local addresses (host names "+
					"are not resolved).", maxURLLength),
				Validators: []validator.String{webhookURL("https"), publicURL("Sellfern")},
			},
			"events": schema.SetAttribute{
				Required:    true,
				ElementType: types.StringType,
				MarkdownDescription: "The events to subscribe to, at least one: " + sellfernEventNames.eventsDescription() +
					". A set: order does not matter. A change updates the webhook in place, sending Sellfern the whole new list.",
				Validators: []validator.Set{
					setvalidator.SizeAtLeast(1),
					eventNameSet(sellfernEventNames, ", and refuses to create or update a webhook with one it does not have (HTTP 400)"),
				},
			},
			"enabled": schema.BoolAttribute{
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(true),
				MarkdownDescription: "Whether Sellfern delivers events. `false` pauses delivery without deleting the webhook. Defaults to `true`.",
			},
			"secret": schema.StringAttribute{
				Computed:  true,
				Sensitive: true,
				MarkdownDescription: "The signing secret (`whsec_…`) used to verify Sellfern's deliveries. Sellfern returns it " +
					"only once, when the webhook is created; it is kept in state across refreshes and updates. It is " +
					"null after `terraform import`, since Sellfern cannot show it again: to get a new one, replace the " +
					"webhook (change `rotate_when_changed`, or `terraform apply -replace=...`). Null whenever " +
					"`secret_recipients` is set: then only `secret_sealed` holds it.",
				PlanModifiers: []planmodifier.String{secretPlan()},
			},
			"secret_recipients": secretRecipientsAttribute(),
			"secret_sealed":     secretSealedAttribute(),
			"created_at": schema.StringAttribute{
				Computed:            true,
				CustomType:          timetypes.RFC3339Type{},
				MarkdownDescription: "When the webhook was created, as Sellfern reports it (RFC 3339).",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"rotate_when_changed": schema.MapAttribute{
				Optional: true,
				// Computed only so that the plan modifier may decide the plan; the value is always the configured one
				// or the one in state.
				Computed:    true,
				ElementType: types.StringType,
				MarkdownDescription: "Values whose change replaces the webhook, so that Sellfern issues a new id and a " +
					"new signing secret: a value you bump, or a `time_rotating`'s id. Only a change of a value already " +
					"in state (or one not known until apply) rotates: null and `{}` mean no rotation, and setting the " +
					"map where it was empty, or removing it, never replaces the webhook. Kept in state only. Pair it " +
					"with `create_before_destroy`: see [the rotation section](#rotating-the-signing-secret-without-missing-an-event).",
				PlanModifiers: []planmodifier.Map{rotateWhenChanged()},
			},
		},
	}
}

func (r *sellfernWebhookResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = webhookIdentitySchema("The webhook's id, assigned by Sellfern (like `wh_abc123`).")
}

// fromAPI sets what Sellfern lists about a webhook. The secret, which Sellfern lists for nobody, and
// rotate_when_changed, which is Terraform's alone, are left as they are.
func (m *sellfernWebhookModel) fromAPI(ctx context.Context, w sellfern.Webhook) diag.Diagnostics {
	events, diags := stringSet(ctx, w.Events)
	m.ID = types.StringValue(w.ID)
	m.URL = newURLValue(w.URL)
	m.Events = events
	m.Enabled = types.BoolValue(w.Enabled)
	m.CreatedAt = createdAt(w)
	if m.RotateWhenChanged.ElementType(ctx) == nil {
		// A model made from the listing alone (a list resource's result) has no value yet: null, as after an import.
		m.RotateWhenChanged = types.MapNull(types.StringType)
	}
	if m.SecretRecipients.ElementType(ctx) == nil {
		m.SecretRecipients = types.SetNull(types.StringType)
	}
	return diags
}

func (r *sellfernWebhookResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer r.warnArrivals(&resp.Diagnostics)
	var plan sellfernWebhookModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	events, diags := setStrings(ctx, plan.Events)
	resp.Diagnostics.Append(diags...)
	// Recipients known only now are checked before the webhook exists, so that its secret is never lost to them.
	recipients, diags := sealingRecipients(ctx, plan.SecretRecipients)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}

	// The documented create takes only url and events; a webhook is always created enabled.
	created, err := r.client.CreateWebhook(ctx, sellfern.CreateRequest{URL: plan.URL.ValueString(), Events: events})
	if err != nil {
		if created != nil {
			// An interrupted create whose webhook could not be deleted: record it so Terraform marks it tainted and
			// replaces it, rather than forgetting a live webhook.
			plan.ID = types.StringValue(created.ID)
			plan.CreatedAt = createdAt(created.Webhook)
			plan.Secret, plan.SecretSealed = types.StringNull(), types.StringNull()
			plan.Enabled = types.BoolValue(created.Enabled)
			resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
			setIdentity(ctx, resp.Identity, created.ID, &resp.Diagnostics)
			addAPIError(&resp.Diagnostics, "Sellfern webhook created but not finished", fmt.Errorf("%w. "+
				"It is recorded in state as tainted, so the next apply replaces it", err))
			return
		}
		addAPIError(&resp.Diagnostics, "Could not create Sellfern webhook", err)
		return
	}

	plan.ID = types.StringValue(created.ID)
	plan.CreatedAt = createdAt(created.Webhook)
	// What the create met is told even when what follows fails: the webhook exists either way.
	reportCreate(ctx, &resp.Diagnostics, resp.Private, sellfernWords, createSeen{url: plan.URL.ValueString(),
		id: created.ID, key: created.Key, identical: sellfernIDs(created.Identical), inDoubt: created.InDoubt,
		appeared: sellfernIDs(created.Appeared), beside: created.Beside, checkErr: created.CheckErr})
	// With recipients, the secret is sealed here, before anything is stored, and the plaintext is kept nowhere.
	secret, sealed, sealDiags := sealedSecret(created.Secret, recipients)
	plan.Secret, plan.SecretSealed = secret, sealed
	if sealDiags.HasError() {
		// The webhook exists, but its secret could not be kept: record it so Terraform marks it tainted and replaces it.
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		setIdentity(ctx, resp.Identity, created.ID, &resp.Diagnostics)
		resp.Diagnostics.Append(sealDiags...)
		resp.Diagnostics.AddError("Sellfern webhook created but its secret not sealed", fmt.Sprintf("Webhook %s was "+
			"created, but its signing secret could not be sealed, and it is not kept in plain text either. The webhook "+
			"is recorded in state as tainted, so the next apply replaces it.", created.ID))
		return
	}

	if !plan.Enabled.ValueBool() {
		disabled := false
		if err := r.client.UpdateWebhook(ctx, created.ID, sellfern.UpdateRequest{Enabled: &disabled}); err != nil {
			// Keep the webhook and its one-time secret (sealed, with recipients) in state; Terraform marks it tainted.
			plan.Enabled = types.BoolValue(true)
			resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
			setIdentity(ctx, resp.Identity, created.ID, &resp.Diagnostics)
			addAPIError(&resp.Diagnostics, "Sellfern webhook created but not disabled", fmt.Errorf("webhook %s was "+
				"created, but setting enabled = false failed: %w. It is recorded in state as tainted", created.ID, err))
			return
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	setIdentity(ctx, resp.Identity, created.ID, &resp.Diagnostics)
}

func (r *sellfernWebhookResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	defer r.warnArrivals(&resp.Diagnostics)
	var state sellfernWebhookModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	setIdentity(ctx, resp.Identity, state.ID.ValueString(), &resp.Diagnostics)
	w, err := r.client.GetWebhook(ctx, state.ID.ValueString())
	if sellfern.IsNotFound(err) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addAPIError(&resp.Diagnostics, "Could not read Sellfern webhook", err)
		return
	}
	warnUnsafeSellfern(&resp.Diagnostics, *w)
	// The secret is never listed: what state holds is kept.
	resp.Diagnostics.Append(state.fromAPI(ctx, *w)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	checkWatch(ctx, req.Private, resp.Private, &resp.Diagnostics, sellfernWords, w.ID, func() ([]string, error) {
		identical, err := r.client.IdenticalTo(ctx, *w)
		return sellfernIDs(identical), err
	})
}

func sellfernIDs(webhooks []sellfern.Webhook) []string {
	out := make([]string, len(webhooks))
	for i, w := range webhooks {
		out[i] = w.ID
	}
	return out
}

func (r *sellfernWebhookResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	defer r.warnArrivals(&resp.Diagnostics)
	var plan sellfernWebhookModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	events, diags := setStrings(ctx, plan.Events)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	var state sellfernWebhookModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// Sealing a secret in place, like a change of rotate_when_changed alone (set where it was empty, or removed), is
	// Terraform's business only: it needs no API call.
	resp.Diagnostics.Append(plan.applySealing(ctx, state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !plan.URL.Equal(state.URL) || !plan.Events.Equal(state.Events) || !plan.Enabled.Equal(state.Enabled) {
		// All three fields are sent: PATCH with absolute values is safe to retry and converges whatever drifted.
		url, enabled := plan.URL.ValueString(), plan.Enabled.ValueBool()
		if err := r.client.UpdateWebhook(ctx, plan.ID.ValueString(), sellfern.UpdateRequest{
			URL: &url, Events: events, Enabled: &enabled,
		}); err != nil {
			addAPIError(&resp.Diagnostics, "Could not update Sellfern webhook", err)
			return
		}
		// What is identical to the webhook now is not what its create saw: the reads stop looking.
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, createWatchKey, nil)...)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	setIdentity(ctx, resp.Identity, plan.ID.ValueString(), &resp.Diagnostics)
}

func (r *sellfernWebhookResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	defer r.warnArrivals(&resp.Diagnostics)
	var state sellfernWebhookModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// A webhook already gone counts as deleted only when Sellfern's list confirms it (the client's rule).
	if err := r.client.DeleteWebhook(ctx, state.ID.ValueString()); err != nil {
		addAPIError(&resp.Diagnostics, "Could not delete Sellfern webhook", err)
	}
}

// ImportState takes the id from `terraform import`, an import block's `id` or its `identity` (the framework's
// passthrough), and checks that the webhook exists, so that a wrong id fails with a message that says so instead
// of an import that Read then empties; Read fills the state from the same list. The secret cannot be imported.
func (r *sellfernWebhookResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	defer r.warnArrivals(&resp.Diagnostics)
	id := importedID(ctx, req, resp)
	if resp.Diagnostics.HasError() {
		return
	}
	if problem := sellfernIDProblem(id); problem != "" {
		resp.Diagnostics.AddError("Invalid Sellfern webhook id", problem)
		return
	}
	if _, err := r.client.GetWebhook(ctx, id); err != nil {
		if sellfern.IsNotFound(err) {
			resp.Diagnostics.AddError("Cannot import Sellfern webhook",
				fmt.Sprintf("Sellfern has no webhook with id %q in this account. Check the id (the sellfern_webhooks "+
					"data source lists them all).", id))
			return
		}
		addAPIError(&resp.Diagnostics, "Could not import Sellfern webhook", err)
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	// The secret cannot be imported, so there is nothing to seal either: secret_recipients and secret_sealed stay
	// null until the configuration sets the recipients (sealed_secret.go).
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("secret"), types.StringNull())...)
	setIdentity(ctx, resp.Identity, id, &resp.Diagnostics)
}

// createdAt is a webhook's created_at as Sellfern wrote it, so that state keeps the service's spelling. The
// client has checked that it is RFC 3339; null stands for a time it did not get.
func createdAt(w sellfern.Webhook) timetypes.RFC3339 {
	if v, diags := timetypes.NewRFC3339Value(w.CreatedAt); !diags.HasError() && w.CreatedAt != "" {
		return v
	}
	return timetypes.NewRFC3339Null()
}
