package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/seed/terraform-provider-webhooks/internal/sealing"
)

// A sellfern_webhook with secret_recipients keeps its signing secret out of state: the secret Sellfern returns at
// create is sealed with age to the recipients at once and only secret_sealed is stored, while secret stays null in
// the plan, in state and in every output. What a plan does depends on the recipients in the configuration and on
// what state holds (sealStep); the three attributes' plan modifiers and the resource's Create and Update follow it.

// sealStep is what a plan does with the secret.
type sealStep int

const (
	// stepPlaintext: no recipients, the secret is kept in state (issued at create, kept afterwards).
	stepPlaintext sealStep = iota
	// stepSealAtCreate: a new webhook's secret is sealed when Sellfern returns it.
	stepSealAtCreate
	// stepSealInPlace: recipients are added where state holds the plaintext: it is sealed at apply, with no API call
	// and no replacement, and removed from state.
	stepSealInPlace
	// stepKeepSealed: the same recipients as in state, however written: nothing changes.
	stepKeepSealed
	// stepReplace: the recipients of a sealed secret change, or are removed. Nobody can read the secret to seal it
	// again, so the webhook is replaced, and Sellfern issues a new one.
	stepReplace
	// stepNothingToSeal: recipients are set, changed or removed where state holds no secret at all (after an
	// import): they are recorded, and secret_sealed stays null until the webhook is replaced.
	stepNothingToSeal
	// stepDecideAtApply: recipients not known until apply, where no sealed secret would be lost: Update seals the
	// plaintext if they turn out to be set.
	stepDecideAtApply
)

// sealingPlan decides the step from the configuration's recipients and what state holds.
func sealingPlan(ctx context.Context, config tfsdk.Config, state tfsdk.State) (sealStep, diag.Diagnostics) {
	var diags diag.Diagnostics
	var want types.Set
	diags.Append(config.GetAttribute(ctx, path.Root("secret_recipients"), &want)...)
	if state.Raw.IsNull() {
		if recipientsSet(want) || !setFullyKnown(want) {
			return stepSealAtCreate, diags
		}
		return stepPlaintext, diags
	}
	var had types.Set
	var secret, sealed types.String
	diags.Append(state.GetAttribute(ctx, path.Root("secret_recipients"), &had)...)
	diags.Append(state.GetAttribute(ctx, path.Root("secret"), &secret)...)
	diags.Append(state.GetAttribute(ctx, path.Root("secret_sealed"), &sealed)...)
	if diags.HasError() {
		return stepPlaintext, diags
	}
	isSealed := !sealed.IsNull()
	switch {
	case !setFullyKnown(want) && isSealed:
		return stepReplace, diags // as Terraform's own RequiresReplace does for a value not known yet
	case !setFullyKnown(want) && !recipientsSet(had):
		return stepDecideAtApply, diags
	case !setFullyKnown(want):
		return stepNothingToSeal, diags
	case recipientsSet(want) && recipientsSet(had) && sealing.SameRecipients(setValues(want), setValues(had)):
		return stepKeepSealed, diags
	case isSealed:
		return stepReplace, diags
	case recipientsSet(want) && !secret.IsNull():
		return stepSealInPlace, diags
	case recipientsSet(want) || recipientsSet(had):
		return stepNothingToSeal, diags
	}
	return stepPlaintext, diags
}

// recipientsSet reports whether s is a known set with at least one element.
func recipientsSet(s types.Set) bool {
	return !s.IsNull() && !s.IsUnknown() && len(s.Elements()) > 0
}

// setFullyKnown reports whether s and each of its elements are known.
func setFullyKnown(s types.Set) bool {
	if s.IsUnknown() {
		return false
	}
	for _, v := range s.Elements() {
		if v.IsUnknown() {
			return false
		}
	}
	return true
}

