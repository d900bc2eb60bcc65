package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// rotateWhenChanged is the plan modifier of sellfern_webhook's rotate_when_changed: a map whose change replaces the
// webhook, so that Sellfern issues a new id and a new signing secret. Only a change of a value already in state
// rotates:
//
//   - on create the plan is the configured value;
//   - null and {} both mean "no rotation", and a change between them, or from either to a value (after an import,
//     or when the argument is first added), or back (the argument removed), is recorded in state without a
//     replacement: adding or removing the argument never destroys a webhook by surprise;
//   - a value in state and a different one in the configuration replace the webhook, and so does a configured
//     value that is not known yet (a time_rotating being replaced, say), as Terraform's own RequiresReplace does;
//   - the same value as in state plans no change.
//
// The plan is always the configured value or the one in state. A null map in state and {} in the configuration
// plan {}, not null: Terraform accepts, for an attribute the configuration sets, only that value or the prior one.
// Because the old value stays in state until a replacement has been created, a rotation whose create failed is
// planned again by the next apply (unlike replace_triggered_by, whose trigger is gone once its own change is
// applied).
func rotateWhenChanged() planmodifier.Map { return rotateWhenChangedModifier{} }

type rotateWhenChangedModifier struct{}

func (rotateWhenChangedModifier) Description(context.Context) string {
	return "A change of a value already in state replaces the resource; null and {} mean no rotation, and setting " +
		"the map where it was empty, or emptying it, is recorded without a replacement."
}

func (m rotateWhenChangedModifier) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (rotateWhenChangedModifier) PlanModifyMap(_ context.Context, req planmodifier.MapRequest, resp *planmodifier.MapResponse) {
	if req.Plan.Raw.IsNull() {
		return // the resource is being destroyed
	}
	// Computed only so that this modifier decides the plan: it is what the configuration says.
	resp.PlanValue = req.ConfigValue
	if req.State.Raw.IsNull() || emptyMap(req.StateValue) || emptyMap(req.ConfigValue) {
		return // a create; a first value, after an import or when the argument is added; or no more rotations
	}
	if !mapFullyKnown(req.ConfigValue) {
		resp.RequiresReplace = true
		return
	}
	if req.ConfigValue.Equal(req.StateValue) {
		resp.PlanValue = req.StateValue
		return
	}
	resp.RequiresReplace = true
}

// emptyMap reports whether m is null or known and empty; an unknown map is neither.
func emptyMap(m types.Map) bool {
	return m.IsNull() || (!m.IsUnknown() && len(m.Elements()) == 0)
}

// mapFullyKnown reports whether m and each of its values are known.
func mapFullyKnown(m types.Map) bool {
	if m.IsUnknown() {
		return false
	}
	for _, v := range m.Elements() {
		if v.IsUnknown() {
			return false
		}
	}
	return true
}
