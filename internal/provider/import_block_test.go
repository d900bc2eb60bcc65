package provider

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hashicorp/terraform-plugin-testing/statecheck"
)

// importBlockWithID is an import block for addr as the docs write one, naming its provider: OpenTofu resolves an
// import block's provider from the resource type's prefix otherwise (hashicorp/sellfern, which does not exist),
// and the import block plugin-testing writes itself names none. A step using it sets ImportStateConfigExact, so
// that plugin-testing adds no import block of its own, and gives the id through the variable import_id (see
// recordedID).
func importBlockWithID(addr string) string {
	return fmt.Sprintf(`
variable "import_id" {
  type = string
}

import {
  provider = webhooks
  to       = %s
  id       = var.import_id
}
`, addr)
}

// recordedID is a state check that records the id of a resource as a step leaves it, and the configuration
// variable that gives it to a later step (an import block's id is not known when the test case is written).
type recordedID struct {
	addr string
	id   string
}

func (r *recordedID) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	v, err := resourceValues(req.State, r.addr)
	if err != nil {
		resp.Error = err
		return
	}
	id, ok := v["id"].(string)
	if !ok || id == "" {
		resp.Error = fmt.Errorf("%s has no id in state", r.addr)
		return
	}
	r.id = id
}

// MarshalJSON makes it a configuration variable (config.Variable), read when the step that uses it runs.
func (r *recordedID) MarshalJSON() ([]byte, error) {
	if r.id == "" {
		return nil, fmt.Errorf("no id of %s was recorded by an earlier step", r.addr)
	}
	return json.Marshal(r.id)
}
