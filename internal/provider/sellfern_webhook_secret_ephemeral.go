package provider

import (
	"context"
	"errors"

	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/seed/terraform-provider-webhooks/internal/sealing"
)

var _ ephemeral.EphemeralResource = &sellfernWebhookSecretEphemeral{}

// NewSellfernWebhookSecretEphemeralResource is the sellfern_webhook_secret ephemeral resource.
func NewSellfernWebhookSecretEphemeralResource() ephemeral.EphemeralResource {
	return &sellfernWebhookSecretEphemeral{}
}

// sellfernWebhookSecretEphemeral opens a sealed signing secret in memory: Terraform never stores an ephemeral
// resource's result in state or in a plan, so the secret reaches write-only arguments, provider settings and
// provisioners without being written down. It calls no API, so it needs no client.
type sellfernWebhookSecretEphemeral struct{}

type sellfernWebhookSecretModel struct {
	Sealed   types.String `tfsdk:"sealed"`
	Identity types.String `tfsdk:"identity"`
	Secret   types.String `tfsdk:"secret"`
}

func (e *sellfernWebhookSecretEphemeral) Metadata(_ context.Context, _ ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	// Named after the service, like the resources: see the provider page.
	resp.TypeName = "sellfern_webhook_secret"
}

func (e *sellfernWebhookSecretEphemeral) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Opens a Sellfern webhook's sealed signing secret (`secret_sealed` of a " +
			"[`sellfern_webhook`](../resources/sellfern_webhook.md) with `secret_recipients`) with an age identity, " +
			"for the length of one Terraform run: Terraform keeps an ephemeral resource's result out of state and " +
			"plan files, so the secret can go to a secret store's write-only arguments, a provider setting or a " +
			"provisioner without being stored. It calls no API. Ephemeral resources came with Terraform 1.10 and " +
			"OpenTofu 1.11, so every CLI the provider supports has them.",
		Attributes: map[string]schema.Attribute{
			"sealed": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "The sealed secret, ASCII-armored age (`-----BEGIN AGE ENCRYPTED FILE-----`): " +
					"usually `sellfern_webhook.NAME.secret_sealed`.",
				Validators: []validator.String{armoredAge()},
			},
			"identity": schema.StringAttribute{
				Required:  true,
				Sensitive: true,
				MarkdownDescription: "The private key of one of the recipients, as an age key file holds it: one or " +
					"more `AGE-SECRET-KEY-1…` (or post-quantum `AGE-SECRET-KEY-PQ-1…`) lines, with comments (`#`) and " +
					"blank lines allowed, such as what `age-keygen` writes; or an unencrypted SSH private key " +
					"(`ssh-ed25519` or `ssh-rsa`) for an SSH recipient. Pass it from an ephemeral variable, or " +
					"`file(...)`, never a literal in the configuration. Errors name a bad line by number and an identity " +
					"by its public key, never by its text.",
				Validators: []validator.String{ageIdentity()},
			},
			"secret": schema.StringAttribute{
				Computed:            true,
				Sensitive:           true,
				MarkdownDescription: "The signing secret (`whsec_…`), exactly as Sellfern issued it.",
			},
		},
	}
}

// Open decrypts the sealed value. Terraform opens it only once sealed and identity are known; a value unknown here
// (as no CLI sends) gives an unknown secret rather than an error.
func (e *sellfernWebhookSecretEphemeral) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var model sellfernWebhookSecretModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if model.Sealed.IsUnknown() || model.Identity.IsUnknown() {
		model.Secret = types.StringUnknown()
		resp.Diagnostics.Append(resp.Result.Set(ctx, &model)...)
		return
	}
	secret, err := sealing.Open(model.Sealed.ValueString(), model.Identity.ValueString())
	if err != nil {
		attr, advice := openFailure(err)
		resp.Diagnostics.AddAttributeError(path.Root(attr), "Cannot open the sealed signing secret", problemOf(err)+advice)
		return
	}
	model.Secret = types.StringValue(secret)
	resp.Diagnostics.Append(resp.Result.Set(ctx, &model)...)
}

// openFailure says which attribute an error of sealing.Open is about, and what to check.
func openFailure(err error) (attribute, advice string) {
	switch {
	case errors.Is(err, sealing.ErrNotRecipient):
		return "identity", "\n\nA webhook's secret is sealed to the secret_recipients it had when Sellfern issued the " +
			"secret (or when it was sealed in place); an identity added to the recipients later opens only a secret " +
			"issued after that, once the webhook was replaced."
	case errors.Is(err, sealing.ErrBadIdentity):
		return "identity", ""
	}
	return "sealed", ""
}

// armoredAge checks, when it is known, that sealed looks like what secret_sealed holds; Open says what else is wrong.
func armoredAge() validator.String {
	return stringCheck{
		description: "must be an ASCII-armored age value, as secret_sealed holds",
		check:       func(v string) string { return problemOf(sealing.CheckSealed(v)) },
	}
}

// ageIdentity checks, when it is known, that identity holds age identities or an SSH private key.
func ageIdentity() validator.String {
	return stringCheck{
		description: "must hold age identities as a key file does, or an unencrypted SSH private key",
		check: func(v string) string {
			_, _, err := sealing.ParseIdentities(v)
			return problemOf(err)
		},
	}
}
