package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

// protoProvider drives the provider server over the plugin protocol, as Terraform does, for what no CLI sends:
// a Read without identity of a webhook that is gone, a consumer that stops reading a list, a list request with a
// given limit.
type protoProvider struct {
	t      *testing.T
	server listServer
	schema *tfprotov6.GetProviderSchemaResponse
	ids    map[string]*tfprotov6.ResourceIdentitySchema
}

// listServer is a provider server that also serves list resources, which tfprotov6.ProviderServer does not carry yet.
type listServer interface {
	tfprotov6.ProviderServer
	tfprotov6.ListResourceServer
}

// newProtoProvider serves the provider and configures it with the given service settings (nil leaves a service
// out of the provider block), without retries, so that a fault a test injects fails the call at once.
func newProtoProvider(t *testing.T, sellfernSettings, selsupSettings map[string]string) *protoProvider {
	t.Helper()
	ctx := context.Background()
	served, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	server, ok := served.(listServer)
	if !ok {
		t.Fatalf("the provider server (%T) does not serve list resources", served)
	}
	schema, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	requireNoDiags(t, "GetProviderSchema", schema.Diagnostics)
	ids, err := server.GetResourceIdentitySchemas(ctx, &tfprotov6.GetResourceIdentitySchemasRequest{})
	if err != nil {
		t.Fatal(err)
	}
	requireNoDiags(t, "GetResourceIdentitySchemas", ids.Diagnostics)
	p := &protoProvider{t: t, server: server, schema: schema, ids: ids.IdentitySchemas}

	typ := schema.Provider.ValueType().(tftypes.Object)
	block := func(name string, settings map[string]string) tftypes.Value {
		attrs := map[string]tftypes.Value{}
		for k, v := range settings {
			attrs[k] = tftypes.NewValue(tftypes.String, v)
		}
		return object(typ.AttributeTypes[name], attrs)
	}
	config := map[string]tftypes.Value{"max_retries": tftypes.NewValue(tftypes.Number, 0)}
	if sellfernSettings != nil {
		config["sellfern"] = block("sellfern", sellfernSettings)
	}
	if selsupSettings != nil {
		config["selsup"] = block("selsup", selsupSettings)
	}
	resp, err := server.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{Config: p.dynamic(object(typ, config))})
	if err != nil {
		t.Fatal(err)
	}
	requireNoDiags(t, "ConfigureProvider", resp.Diagnostics)
	return p
}

// mockProvider is newProtoProvider pointed at the mock with its demo credentials.
func mockProvider(t *testing.T, m *mockserver.Server) *protoProvider {
	t.Helper()
	return newProtoProvider(t,
		map[string]string{"token": mockserver.DemoSellfernToken, "base_url": m.SellfernBaseURL()},
		map[string]string{"api_key": mockserver.DemoSelSupKey, "base_url": m.SelSupBaseURL()})
}

// object is a value of the object type typ with the given attributes and every other attribute null.
func object(typ tftypes.Type, attrs map[string]tftypes.Value) tftypes.Value {
	obj := typ.(tftypes.Object)
	all := make(map[string]tftypes.Value, len(obj.AttributeTypes))
	for name, at := range obj.AttributeTypes {
		if v, ok := attrs[name]; ok {
			all[name] = v
		} else {
			all[name] = tftypes.NewValue(at, nil)
		}
	}
	return tftypes.NewValue(typ, all)
}

func (p *protoProvider) dynamic(v tftypes.Value) *tfprotov6.DynamicValue {
	p.t.Helper()
	dv, err := tfprotov6.NewDynamicValue(v.Type(), v)
	if err != nil {
		p.t.Fatal(err)
	}
	return &dv
}

