// Package provider is the Terraform side of terraform-provider-webhooks: schemas, plans and state. It turns
// Terraform values into calls on the sellfern and selsup clients and never builds an HTTP request itself.
package provider

import (
	"context"
	"fmt"
	"os"
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
	// paces gives the clients of one account (service, base URL and credential) one pace, whichever provider
	// block configured them, so that the lowest requests_per_second among the blocks is the ceiling of all.
	paces *sellfern.Paces
}

// New returns the provider factory for the given version (set at build time). Each provider it makes shares its
// paces among the provider blocks it configures, as a provider served in-process (under test) configures them
// all.
func New(version string) func() provider.Provider {
	return func() provider.Provider { return &WebhooksProvider{version: version, paces: sellfern.NewPaces()} }
}

// NewServed is New for the provider binary: Terraform starts a process for each provider block, so the paces are
// shared with the user's other provider processes on the machine, which is where the other blocks of the run are
// (and other runs on the same account).
func NewServed(version string) func() provider.Provider {
	return func() provider.Provider {
		return &WebhooksProvider{version: version, paces: sellfern.NewSharedPaces()}
	}
}

type providerModel struct {
	Sellfern       *sellfernConfigModel `tfsdk:"sellfern"`
	SelSup         *selsupConfigModel   `tfsdk:"selsup"`
	MaxRetries     types.Number         `tfsdk:"max_retries"`
	RequestTimeout types.String         `tfsdk:"request_timeout"`
}

type sellfernConfigModel struct {
	Token             types.String `tfsdk:"token"`
	BaseURL           types.String `tfsdk:"base_url"`
	RequestsPerSecond types.Number `tfsdk:"requests_per_second"`
}

type selsupConfigModel struct {
	APIKey            types.String `tfsdk:"api_key"`
	BaseURL           types.String `tfsdk:"base_url"`
	RequestsPerSecond types.Number `tfsdk:"requests_per_second"`
}

// The range of requests_per_second: below the least, one call would wait longer than the time one call is
// allowed; above the most, there is no ceiling in practice.
const (
	minRequestsPerSecond = 0.01
	maxRequestsPerSecond = 10000
)

// requestsPerSecondAttribute is each service block's ceiling on the pace of its calls. It is a number, not a
// float64, so that any number Terraform accepts (1e400 too) reaches the validator and gets its message.
func requestsPerSecondAttribute(service, credential string) schema.NumberAttribute {
	return schema.NumberAttribute{
		Optional: true,
		MarkdownDescription: fmt.Sprintf("The most calls per second this provider makes to %s in one Terraform run: "+
			"a number from %g to %g, such as `5` or `0.5`. Provider blocks that reach the same account (%s and base "+
			"URL) share one pace, under the lowest of their ceilings. Without it the provider adapts to the "+
			"service's `429` answers and rate headers, and shares the account's limit with the other runs on it; "+
			"where several runs on different machines work on one account at once, the account's rate divided by "+
			"their number keeps every one of them from being refused (see [several runs on one account](#several-runs-on-one-account)).",
			service, minRequestsPerSecond, float64(maxRequestsPerSecond), credential),
		Validators: []validator.Number{numberRange(minRequestsPerSecond, maxRequestsPerSecond)},
	}
}

// perSecond reads requests_per_second, once numberRange has checked it; 0 when it is not set.
func perSecond(n types.Number) float64 {
	if n.IsNull() || n.IsUnknown() {
		return 0
	}
	f, _ := n.ValueBigFloat().Float64()
	return f
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
						MarkdownDescription: "Sellfern API v2 token (`sk_live_…`, made in Sellfern's Settings → API Tokens) " +
							"with the `webhooks:manage` scope; a key of Sellfern's \"public V1\" API (`x-api-key`) does not " +
							"work. May also be set with the `" + EnvSellfernToken + "` environment variable.",
						Validators: []validator.String{notBlank()},
					},
					"base_url": schema.StringAttribute{
						Optional: true,
						MarkdownDescription: "Sellfern API base URL. Defaults to `" + sellfern.DefaultBaseURL + "`; may also be set " +
							"with `" + EnvSellfernBaseURL + "`. Must be `https://`, except on a loopback host such as the " +
							"bundled mock server, so that the token never crosses a network in clear text.",
						Validators: []validator.String{baseURL(sellfern.CheckBaseURL)},
					},
					"requests_per_second": requestsPerSecondAttribute("Sellfern", "token"),
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
					"requests_per_second": requestsPerSecondAttribute("SelSup", "API key"),
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
		paces:          p.paces,
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
			perSecond(sf.RequestsPerSecond),
		),
		selsup: settings.selsup(
			setting{path: "selsup.api_key", env: EnvSelSupAPIKey, value: ss.APIKey},
			setting{path: "selsup.base_url", env: EnvSelSupBaseURL, value: ss.BaseURL},
			perSecond(ss.RequestsPerSecond),
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