// setValues is the strings of a known set of strings.
func setValues(s types.Set) []string {
	var out []string
	for _, v := range s.Elements() {
		if str, ok := v.(types.String); ok {
			out = append(out, str.ValueString())
		}
	}
	return out
}

// secretRecipientsAttribute is sellfern_webhook's secret_recipients.
func secretRecipientsAttribute() schema.SetAttribute {
	return schema.SetAttribute{
		Optional: true,
		// Computed only so that the plan modifier decides the plan: the configured value, or state's spelling of the
		// same keys. It also keeps a null value out of the configuration Terraform generates for an import.
		Computed:    true,
		ElementType: types.StringType,
		MarkdownDescription: "Public keys to seal the signing secret to, so that it is never stored in state: age " +
			"recipients (`age1…` from `age-keygen`, post-quantum `age1pq1…`, hardware `age1tag1…`) or SSH public keys " +
			"(`ssh-ed25519 …`, `ssh-rsa …`). When set, `secret` is null everywhere and `secret_sealed` holds the " +
			"secret encrypted to every recipient; open it with the " +
			"[`sellfern_webhook_secret`](../ephemeral-resources/sellfern_webhook_secret.md) ephemeral resource or " +
			"`age --decrypt`. Added to a webhook whose state holds the secret, it seals that secret in place (no " +
			"API call, no replacement); any other change of the recipients, removing them included, replaces the " +
			"webhook, for a new secret. Order and spelling (upper or lower case, an SSH key's comment) do not " +
			"matter. See [Keeping the secret out of state](#keeping-the-secret-out-of-state).",
		Validators:    []validator.Set{ageRecipients()},
		PlanModifiers: []planmodifier.Set{recipientsPlan{}},
	}
}

// secretSealedAttribute is sellfern_webhook's secret_sealed.
func secretSealedAttribute() schema.StringAttribute {
	return schema.StringAttribute{
		Computed: true,
		MarkdownDescription: "The signing secret encrypted with age to every one of `secret_recipients`, ASCII-armored " +
			"(`-----BEGIN AGE ENCRYPTED FILE-----`). Only the holders of a recipient's private key can open it, so it is " +
			"not sensitive. Null without `secret_recipients`, and after an import (Sellfern cannot show the secret " +
			"again).",
		PlanModifiers: []planmodifier.String{sealedPlan()},
	}
}

// ageRecipients checks secret_recipients at plan time: each entry a recipient age encrypts to, named when it is
// not, and a set age accepts as a whole.
func ageRecipients() validator.Set { return ageRecipientsValidator{} }

type ageRecipientsValidator struct{}

func (ageRecipientsValidator) Description(context.Context) string {
	return "each entry must be an age recipient (age1…, age1pq1…, age1tag1…) or an ssh-ed25519 or ssh-rsa public key"
}

func (v ageRecipientsValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (ageRecipientsValidator) ValidateSet(_ context.Context, req validator.SetRequest, resp *validator.SetResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if len(req.ConfigValue.Elements()) == 0 {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid secret_recipients",
			"secret_recipients is empty, so there is no one to seal the signing secret to. Name at least one age "+
				"recipient or SSH public key, or leave the argument out to keep the secret in state (marked sensitive).")
		return
	}
	var entries []string
	known := true
	for _, v := range req.ConfigValue.Elements() {
		s, ok := v.(types.String)
		switch {
		case !ok || s.IsUnknown():
			known = false
		case s.IsNull():
			resp.Diagnostics.AddAttributeError(req.Path, "Invalid secret_recipients entry",
				"secret_recipients holds a null entry: each entry must be an age recipient or an SSH public key.")
		default:
			entries = append(entries, s.ValueString())
		}
	}
	_, diags := parseRecipients(req.Path, entries, known && !resp.Diagnostics.HasError())
	resp.Diagnostics.Append(diags...)
}

