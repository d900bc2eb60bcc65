package provider

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

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

// createdConfig is a webhook of each service that Terraform creates.
func createdConfig(m *mockserver.Server, url string) string {
	return providerConfig(m) + fmt.Sprintf(`
resource "sellfern_webhook" "created" {
  provider = webhooks
  url      = %[1]q
  events   = ["order.created"]
}

resource "selsup_webhook" "created" {
  provider = webhooks
  name     = "Создан Terraform"
  url      = %[1]q
  types    = ["ORDER"]
}
`, url)
}

// adoptedConfig is a webhook of each service made outside Terraform and adopted through an import block's identity,
// named by its id.
func adoptedConfig(sellfernID, selsupID string) string {
	return fmt.Sprintf(`
import {
  provider = webhooks
  to       = sellfern_webhook.adopted
  identity = {
    id = %q
  }
}

resource "sellfern_webhook" "adopted" {
  provider = webhooks
  url      = "https://hooks.example.com/adopted"
  events   = ["ticket.created", "ticket.updated"]
  enabled  = false
}

import {
  provider = webhooks
  to       = selsup_webhook.adopted
  identity = {
    id = %q
  }
}

resource "selsup_webhook" "adopted" {
  provider        = webhooks
  name            = "Принят"
  url             = "https://hooks.example.com/adopted"
  types           = ["CREATE_PRODUCT"]
  organization_id = 7
}
`, sellfernID, selsupID)
}

// identityOf checks that the resource at addr has the identity {id = <its id attribute>}, and that the id is
// want when want is not empty.
func identityOf(addr, want string) []statecheck.StateCheck {
	var id knownvalue.Check = knownvalue.StringRegexp(regexp.MustCompile(`^(wh_[0-9a-f]{16}|[1-9][0-9]*)$`))
	if want != "" {
		id = knownvalue.StringExact(want)
	}
	return []statecheck.StateCheck{
		statecheck.ExpectIdentity(addr, map[string]knownvalue.Check{"id": id}),
		statecheck.ExpectIdentityValueMatchesState(addr, tfjsonpath.New("id")),
	}
}

// TestAccWebhookIdentity: created webhooks hold their identity; webhooks made outside are adopted by import blocks
// with identity (the Sellfern secret is null then, as after any import) and hold it too; an in-place update keeps
// it; a webhook deleted outside is planned for creation again and the new one holds its new id; and an import
// step by identity plans a no-op import with the same identity. Import blocks name their provider, as the docs
// say, which OpenTofu needs.
func TestAccWebhookIdentity(t *testing.T) {
	m := accMock(t, mockserver.Options{Shuffle: true})
	outsideSellfern := m.SellfernPut(mockserver.SellfernWebhook{URL: "https://hooks.example.com/adopted", Events: []string{"ticket.updated", "ticket.created"}, Enabled: false})
	outsideSelSup := m.SelSupPut(mockserver.SelSupWebhook{Name: "Принят", URL: "https://hooks.example.com/adopted", Types: []string{"CREATE_PRODUCT"}, OrganizationID: 7})
	config := func(url string) string {
		return createdConfig(m, url) + adoptedConfig(outsideSellfern.ID, fmt.Sprint(outsideSelSup.ID))
	}
	adopted := append(append(identityOf("sellfern_webhook.adopted", outsideSellfern.ID), identityOf("selsup_webhook.adopted", fmt.Sprint(outsideSelSup.ID))...),
		statecheck.ExpectKnownValue("sellfern_webhook.adopted", tfjsonpath.New("secret"), knownvalue.Null()))
	created := append(identityOf("sellfern_webhook.created", ""), identityOf("selsup_webhook.created", "")...)
	sameID := statecheck.CompareValue(compare.ValuesSame())
	var createdID string
	importStep := func(addr string) resource.TestStep {
		return resource.TestStep{
			Config:                 config("https://hooks.example.com/v2"),
			ResourceName:           addr,
			ImportState:            true,
			ImportStateKind:        resource.ImportBlockWithResourceIdentity,
			ImportStateConfigExact: true, // the configuration's own import blocks, which name their provider
			ImportPlanChecks: resource.ImportPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionNoop)},
			},
		}
	}

	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{
				Config: config("https://hooks.example.com/v1"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: append(append(slices.Clone(adopted), created...),
					sameID.AddStateValue("sellfern_webhook.created", tfjsonpath.New("id")),
					sellfernMatchesMock(m, "sellfern_webhook.adopted", false),
					selsupMatchesMock(m, "selsup_webhook.adopted"),
					mockCounts(m, map[string]int{"sellfern.create": 1, "selsup.create": 1}),
				),
			},
			{
				Config: config("https://hooks.example.com/v2"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("sellfern_webhook.created", plancheck.ResourceActionUpdate),
						plancheck.ExpectResourceAction("selsup_webhook.created", plancheck.ResourceActionDestroyBeforeCreate),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: append(append(slices.Clone(adopted), created...),
					sameID.AddStateValue("sellfern_webhook.created", tfjsonpath.New("id")),
					stateCheckFunc(func(s *tfjsonState) error {
						v, err := resourceValues(s, "sellfern_webhook.created")
						createdID, _ = v["id"].(string)
						return err
					}),
				),
			},
			{
				PreConfig: func() {
					if !m.SellfernDelete(createdID) {
						t.Fatalf("the mock does not hold %s", createdID)
					}
				},
				Config: config("https://hooks.example.com/v2"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction("sellfern_webhook.created", plancheck.ResourceActionCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: append(append(slices.Clone(adopted), created...),
					stateCheckFunc(func(s *tfjsonState) error {
						v, err := resourceValues(s, "sellfern_webhook.created")
						if err == nil && v["id"] == createdID {
							err = fmt.Errorf("the webhook deleted outside still has its old id %s", createdID)
						}
						return err
					}),
				),
			},
			importStep("sellfern_webhook.adopted"),
			importStep("selsup_webhook.adopted"),
		},
	})
}

