package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

// stateCheckFunc adapts a function into a statecheck.StateCheck.
type stateCheckFunc func(*tfjson.State) error

func (f stateCheckFunc) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = f(req.State)
}

// resourceValues returns the attribute values of a managed resource in the state.
func resourceValues(state *tfjson.State, address string) (map[string]any, error) {
	if state == nil || state.Values == nil || state.Values.RootModule == nil {
		return nil, fmt.Errorf("no state")
	}
	for _, r := range state.Values.RootModule.Resources {
		if r.Address == address {
			return r.AttributeValues, nil
		}
	}
	return nil, fmt.Errorf("%s is not in the state", address)
}

func stringsOf(v any) []string {
	items, _ := v.([]any)
	out := make([]string, 0, len(items))
	for _, item := range items {
		out = append(out, fmt.Sprint(item))
	}
	slices.Sort(out)
	return out
}

// sellfernMatchesMock checks every attribute in state against the webhook the mock holds under the same id,
// the secret included: what Terraform recorded is what the service issued.
func sellfernMatchesMock(m *mockserver.Server, address string, wantSecret bool) statecheck.StateCheck {
	return stateCheckFunc(func(state *tfjson.State) error {
		v, err := resourceValues(state, address)
		if err != nil {
			return err
		}
		id, _ := v["id"].(string)
		w, ok := m.SellfernWebhook(id)
		if !ok {
			return fmt.Errorf("%s has id %q, which the mock does not hold", address, id)
		}
		events := slices.Clone(w.Events)
		slices.Sort(events)
		if got := v["url"]; got != w.URL {
			return fmt.Errorf("url: state %v, mock %v", got, w.URL)
		}
		if got := stringsOf(v["events"]); !slices.Equal(got, events) {
			return fmt.Errorf("events: state %v, mock %v", got, events)
		}
		if got := v["enabled"]; got != w.Enabled {
			return fmt.Errorf("enabled: state %v, mock %v", got, w.Enabled)
		}
		if got := v["created_at"]; got != w.CreatedAt.UTC().Format(time.RFC3339) {
			return fmt.Errorf("created_at: state %v, mock %v", got, w.CreatedAt.UTC().Format(time.RFC3339))
		}
		switch secret := v["secret"]; {
		case wantSecret && (secret != w.Secret || w.Secret == ""):
			return fmt.Errorf("secret in state is not the one the mock issued")
		case !wantSecret && secret != nil:
			return fmt.Errorf("secret: want null after import, state has a value")
		}
		return nil
	})
}

// selsupMatchesMock checks every attribute in state against the mock's webhook with the same id.
func selsupMatchesMock(m *mockserver.Server, address string) statecheck.StateCheck {
	return stateCheckFunc(func(state *tfjson.State) error {
		v, err := resourceValues(state, address)
		if err != nil {
			return err
		}
		id, err := strconv.ParseInt(fmt.Sprint(v["id"]), 10, 64)
		if err != nil {
			return fmt.Errorf("id %v is not an integer", v["id"])
		}
		w, ok := m.SelSupWebhook(id)
		if !ok {
			return fmt.Errorf("%s has id %d, which the mock does not hold", address, id)
		}
		types := slices.Clone(w.Types)
		slices.Sort(types)
		if got := stringsOf(v["types"]); !slices.Equal(got, types) {
			return fmt.Errorf("types: state %v, mock %v", got, types)
		}
		if got, want := v["url"], w.URL; got != want {
			return fmt.Errorf("url: state %v, mock %v", got, want)
		}
		if got, want := nullable(v["name"]), w.Name; got != want {
			return fmt.Errorf("name: state %q, mock %q", got, want)
		}
		if got, want := numberOr0(v["organization_id"]), w.OrganizationID; got != want {
			return fmt.Errorf("organization_id: state %d, mock %d", got, want)
		}
		if got, want := numberOr0(v["client_id"]), w.ClientID; got != want {
			return fmt.Errorf("client_id: state %d, mock %d", got, want)
		}
		return nil
	})
}

func nullable(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func numberOr0(v any) int64 {
	switch n := v.(type) {
	case json.Number:
		i, _ := n.Int64()
		return i
	case float64:
		return int64(n)
	}
	return 0
}

// mockCounts checks the mock's request counters after a step.
func mockCounts(m *mockserver.Server, want map[string]int) statecheck.StateCheck {
	return stateCheckFunc(func(*tfjson.State) error {
		for route, n := range want {
			if got := m.Count(route); got != n {
				return fmt.Errorf("mock route %s: %d requests, want %d", route, got, n)
			}
		}
		return nil
	})
}

// mockHolds checks how many webhooks each service holds.
func mockHolds(m *mockserver.Server, sellfern, selsup int) statecheck.StateCheck {
	return stateCheckFunc(func(*tfjson.State) error {
		if got := len(m.SellfernWebhooks()); got != sellfern {
			return fmt.Errorf("mock holds %d Sellfern webhooks, want %d", got, sellfern)
		}
		if got := len(m.SelSupWebhooks()); got != selsup {
			return fmt.Errorf("mock holds %d SelSup webhooks, want %d", got, selsup)
		}
		return nil
	})
}

type tfjsonState = tfjson.State