// parseRecipients reads entries as recipients, naming each bad one; when whole, it also applies age's rule for a
// set of recipients to them.
func parseRecipients(at path.Path, entries []string, whole bool) ([]sealing.Recipient, diag.Diagnostics) {
	var diags diag.Diagnostics
	var rs []sealing.Recipient
	for _, e := range entries {
		r, err := sealing.ParseRecipient(e)
		if err != nil {
			diags.AddAttributeError(at, "Invalid secret_recipients entry", problemOf(err))
			continue
		}
		rs = append(rs, r)
	}
	if whole && !diags.HasError() {
		if err := sealing.CheckRecipients(rs); err != nil {
			diags.AddAttributeError(at, "Invalid secret_recipients", problemOf(err))
		}
	}
	return rs, diags
}

// recipientsPlan is secret_recipients' plan modifier: the plan is the configured value, except that the same keys
// written otherwise plan no change (the plan keeps state's spelling, which Terraform accepts as equivalent to the
// configuration's); a change that would lose a sealed secret replaces the webhook.
type recipientsPlan struct{}

func (recipientsPlan) Description(context.Context) string {
	return "The same recipients in another order or spelling plan no change; a change of the recipients of a sealed " +
		"secret, or their removal, replaces the resource."
}

func (m recipientsPlan) MarkdownDescription(ctx context.Context) string { return m.Description(ctx) }

func (recipientsPlan) PlanModifySet(ctx context.Context, req planmodifier.SetRequest, resp *planmodifier.SetResponse) {
	if req.Plan.Raw.IsNull() {
		return // the resource is being destroyed
	}
	resp.PlanValue = req.ConfigValue
	step, diags := sealingPlan(ctx, req.Config, req.State)
	resp.Diagnostics.Append(diags...)
	switch step {
	case stepKeepSealed:
		resp.PlanValue = req.StateValue
	case stepReplace:
		resp.RequiresReplace = true
	}
}

// sealingStringPlan is a string plan modifier decided by the sealing step: secret's and secret_sealed's.
type sealingStringPlan struct {
	description string
	plan        func(ctx context.Context, step sealStep, req planmodifier.StringRequest, resp *planmodifier.StringResponse)
}

func (m sealingStringPlan) Description(context.Context) string { return m.description }

func (m sealingStringPlan) MarkdownDescription(ctx context.Context) string { return m.Description(ctx) }

func (m sealingStringPlan) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.Plan.Raw.IsNull() {
		return // the resource is being destroyed
	}
	step, diags := sealingPlan(ctx, req.Config, req.State)
	resp.Diagnostics.Append(diags...)
	if !diags.HasError() {
		m.plan(ctx, step, req, resp)
	}
}

// secretPlan is secret's plan modifier: null whenever there are recipients, the value in state otherwise (the
// secret is never listed, so only a create sets it).
func secretPlan() planmodifier.String {
	return sealingStringPlan{
		description: "Null when secret_recipients is set; otherwise the value in state, set only at create.",
		plan: func(ctx context.Context, step sealStep, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
			var want types.Set
			resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("secret_recipients"), &want)...)
			switch {
			case step == stepReplace:
				// Terraform plans the replacement as a create, where this runs again without state.
			case recipientsSet(want) && setFullyKnown(want):
				resp.PlanValue = types.StringNull()
			case step == stepDecideAtApply || req.State.Raw.IsNull():
				resp.PlanValue = types.StringUnknown()
			default:
				resp.PlanValue = req.StateValue
			}
		},
	}
}

