package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/seed/terraform-provider-webhooks/internal/webhookurl"
)

// urlType is the type of a webhook's url. A service may store a URL in another spelling than it was given (scheme
// and host in lower case, an internationalised host in punycode, a default port dropped); two such spellings are
// semantically equal, so a refresh that reads back the service's spelling keeps the configured one in state and
// plans no change.
type urlType struct {
	basetypes.StringType
}

var _ basetypes.StringTypable = urlType{}

func (t urlType) Equal(o attr.Type) bool {
	_, ok := o.(urlType)
	return ok
}

func (t urlType) String() string { return "urlType" }

func (t urlType) ValueFromString(_ context.Context, in basetypes.StringValue) (basetypes.StringValuable, diag.Diagnostics) {
	return urlValue{StringValue: in}, nil
}

func (t urlType) ValueFromTerraform(ctx context.Context, in tftypes.Value) (attr.Value, error) {
	v, err := t.StringType.ValueFromTerraform(ctx, in)
	if err != nil {
		return nil, err
	}
	s, ok := v.(basetypes.StringValue)
	if !ok {
		return nil, fmt.Errorf("unexpected value type %T", v)
	}
	return urlValue{StringValue: s}, nil
}

func (t urlType) ValueType(context.Context) attr.Value { return urlValue{} }

// urlValue is a value of urlType.
type urlValue struct {
	basetypes.StringValue
}

var _ basetypes.StringValuableWithSemanticEquals = urlValue{}

func newURLValue(s string) urlValue { return urlValue{StringValue: basetypes.NewStringValue(s)} }

func (v urlValue) Equal(o attr.Value) bool {
	other, ok := o.(urlValue)
	return ok && v.StringValue.Equal(other.StringValue)
}

func (v urlValue) Type(context.Context) attr.Type { return urlType{} }

// StringSemanticEquals reports whether both name the same endpoint.
func (v urlValue) StringSemanticEquals(_ context.Context, newValuable basetypes.StringValuable) (bool, diag.Diagnostics) {
	var diags diag.Diagnostics
	other, ok := newValuable.(urlValue)
	if !ok {
		diags.AddError("Semantic Equality Check Error", fmt.Sprintf("Expected a url value, got %T. This is a bug in the provider; please report it.", newValuable))
		return false, diags
	}
	return webhookurl.Equal(v.ValueString(), other.ValueString()), diags
}