// TestAccWebhookIdentity_deletedOutside runs on every CLI, those without identity included: webhooks of both
// services deleted outside Terraform leave the state at refresh and are planned for creation, with no "Missing
// Resource Identity After Read" from a Read that received no identity.
func TestAccWebhookIdentity_deletedOutside(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	config := providerConfig(m) + `
resource "sellfern_webhook" "gone" {
  provider = webhooks
  url      = "https://hooks.example.com/gone"
  events   = ["order.created"]
}

resource "selsup_webhook" "gone" {
  provider = webhooks
  url      = "https://hooks.example.com/gone"
  types    = ["ORDER"]
}
`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{
			{Config: config},
			{
				PreConfig: func() {
					for _, w := range m.SellfernWebhooks() {
						m.SellfernDelete(w.ID)
					}
					for _, w := range m.SelSupWebhooks() {
						m.SelSupDelete(w.ID)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("sellfern_webhook.gone", plancheck.ResourceActionCreate),
						plancheck.ExpectResourceAction("selsup_webhook.gone", plancheck.ResourceActionCreate),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					sellfernMatchesMock(m, "sellfern_webhook.gone", true),
					selsupMatchesMock(m, "selsup_webhook.gone"),
					mockCounts(m, map[string]int{"sellfern.create": 2, "selsup.create": 2}),
				},
			},
		},
	})
}

// withoutIdentity serves the provider as it was before it had identity: no identity schemas, and no identity in
// any answer, so Terraform writes state without identity, as Terraform 1.11 or an earlier build of the provider did.
type withoutIdentity struct{ tfprotov6.ProviderServer }

func (s withoutIdentity) GetResourceIdentitySchemas(context.Context, *tfprotov6.GetResourceIdentitySchemasRequest) (*tfprotov6.GetResourceIdentitySchemasResponse, error) {
	return &tfprotov6.GetResourceIdentitySchemasResponse{IdentitySchemas: map[string]*tfprotov6.ResourceIdentitySchema{}}, nil
}

func (s withoutIdentity) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	resp, err := s.ProviderServer.ReadResource(ctx, req)
	if resp != nil {
		resp.NewIdentity = nil
	}
	return resp, err
}

