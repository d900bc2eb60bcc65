// Package provider is the Terraform side of terraform-provider-webhooks: schemas, plans and state. It turns
// Terraform values into calls on the sellfern and selsup clients and never builds an HTTP request itself.
package provider

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/seed/terraform-provider-webhooks/internal/sellfern"
	"github.com/seed/terraform-provider-webhooks/internal/selsup"
)

// Environment variables read when the provider block leaves an attribute out.
const (
	EnvSellfernToken   = "SELLFERN_TOKEN"
	EnvSellfernBaseURL = "SELLFERN_BASE_URL"
	EnvSelSupAPIKey    = "SELSUP_API_KEY"
	EnvSelSupBaseURL   = "SELSUP_BASE_URL"
)

const (
	defaultMaxRetries  = 4
	maxMaxRetries      = 10
	minRequestTimeout  = time.Second
	maxRequestTimeout  = 10 * time.Minute
	defaultRequestTime = 30 * time.Second
)

var (
	_ provider.Provider                       = &WebhooksProvider{}
	_ provider.ProviderWithListResources      = &WebhooksProvider{}
	_ provider.ProviderWithActions            = &WebhooksProvider{}
	_ provider.ProviderWithEphemeralResources = &WebhooksProvider{}
)

// WebhooksProvider is the provider "webhooks".
type WebhooksProvider struct {
	version string
}

// New returns the provider factory for the given version (set at build time).
func New(version string) func() provider.Provider {
	return func() provider.Provider { return &WebhooksProvider{version: version} }
}

type providerModel struct {
	Sellfern       *sellfernConfigModel `tfsdk:"sellfern"`
	SelSup         *selsupConfigModel   `tfsdk:"selsup"`
	MaxRetries     types.Number         `tfsdk:"max_retries"`
	RequestTimeout types.String         `tfsdk:"request_timeout"`
}

type sellfernConfigModel struct {
	Token             types.String  `tfsdk:"token"`
	BaseURL           types.String  `tfsdk:"base_url"`
	RequestsPerSecond types.Float64 `tfsdk:"requests_per_second"`
}

type selsupConfigModel struct {
	APIKey            types.String  `tfsdk:"api_key"`
	BaseURL           types.String  `tfsdk:"base_url"`
	RequestsPerSecond types.Float64 `tfsdk:"requests_per_second"`
}

// requestsPerSecondAttribute is each service block's ceiling on the pace of its calls.
func requestsPerSecondAttribute(service string) schema.Float64Attribute {
	return schema.Float64Attribute{
		Optional: true,
		MarkdownDescription: "The most calls per second this provider makes to " + service + " in one Terraform run, " +
			"for an account whose rate limit you know (a number above 0, such as `5` or `0.5`). Without it there " +
			"is no fixed ceiling: the provider slows down when " + service + " answers `429` and speeds up again " +
			"when it accepts.",
		Validators: []validator.Float64{positiveRate{}},
	}
}

// positiveRate accepts a number of calls per second above 0.
type positiveRate struct{}

func (positiveRate) Description(context.Context) string {
	return "a number of calls per second above 0, such as 5 or 0.5"
}

func (v positiveRate) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v positiveRate) ValidateFloat64(ctx context.Context, req validator.Float64Request, resp *validator.Float64Response) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if f := req.ConfigValue.ValueFloat64(); !(f > 0) || math.IsInf(f, 0) {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+attributeName(req.Path.String()),
			fmt.Sprintf("Attribute %s must be %s, got: %s.", req.Path, v.Description(ctx), strconv.FormatFloat(f, 'g', -1, 64)))
	}
}

func (p *WebhooksProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "webhooks"
	resp.Version = p.version
}

