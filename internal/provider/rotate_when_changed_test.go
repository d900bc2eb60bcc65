package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// TestRotateWhenChanged calls the plan modifier directly, as terraform-plugin-framework-validators' tests call
// theirs, with each combination of state and configuration that the rule distinguishes.
func TestRotateWhenChanged(t *testing.T) {
	object := tftypes.Object{AttributeTypes: map[string]tftypes.Type{"rotate_when_changed": tftypes.Map{ElementType: tftypes.String}}}
	present := tftypes.NewValue(object, map[string]tftypes.Value{
		"rotate_when_changed": tftypes.NewValue(tftypes.Map{ElementType: tftypes.String}, nil),
	})
	absent := tftypes.NewValue(object, nil)
	null := types.MapNull(types.StringType)
	unknown := types.MapUnknown(types.StringType)
	empty := types.MapValueMust(types.StringType, map[string]attr.Value{})
	of := func(kv ...string) types.Map {
		elems := map[string]attr.Value{}
		for i := 0; i < len(kv); i += 2 {
			elems[kv[i]] = types.StringValue(kv[i+1])
		}
		return types.MapValueMust(types.StringType, elems)
	}
	partlyUnknown := types.MapValueMust(types.StringType, map[string]attr.Value{"rotation": types.StringUnknown()})

	for _, tc := range []struct {
		name          string
		create        bool // no prior state
		destroy       bool // no plan
		state, config types.Map
		wantPlan      types.Map
		wantReplace   bool
	}{
		{name: "create without it", create: true, state: null, config: null, wantPlan: null},
		{name: "create with a value", create: true, state: null, config: of("generation", "1"), wantPlan: of("generation", "1")},
		{name: "create with {}: the configured value", create: true, state: null, config: empty, wantPlan: empty},
		{name: "create with a value not known yet", create: true, state: null, config: partlyUnknown, wantPlan: partlyUnknown},
		{name: "unchanged", state: of("generation", "1"), config: of("generation", "1"), wantPlan: of("generation", "1")},
		{name: "unchanged null", state: null, config: null, wantPlan: null},
		{name: "unchanged {}", state: empty, config: empty, wantPlan: empty},
		{name: "changed value rotates", state: of("generation", "1"), config: of("generation", "2"), wantPlan: of("generation", "2"), wantReplace: true},
		{name: "a key added rotates", state: of("a", "1"), config: of("a", "1", "b", "1"), wantPlan: of("a", "1", "b", "1"), wantReplace: true},
		{name: "a key removed rotates", state: of("a", "1", "b", "1"), config: of("a", "1"), wantPlan: of("a", "1"), wantReplace: true},
		{name: "a value not known yet rotates", state: of("rotation", "2026-01-01T00:00:00Z"), config: partlyUnknown, wantPlan: partlyUnknown, wantReplace: true},
		{name: "a map not known yet rotates", state: of("generation", "1"), config: unknown, wantPlan: unknown, wantReplace: true},
		{name: "first added after import (null in state)", state: null, config: of("generation", "1"), wantPlan: of("generation", "1")},
		{name: "first added where {} was", state: empty, config: of("generation", "1"), wantPlan: of("generation", "1")},
		{name: "first added, not known yet", state: null, config: unknown, wantPlan: unknown},
		{name: "removed: null recorded", state: of("generation", "1"), config: null, wantPlan: null},
		{name: "emptied: {} recorded", state: of("generation", "1"), config: empty, wantPlan: empty},
		{name: "null to {}", state: null, config: empty, wantPlan: empty},
		{name: "{} to null", state: empty, config: null, wantPlan: null},
		{name: "destroy", destroy: true, state: of("generation", "1"), config: null, wantPlan: of("generation", "1")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := planmodifier.MapRequest{
				Path:        path.Root("rotate_when_changed"),
				Config:      tfsdk.Config{Raw: present},
				ConfigValue: tc.config,
				Plan:        tfsdk.Plan{Raw: present},
				// What the framework proposes before the modifier runs: the configured value, or unknown for a
				// computed attribute the configuration leaves null on a resource with other changes.
				PlanValue:  tc.config,
				State:      tfsdk.State{Raw: present},
				StateValue: tc.state,
			}
			if tc.config.IsNull() {
				req.PlanValue = unknown
			}
			if tc.create {
				req.State.Raw = absent
			}
			if tc.destroy {
				req.Plan.Raw, req.Config.Raw, req.PlanValue = absent, absent, tc.state
			}
			resp := planmodifier.MapResponse{PlanValue: req.PlanValue}
			if tc.destroy {
				resp.PlanValue = tc.state
			}
			rotateWhenChanged().PlanModifyMap(context.Background(), req, &resp)
			if resp.Diagnostics.HasError() {
				t.Fatalf("diagnostics: %v", resp.Diagnostics)
			}
			if !resp.PlanValue.Equal(tc.wantPlan) {
				t.Errorf("plan = %v, want %v", resp.PlanValue, tc.wantPlan)
			}
			if resp.RequiresReplace != tc.wantReplace {
				t.Errorf("RequiresReplace = %v, want %v", resp.RequiresReplace, tc.wantReplace)
			}
		})
	}
}
