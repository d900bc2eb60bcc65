package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

// identityCase is one webhook resource type, with a webhook the mock holds and an id it does not.
type identityCase struct {
	typeName, present, absent string
}

func identityCases(m *mockserver.Server) []identityCase {
	sf := m.SellfernPut(mockserver.SellfernWebhook{URL: "https://hooks.example.com/kept", Events: []string{"order.created"}, Enabled: true})
	ss := m.SelSupPut(mockserver.SelSupWebhook{Name: "Склад", URL: "https://hooks.example.com/kept", Types: []string{"ORDER"}})
	return []identityCase{
		{typeName: "sellfern_webhook", present: sf.ID, absent: "wh_0000000000000gone"},
		{typeName: "selsup_webhook", present: fmt.Sprint(ss.ID), absent: "987654"},
	}
}

// TestIdentity_readWithoutIdentity sends Read requests with no identity, as Terraform before 1.12 does and as any
// Terraform does for state written before the provider had identity. A webhook that exists gets its identity; one
// deleted outside Terraform leaves the state with its identity set, not with "Missing Resource Identity After
// Read", so that the plan can create it again.
func TestIdentity_readWithoutIdentity(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	p := mockProvider(t, m)
	for _, c := range identityCases(m) {
		for _, id := range []string{c.present, c.absent} {
			resp, err := p.server.ReadResource(context.Background(), &tfprotov6.ReadResourceRequest{
				TypeName:     c.typeName,
				CurrentState: p.dynamic(object(p.resourceType(c.typeName), map[string]tftypes.Value{"id": tftypes.NewValue(tftypes.String, id)})),
			})
			if err != nil {
				t.Fatal(err)
			}
			requireNoDiags(t, c.typeName+" Read of "+id, resp.Diagnostics)
			if got := p.identityID(c.typeName, resp.NewIdentity); got != id {
				t.Errorf("%s Read of %s: identity id %q", c.typeName, id, got)
			}
			state := p.decode(resp.NewState, p.resourceType(c.typeName))
			switch {
			case id == c.present && state == nil:
				t.Errorf("%s Read of %s (present) removed the resource", c.typeName, id)
			case id == c.absent && state != nil:
				t.Errorf("%s Read of %s (deleted outside) kept the resource: %v", c.typeName, id, state)
			}
		}
	}
}

// TestIdentity_importByIdentity imports through an import block's identity, which reaches the provider with no id:
// the webhook's id comes from the identity, is checked like an id given to `terraform import`, and is both the
// imported state's id and its identity.
func TestIdentity_importByIdentity(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	p := mockProvider(t, m)
	for _, c := range identityCases(m) {
		importBy := func(id string) *tfprotov6.ImportResourceStateResponse {
			t.Helper()
			identity := object(p.identityType(c.typeName), map[string]tftypes.Value{"id": tftypes.NewValue(tftypes.String, id)})
			resp, err := p.server.ImportResourceState(context.Background(), &tfprotov6.ImportResourceStateRequest{
				TypeName: c.typeName,
				Identity: &tfprotov6.ResourceIdentityData{IdentityData: p.dynamic(identity)},
			})
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}

		resp := importBy(c.present)
		requireNoDiags(t, c.typeName+" import by identity", resp.Diagnostics)
		if len(resp.ImportedResources) != 1 {
			t.Fatalf("%s: %d imported resources, want 1", c.typeName, len(resp.ImportedResources))
		}
		imported := resp.ImportedResources[0]
		if got := stringAttr(t, p.decode(imported.State, p.resourceType(c.typeName)), "id"); got != c.present {
			t.Errorf("%s: imported state id %q, want %q", c.typeName, got, c.present)
		}
		if got := p.identityID(c.typeName, imported.Identity); got != c.present {
			t.Errorf("%s: imported identity id %q, want %q", c.typeName, got, c.present)
		}

		for id, want := range map[string]string{
			c.absent: "has no webhook with id",
			"a/b c":  "Invalid",
		} {
			text := diagText(importBy(id).Diagnostics)
			if !strings.Contains(text, "ERROR: ") || !strings.Contains(text, want) {
				t.Errorf("%s: import by identity %q: want an error containing %q, got:\n%s", c.typeName, id, want, text)
			}
		}
	}
}