func (p *WebhooksProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages webhook endpoints on Sellfern and SelSup. Both service blocks are optional; " +
			"a service's credentials are demanded only when one of its resources, data sources or actions is used.",
		Attributes: map[string]schema.Attribute{
			"sellfern": schema.SingleNestedAttribute{
				Optional:            true,
				MarkdownDescription: "Sellfern API settings, for the `sellfern_*` resources, data sources and actions.",
				Attributes: map[string]schema.Attribute{
					"token": schema.StringAttribute{
						Optional:  true,
						Sensitive: true,
						MarkdownDescription: "Sellfern API token (they look like `sk_live_…`) with the `webhooks:manage` scope. " +
							"May also be set with the `" + EnvSellfernToken + "` environment variable.",
						Validators: []validator.String{notBlank()},
					},
					"base_url": schema.StringAttribute{
						Optional: true,
						MarkdownDescription: "Sellfern API base URL. Defaults to `" + sellfern.DefaultBaseURL + "`; may also be set " +
							"with `" + EnvSellfernBaseURL + "`. Must be `https://`, except on a loopback host such as the " +
							"bundled mock server, so that the token never crosses a network in clear text.",
						Validators: []validator.String{baseURL(sellfern.CheckBaseURL)},
					},
					"requests_per_second": requestsPerSecondAttribute("Sellfern"),
				},
			},
			"selsup": schema.SingleNestedAttribute{
				Optional:            true,
				MarkdownDescription: "SelSup API settings, for the `selsup_*` resources and data sources.",
				Attributes: map[string]schema.Attribute{
					"api_key": schema.StringAttribute{
						Optional:  true,
						Sensitive: true,
						MarkdownDescription: "SelSup API key, sent as the raw `Authorization` header. May also be set " +
							"with the `" + EnvSelSupAPIKey + "` environment variable.",
						Validators: []validator.String{notBlank()},
					},
					"base_url": schema.StringAttribute{
						Optional: true,
						MarkdownDescription: "SelSup API base URL. Defaults to `" + selsup.DefaultBaseURL + "`; may also be set " +
							"with `" + EnvSelSupBaseURL + "`. Must be `https://`, except on a loopback host.",
						Validators: []validator.String{baseURL(selsup.CheckBaseURL)},
					},
					"requests_per_second": requestsPerSecondAttribute("SelSup"),
				},
			},
			"max_retries": schema.NumberAttribute{
				Optional: true,
				MarkdownDescription: fmt.Sprintf("How many times a call is tried again after a 5xx other than 501, a "+
					"dropped connection or a timeout: a whole number from 0 to %d, default %d. A `429` does not count: it "+
					"is waited out for as long as the call's time bound allows.", maxMaxRetries, defaultMaxRetries),
				Validators: []validator.Number{wholeNumber(0, maxMaxRetries)},
			},
			"request_timeout": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: fmt.Sprintf("Time allowed for each HTTP request, as a Go duration such as `30s` or "+
					"`2m` (default `%s`, at least `%s`, at most `%s`).",
					shortDuration(defaultRequestTime), shortDuration(minRequestTimeout), shortDuration(maxRequestTimeout)),
				Validators: []validator.String{validRequestTimeout()},
			},
		},
	}
}

func (p *WebhooksProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}

	settings := clientSettings{
		userAgent:      "terraform-provider-webhooks/" + p.version,
		maxRetries:     defaultMaxRetries,
		requestTimeout: defaultRequestTime,
	}
	if n, ok := wholeValue(cfg.MaxRetries); ok {
		settings.maxRetries = int(n)
	}
	if !cfg.RequestTimeout.IsNull() && !cfg.RequestTimeout.IsUnknown() {
		d, problem := requestTimeout(cfg.RequestTimeout.ValueString())
		if problem != "" { // the validator has already said so; this only keeps Configure total
			resp.Diagnostics.AddAttributeError(path.Root("request_timeout"), "Invalid request_timeout", problem)
			return
		}
		settings.requestTimeout = d
	}

	var sf sellfernConfigModel
	if cfg.Sellfern != nil {
		sf = *cfg.Sellfern
	}
	var ss selsupConfigModel
	if cfg.SelSup != nil {
		ss = *cfg.SelSup
	}
	data := &providerData{
		sellfern: settings.sellfern(
			setting{path: "sellfern.token", env: EnvSellfernToken, value: sf.Token},
			setting{path: "sellfern.base_url", env: EnvSellfernBaseURL, value: sf.BaseURL},
			sf.RequestsPerSecond.ValueFloat64(),
		),
		selsup: settings.selsup(
			setting{path: "selsup.api_key", env: EnvSelSupAPIKey, value: ss.APIKey},
			setting{path: "selsup.base_url", env: EnvSelSupBaseURL, value: ss.BaseURL},
			ss.RequestsPerSecond.ValueFloat64(),
		),
	}
	tflog.Debug(ctx, "Configured webhooks provider", map[string]any{
		"sellfern_ready":  data.sellfern.err == nil,
		"selsup_ready":    data.selsup.err == nil,
		"max_retries":     settings.maxRetries,
		"request_timeout": settings.requestTimeout.String(),
	})
	resp.DataSourceData = data
	resp.ResourceData = data
	resp.ListResourceData = data
	resp.ActionData = data
}

func (p *WebhooksProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewSellfernWebhookResource,
		NewSelSupWebhookResource,
	}
}

func (p *WebhooksProvider) ListResources(context.Context) []func() list.ListResource {
	return []func() list.ListResource{
		NewSellfernWebhookListResource,
		NewSelSupWebhookListResource,
	}
}

func (p *WebhooksProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewSellfernWebhookDataSource,
		NewSellfernWebhooksDataSource,
		NewSellfernWebhookDeliveriesDataSource,
		NewSelSupWebhookDataSource,
		NewSelSupWebhooksDataSource,
	}
}

// Ephemeral resources need Terraform 1.10 or OpenTofu 1.11, which every supported CLI is. They call no API, so they
// take nothing from Configure.
func (p *WebhooksProvider) EphemeralResources(context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{
		NewSellfernWebhookSecretEphemeralResource,
	}
}

// Actions need Terraform 1.14 or later; older versions never ask for them.
func (p *WebhooksProvider) Actions(context.Context) []func() action.Action {
	return []func() action.Action{
		NewSellfernSendTestEventAction,
	}
}

// setting is one provider attribute with its environment fallback.
type setting struct {
	path  string
	env   string
	value types.String
}

// resolve returns the configured value, else the environment's; unknown reports a value not known until apply.
func (s setting) resolve() (value string, unknown bool) {
	if s.value.IsUnknown() {
		return "", true
	}
	if !s.value.IsNull() {
		return s.value.ValueString(), false
	}
	return strings.TrimSpace(os.Getenv(s.env)), false
}