// decode reads a dynamic value into a map of attribute values (nil for a null object).
func (p *protoProvider) decode(dv *tfprotov6.DynamicValue, typ tftypes.Type) map[string]tftypes.Value {
	p.t.Helper()
	if dv == nil {
		return nil
	}
	v, err := dv.Unmarshal(typ)
	if err != nil {
		p.t.Fatal(err)
	}
	if v.IsNull() {
		return nil
	}
	var attrs map[string]tftypes.Value
	if err := v.As(&attrs); err != nil {
		p.t.Fatal(err)
	}
	return attrs
}

func (p *protoProvider) resourceType(name string) tftypes.Type {
	return p.schema.ResourceSchemas[name].ValueType()
}

func (p *protoProvider) identityType(name string) tftypes.Type {
	return p.ids[name].ValueType()
}

// identityID returns the id in an identity the provider answered with.
func (p *protoProvider) identityID(typeName string, identity *tfprotov6.ResourceIdentityData) string {
	p.t.Helper()
	if identity == nil {
		p.t.Fatalf("%s: no identity in the answer", typeName)
	}
	return stringAttr(p.t, p.decode(identity.IdentityData, p.identityType(typeName)), "id")
}

func stringAttr(t *testing.T, attrs map[string]tftypes.Value, name string) string {
	t.Helper()
	var s string
	if err := attrs[name].As(&s); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}

func requireNoDiags(t *testing.T, what string, diags []*tfprotov6.Diagnostic) {
	t.Helper()
	for _, d := range diags {
		t.Errorf("%s: %s diagnostic: %s: %s", what, d.Severity, d.Summary, d.Detail)
	}
	if t.Failed() {
		t.FailNow()
	}
}

// diagText joins the diagnostics' summaries and details, for matching what a user would read.
func diagText(diags []*tfprotov6.Diagnostic) string {
	var b strings.Builder
	for _, d := range diags {
		b.WriteString(d.Severity.String() + ": " + d.Summary + ": " + d.Detail + "\n")
	}
	return b.String()
}

// list runs a list block of typeName with the given filters and reads the whole stream, as Terraform does until
// it has limit results.
func (p *protoProvider) list(typeName string, filters map[string]tftypes.Value, limit int64, includeResource bool) []tfprotov6.ListResourceResult {
	p.t.Helper()
	var results []tfprotov6.ListResourceResult
	for r := range p.listStream(typeName, filters, limit, includeResource).Results {
		results = append(results, r)
	}
	return results
}

// listStream starts a list block of typeName and returns its stream unread.
func (p *protoProvider) listStream(typeName string, filters map[string]tftypes.Value, limit int64, includeResource bool) *tfprotov6.ListResourceServerStream {
	p.t.Helper()
	stream, err := p.server.ListResource(context.Background(), &tfprotov6.ListResourceRequest{
		TypeName:        typeName,
		Config:          p.dynamic(object(p.schema.ListResourceSchemas[typeName].ValueType(), filters)),
		IncludeResource: includeResource,
		Limit:           limit,
	})
	if err != nil {
		p.t.Fatal(err)
	}
	return stream
}

// validateList validates a list block's config, as Terraform does before it lists anything.
func (p *protoProvider) validateList(typeName string, filters map[string]tftypes.Value) []*tfprotov6.Diagnostic {
	p.t.Helper()
	resp, err := p.server.ValidateListResourceConfig(context.Background(), &tfprotov6.ValidateListResourceConfigRequest{
		TypeName: typeName,
		Config:   p.dynamic(object(p.schema.ListResourceSchemas[typeName].ValueType(), filters)),
	})
	if err != nil {
		p.t.Fatal(err)
	}
	return resp.Diagnostics
}

// displayNames returns the results' display names in order, failing on any result with diagnostics.
func displayNames(t *testing.T, results []tfprotov6.ListResourceResult) []string {
	t.Helper()
	names := make([]string, 0, len(results))
	for _, r := range results {
		requireNoDiags(t, "list result "+r.DisplayName, r.Diagnostics)
		names = append(names, r.DisplayName)
	}
	return names
}