// sealedPlan is secret_sealed's plan modifier: known after apply when a secret is to be sealed, the value in state
// while the recipients stay the same, null otherwise.
func sealedPlan() planmodifier.String {
	return sealingStringPlan{
		description: "Known after apply when the secret is sealed; kept while secret_recipients names the same keys.",
		plan: func(ctx context.Context, step sealStep, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
			switch step {
			case stepSealAtCreate, stepSealInPlace, stepDecideAtApply, stepReplace:
				resp.PlanValue = types.StringUnknown()
			case stepKeepSealed:
				resp.PlanValue = req.StateValue
			case stepNothingToSeal:
				resp.PlanValue = types.StringNull()
				var want types.Set
				resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("secret_recipients"), &want)...)
				var id types.String
				resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("id"), &id)...)
				if recipientsSet(want) {
					// The id in the summary keeps Terraform from folding the warnings of several webhooks into one.
					resp.Diagnostics.AddAttributeWarning(path.Root("secret_recipients"), "No signing secret to seal for webhook "+id.ValueString(),
						"State holds no signing secret for this webhook: it was imported, and Sellfern shows a secret "+
							"only when it creates a webhook. The recipients are recorded and secret_sealed stays null. To "+
							"get a secret sealed to them, replace the webhook: change a value of rotate_when_changed, or "+
							"run terraform apply -replace=ADDRESS (with create_before_destroy, deliveries do not stop).")
				}
			default:
				resp.PlanValue = types.StringNull()
			}
		},
	}
}

// sealingRecipients reads the recipients to seal to: none without secret_recipients. Validation has checked them
// when they were known at plan time; ones known only now are checked here, before anything is created or changed.
func sealingRecipients(ctx context.Context, set types.Set) ([]sealing.Recipient, diag.Diagnostics) {
	if !recipientsSet(set) {
		return nil, nil
	}
	entries, diags := setStrings(ctx, set)
	if diags.HasError() {
		return nil, diags
	}
	return parseRecipients(path.Root("secret_recipients"), entries, true)
}

// sealedSecret is what state records of a secret Sellfern issued: the secret itself without recipients, or its
// sealed form and a null secret with them.
func sealedSecret(secret string, recipients []sealing.Recipient) (plain, sealed types.String, diags diag.Diagnostics) {
	switch {
	case secret == "":
		return types.StringNull(), types.StringNull(), nil
	case len(recipients) == 0:
		return types.StringValue(secret), types.StringNull(), nil
	}
	out, err := sealing.Seal(secret, recipients)
	if err != nil {
		diags.AddAttributeError(path.Root("secret_recipients"), "Could not seal the signing secret", problemOf(err))
		return types.StringNull(), types.StringNull(), diags
	}
	return types.StringNull(), types.StringValue(out), diags
}

// applySealing sets secret and secret_sealed in an Update's new state from the recipients planned and what state
// held: the plaintext kept without recipients, sealed in place when recipients are added, the sealed value kept
// while they name the same keys. No API call is needed for any of it.
func (m *sellfernWebhookModel) applySealing(ctx context.Context, prior sellfernWebhookModel) diag.Diagnostics {
	switch {
	case !recipientsSet(m.SecretRecipients):
		m.Secret, m.SecretSealed = prior.Secret, types.StringNull()
		return nil
	case !prior.SecretSealed.IsNull():
		if !sealing.SameRecipients(setValues(m.SecretRecipients), setValues(prior.SecretRecipients)) {
			var diags diag.Diagnostics
			diags.AddError("Cannot seal the signing secret again", fmt.Sprintf("Webhook %s has a sealed secret, and "+
				"its recipients changed without a replacement, which would leave secret_sealed sealed to the old ones. "+
				"This is a bug in the provider; please report it. The webhook and its state are unchanged.", m.ID.ValueString()))
			return diags
		}
		m.Secret, m.SecretSealed = types.StringNull(), prior.SecretSealed
		return nil
	}
	recipients, diags := sealingRecipients(ctx, m.SecretRecipients)
	if diags.HasError() {
		return diags
	}
	plain, sealed, sealDiags := sealedSecret(prior.Secret.ValueString(), recipients)
	m.Secret, m.SecretSealed = plain, sealed
	return append(diags, sealDiags...)
}

// problemOf is an error of the sealing package as a diagnostic's sentence, or "" for none.
func problemOf(err error) string {
	if err == nil {
		return ""
	}
	return capitalize(err.Error()) + "."
}