func (s withoutIdentity) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	resp, err := s.ProviderServer.PlanResourceChange(ctx, req)
	if resp != nil {
		resp.PlannedIdentity = nil
	}
	return resp, err
}

func (s withoutIdentity) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	resp, err := s.ProviderServer.ApplyResourceChange(ctx, req)
	if resp != nil {
		resp.NewIdentity = nil
	}
	return resp, err
}

// TestAccWebhookIdentity_upgrade: state written without identity (by the provider served as it was before
// identity) plans no change with the provider as it is, and holds identity after that refresh.
func TestAccWebhookIdentity_upgrade(t *testing.T) {
	m := accMock(t, mockserver.Options{Shuffle: true})
	config := createdConfig(m, "https://hooks.example.com/upgrade")
	withIdentity := testAccFactories
	before := map[string]func() (tfprotov6.ProviderServer, error){
		"webhooks": func() (tfprotov6.ProviderServer, error) {
			server, err := withIdentity["webhooks"]()
			return withoutIdentity{server}, err
		},
	}
	noIdentity := stateCheckFunc(func(s *tfjsonState) error {
		for _, r := range s.Values.RootModule.Resources {
			if r.IdentityValues != nil || r.IdentitySchemaVersion != nil {
				return fmt.Errorf("%s has an identity in state, so this step proves nothing", r.Address)
			}
		}
		return nil
	})

	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		Steps: []resource.TestStep{
			{
				ProtoV6ProviderFactories: before,
				Config:                   config,
				ConfigStateChecks:        []statecheck.StateCheck{noIdentity},
			},
			{
				ProtoV6ProviderFactories: withIdentity,
				Config:                   config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: append(identityOf("sellfern_webhook.created", ""), identityOf("selsup_webhook.created", "")...),
			},
		},
	})
}

// TestIdentity_taintedCreate: a Sellfern webhook created but not disabled (the PATCH after the create failed) is
// recorded in state, to be tainted and replaced, with its identity like any webhook in state.
func TestIdentity_taintedCreate(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	p := mockProvider(t, m)
	m.SetFaults(mockserver.FaultOptions{Rate: 1, Kinds: []mockserver.FaultKind{mockserver.Fault503}, Routes: []string{"sellfern.update"}})
	typ := p.resourceType("sellfern_webhook")
	config := object(typ, map[string]tftypes.Value{
		"url":     tftypes.NewValue(tftypes.String, "https://hooks.example.com/paused"),
		"events":  tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, []tftypes.Value{tftypes.NewValue(tftypes.String, "order.created")}),
		"enabled": tftypes.NewValue(tftypes.Bool, false),
	})
	ctx := context.Background()
	planned, err := p.server.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{
		TypeName: "sellfern_webhook", PriorState: p.dynamic(tftypes.NewValue(typ, nil)),
		ProposedNewState: p.dynamic(config), Config: p.dynamic(config),
	})
	if err != nil {
		t.Fatal(err)
	}
	requireNoDiags(t, "PlanResourceChange", planned.Diagnostics)
	applied, err := p.server.ApplyResourceChange(ctx, &tfprotov6.ApplyResourceChangeRequest{
		TypeName: "sellfern_webhook", PriorState: p.dynamic(tftypes.NewValue(typ, nil)),
		PlannedState: planned.PlannedState, Config: p.dynamic(config),
	})
	if err != nil {
		t.Fatal(err)
	}
	if text := diagText(applied.Diagnostics); !strings.Contains(text, "ERROR: Sellfern webhook created but not disabled") {
		t.Fatalf("want the create to fail at the PATCH, got:\n%s", text)
	}
	hooks := m.SellfernWebhooks()
	if len(hooks) != 1 {
		t.Fatalf("the mock holds %d webhooks, want the one created", len(hooks))
	}
	state := p.decode(applied.NewState, typ)
	if got := stringAttr(t, state, "id"); got != hooks[0].ID {
		t.Errorf("state records id %q, want %q", got, hooks[0].ID)
	}
	if got := p.identityID("sellfern_webhook", applied.NewIdentity); got != hooks[0].ID {
		t.Errorf("identity %q, want %q", got, hooks[0].ID)
	}
}
