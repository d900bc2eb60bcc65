package provider

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

// The tests in this file are the bad days of creates with real Terraform: a gateway that answers 504 while the
// service stores the webhook a little later (a late commit), a proxy that drops the Idempotency-Key, a configuration
// that manages identical webhooks on purpose.

// summaries returns the summaries of the warnings recorded (and not forgotten).
func (r *warningRecorder) summaries() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.warnings))
	for i, w := range r.warnings {
		out[i], _, _ = strings.Cut(w, "\n\n")
	}
	return out
}

// named reports whether the summary of a recorded warning contains text: a webhook named there is not folded
// away by Terraform.
func (r *warningRecorder) named(text string) bool {
	for _, s := range r.summaries() {
		if strings.Contains(s, text) {
			return true
		}
	}
	return false
}

// erred reports whether a recorded error contains text, in its summary or detail.
func (r *warningRecorder) erred(text string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.errors {
		if strings.Contains(e, text) {
			return true
		}
	}
	return false
}

// stateIDs returns the ids in state of the resources of type typ, by address.
func stateIDs(s *tfjson.State, typ string) map[string]string {
	out := map[string]string{}
	for _, r := range s.Values.RootModule.Resources {
		if r.Type == typ {
			out[r.Address] = fmt.Sprint(r.AttributeValues["id"])
		}
	}
	return out
}

// onNthRequest runs f once, when the nth request to route arrives (before it is handled).
func onNthRequest(m *mockserver.Server, route string, nth int32, f func()) {
	var seen atomic.Int32
	m.OnRequest(func(r string) {
		if r == route && seen.Add(1) == nth {
			f()
		}
	})
}

// TestAccLateCommit_sellfern: the gateway answers the create 504 at once and Sellfern stores the webhook later. The
// re-sends carry the create's key: Sellfern says the key is still in use until the webhook is stored, then answers
// with it and its secret. One webhook, the one in state, with the secret the service issued, and no delete. (Without
// keys, a list taken at once showed nothing and the create was made again: two webhooks, and no word.)
func TestAccLateCommit_sellfern(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	m.SetLateCommits(1, 0)
	onNthRequest(m, "sellfern.create", 2, m.CommitLateNow) // stored while the first re-send is on its way
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories,
		Steps: []resource.TestStep{{
			Config: sellfernConfig(m, "  url    = \"https://hooks.example.com/late\"\n  events = [\"order.created\"]\n"),
			ConfigStateChecks: []statecheck.StateCheck{
				mockHolds(m, 1, 0),
				sellfernMatchesMock(m, sellfernAddr, true),
				everySecretCaptured(m, 1, new(int)),
				stateCheckFunc(func(*tfjson.State) error {
					st := m.Stats()
					if st.LateStored["sellfern.create"] != 1 || len(m.IssuedSellfernSecrets()) != 1 || st.Requests["sellfern.delete"] != 0 {
						return fmt.Errorf("late commits stored %v, %d secrets issued, %d deletes; want 1, 1, 0",
							st.LateStored, len(m.IssuedSellfernSecrets()), st.Requests["sellfern.delete"])
					}
					return nil
				}),
			},
		}},
	})
}

// TestAccLateCommit_selsup: SelSup takes no key, so a create whose answer was a 504 is looked for in a list, which
// cannot show a webhook SelSup stores later, and is made again. The late webhook is never silent: when it lands
// before the create ends, the create's own last list names it; when it lands after the apply, the next plan's
// refresh does. Nothing is deleted.
func TestAccLateCommit_selsup(t *testing.T) {
	const cfg = "  name  = \"late\"\n  url   = \"https://hooks.example.com/late\"\n  types = [\"ORDER\"]\n"
	t.Run("during the apply", func(t *testing.T) {
		m := accMock(t, mockserver.Options{})
		m.SetLateCommits(1, 0)
		onNthRequest(m, "selsup.create", 2, m.CommitLateNow)
		diags := &warningRecorder{}
		factories := diags.factories()
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: factories,
			Steps: []resource.TestStep{{
				Config: selsupConfig(m, cfg),
				ConfigStateChecks: []statecheck.StateCheck{
					mockHolds(m, 0, 2),
					stateCheckFunc(func(s *tfjson.State) error {
						return lateOneNamed(m, diags, stateIDs(s, "selsup_webhook")["selsup_webhook.test"], "while its create was in doubt")
					}),
				},
			}},
		})
	})
	t.Run("after the apply", func(t *testing.T) {
		m := accMock(t, mockserver.Options{})
		m.SetLateCommits(1, 0)
		diags := &warningRecorder{}
		factories := diags.factories()
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: factories,
			Steps: []resource.TestStep{
				{Config: selsupConfig(m, cfg), ConfigStateChecks: []statecheck.StateCheck{mockHolds(m, 0, 1)}},
				{
					PreConfig: m.CommitLateNow,
					Config:    selsupConfig(m, cfg),
					ConfigStateChecks: []statecheck.StateCheck{
						mockHolds(m, 0, 2),
						stateCheckFunc(func(s *tfjson.State) error {
							return lateOneNamed(m, diags, stateIDs(s, "selsup_webhook")["selsup_webhook.test"], "after its create")
						}),
					},
				},
			},
		})
	})
}

// lateOneNamed checks that the SelSup webhook beside own, stored late, is named in a warning whose summary says how,
// and that nothing was deleted.
func lateOneNamed(m *mockserver.Server, diags *warningRecorder, own, how string) error {
	var late string
	for _, w := range m.SelSupWebhooks() {
		if id := fmt.Sprint(w.ID); id != own {
			late = id
		}
	}
	want := fmt.Sprintf("SelSup webhook %s appeared beside %s %s", late, own, how)
	if !diags.named(want) {
		return fmt.Errorf("no warning %q; warnings: %q", want, diags.summaries())
	}
	if n := m.Count("selsup.delete"); n != 0 {
		return fmt.Errorf("%d deletes: nothing is deleted on a guess", n)
	}
	return nil
}

// TestAccLateCommit_sellfernKeysIgnored: behind a proxy that drops the Idempotency-Key, a create answered 504 is made
// again by its re-send, and the first request is stored after the apply. The next plan's refresh names it, with its
// id, and deletes nothing.
func TestAccLateCommit_sellfernKeysIgnored(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	m.SetIgnoreIdempotencyKeys(true)
	m.SetLateCommits(1, 0)
	diags := &warningRecorder{}
	factories := diags.factories()
	cfg := sellfernConfig(m, "  url    = \"https://hooks.example.com/late\"\n  events = [\"order.created\"]\n")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{
			{Config: cfg, ConfigStateChecks: []statecheck.StateCheck{mockHolds(m, 1, 0)}},
			{
				PreConfig: m.CommitLateNow,
				Config:    cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					mockHolds(m, 2, 0),
					stateCheckFunc(func(s *tfjson.State) error {
						own := stateIDs(s, "sellfern_webhook")[sellfernAddr]
						for _, w := range m.SellfernWebhooks() {
							want := fmt.Sprintf("Sellfern webhook %s appeared beside %s after its create", w.ID, own)
							if w.ID != own && !diags.named(want) {
								return fmt.Errorf("no warning %q; warnings: %q", want, diags.summaries())
							}
						}
						if n := m.Count("sellfern.delete"); n != 0 {
							return fmt.Errorf("%d deletes: nothing is deleted on a guess", n)
						}
						return nil
					}),
				},
			},
		},
	})
}

// TestAccIdenticalWebhooksOnPurpose: a configuration that manages identical webhooks on purpose (count over one
// endpoint, then a replacement) is told plainly that, if the webhooks named are its own, there is nothing to do; the
// warning's summary names them by id, and it no longer advises deleting one. (The provider cannot see other
// instances' state, so it names every identical webhook this run did not make.)
func TestAccIdenticalWebhooksOnPurpose(t *testing.T) {
	m := accMock(t, mockserver.Options{})
	diags := &warningRecorder{}
	factories := diags.factories()
	cfg := func(count int) string {
		return providerConfig(m) + fmt.Sprintf(`
resource "sellfern_webhook" "x" {
  provider = webhooks
  count    = %[1]d
  url      = "https://hooks.example.com/same"
  events   = ["order.created"]
}

resource "selsup_webhook" "x" {
  provider = webhooks
  count    = %[1]d
  url      = "https://hooks.example.com/same"
  types    = ["ORDER"]
}
`, count)
	}
	warned := func(s *tfjson.State, typ, service, made string, others ...string) error {
		ids := stateIDs(s, typ)
		var named []string
		for _, addr := range others {
			named = append(named, ids[addr])
		}
		summary := fmt.Sprintf("%s webhooks identical to the new %s already exist: ", service, ids[made])
		diags.mu.Lock()
		warnings := append([]string(nil), diags.warnings...)
		diags.mu.Unlock()
		for _, w := range warnings {
			s, detail, _ := strings.Cut(w, "\n\n")
			if !strings.HasPrefix(s, summary) {
				continue
			}
			for _, id := range named {
				if !strings.Contains(s, id) {
					return fmt.Errorf("the warning %q does not name %s", s, id)
				}
			}
			for _, want := range []string{"A configuration may manage identical webhooks on purpose: count or for_each over one endpoint",
				"If they are this configuration's own, there is nothing to do."} {
				if !strings.Contains(detail, want) {
					return fmt.Errorf("the warning does not say %q:\n%s", want, detail)
				}
			}
			if strings.Contains(detail, "delete the one that is not this configuration's") {
				return fmt.Errorf("the warning calls this configuration's own webhooks strangers:\n%s", detail)
			}
			return nil
		}
		return fmt.Errorf("no warning %q...; warnings: %q", summary, diags.summaries())
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{
			{
				// Two identical webhooks made by one apply: it made both, so it names none.
				Config: cfg(2),
				ConfigStateChecks: []statecheck.StateCheck{stateCheckFunc(func(*tfjson.State) error {
					if w := diags.summaries(); len(w) != 0 {
						return fmt.Errorf("warnings after creating identical webhooks in one apply: %q", w)
					}
					return nil
				})},
			},
			{
				Config: cfg(3),
				ConfigStateChecks: []statecheck.StateCheck{stateCheckFunc(func(s *tfjson.State) error {
					if err := warned(s, "sellfern_webhook", "Sellfern", "sellfern_webhook.x[2]", "sellfern_webhook.x[0]", "sellfern_webhook.x[1]"); err != nil {
						return err
					}
					return warned(s, "selsup_webhook", "SelSup", "selsup_webhook.x[2]", "selsup_webhook.x[0]", "selsup_webhook.x[1]")
				})},
			},
			{
				// A replacement (-replace, or a tainted webhook): the old one is deleted first, the others are named.
				Taint:  []string{"sellfern_webhook.x[0]"},
				Config: cfg(3),
				ConfigStateChecks: []statecheck.StateCheck{stateCheckFunc(func(s *tfjson.State) error {
					return warned(s, "sellfern_webhook", "Sellfern", "sellfern_webhook.x[0]", "sellfern_webhook.x[1]", "sellfern_webhook.x[2]")
				})},
			},
		},
	})
}

// lateCommitService is what TestAccLateCommit_namedLaterInTheApply needs of one service.
type lateCommitService struct {
	name        string // as warnings name it
	typ         string // the resource type
	dataSource  string // the data source that lists every webhook
	create      string // the create's route key
	keysIgnored bool   // a proxy drops the Idempotency-Key
	attrs       func(name string) string
	refusal     mockserver.Answer // a create refused for good
}

var lateCommitServices = []lateCommitService{
	{
		name: "SelSup", typ: "selsup_webhook", dataSource: "selsup_webhooks", create: "selsup.create",
		attrs: func(name string) string {
			return fmt.Sprintf("  name  = %q\n  url   = \"https://hooks.example.com/%s\"\n  types = [\"ORDER\"]\n", name, name)
		},
		refusal: mockserver.Answer{Status: http.StatusBadRequest,
			Body: `{"error":"VALIDATION_ERROR","localMessage":"url did not answer the reachability check"}`},
	},
	{
		name: "Sellfern", typ: "sellfern_webhook", dataSource: "sellfern_webhooks", create: "sellfern.create",
		keysIgnored: true,
		attrs: func(name string) string {
			return fmt.Sprintf("  url    = \"https://hooks.example.com/%s\"\n  events = [\"order.created\"]\n", name)
		},
		refusal: mockserver.Answer{Status: http.StatusBadRequest,
			Body: `{"success":false,"error":{"code":"validation_error","message":"url did not answer the reachability check"}}`},
	},
}

// TestAccLateCommit_namedLaterInTheApply: the gateway answers webhook a's create 504 and the service stores it only
// after a's create has ended (a's recovery found nothing and made a again), as the first request of webhook b,
// which is ordered after a, reaches the service. No list of a's create could see the late webhook; the first list
// of that apply that holds it names it, in that apply's output, whatever operation took it: the list of b's create
// when b's first request is answered 504 too (a slow gateway 504s more than one create), whether b then succeeds or
// is refused, or a data source read after b. (A create that is not in doubt lists nothing when the apply has just
// listed, so with a and b alone the next plan's refresh is the first read that meets it: TestAccLateCommit_selsup.)
// SelSup takes no key; Sellfern is behind a proxy that drops the Idempotency-Key. Nothing is deleted or adopted.
//
// Only the apply can name the late webhook where these checks look: it did not exist during the plan before, and
// the plans after the apply (whose refresh names it again, from its create's record) run after the state checks,
// and not at all after an apply that failed.
func TestAccLateCommit_namedLaterInTheApply(t *testing.T) {
	const (
		bInDoubt  = "a later create in doubt"
		bRefused  = "a later create refused"
		bThenData = "a data source"
	)
	for _, svc := range lateCommitServices {
		for _, reader := range []string{bInDoubt, bRefused, bThenData} {
			t.Run(svc.name+" read by "+reader, func(t *testing.T) {
				m := accMock(t, mockserver.Options{})
				m.SetIgnoreIdempotencyKeys(svc.keysIgnored)
				m.SetLateCommits(1, 0)
				var creates atomic.Int32
				m.OnRequest(func(route string) {
					if route != svc.create {
						return
					}
					switch creates.Add(1) {
					case 3: // b's first request: a's first is stored now, after a's create ended
						m.CommitLateNow()
						if reader != bThenData {
							m.SetLateCommits(1, 0) // and b's own is answered 504
						}
						if reader == bRefused {
							m.SetAnswer(svc.create, &svc.refusal) // from b's next request on
						}
					case 4: // b's re-send: b's first request is stored now, while b's create is in doubt
						if reader == bInDoubt {
							m.CommitLateNow()
						}
					}
				})
				cfg := providerConfig(m) + fmt.Sprintf(`
resource %[1]q "a" {
  provider = webhooks
%[2]s}

resource %[1]q "b" {
  provider   = webhooks
  depends_on = [%[1]s.a]
%[3]s}
`, svc.typ, svc.attrs("a"), svc.attrs("b"))
				if reader == bThenData {
					cfg += fmt.Sprintf("\ndata %q \"all\" {\n  provider   = webhooks\n  depends_on = [%s.b]\n}\n", svc.dataSource, svc.typ)
				}
				diags := &warningRecorder{}
				// journaled returns the ids of the webhooks the service's journal records op for, in order; with a name,
				// only those with the url of that webhook.
				journaled := func(op string, name ...string) []string {
					var out []string
					for _, e := range m.Journal() {
						if e.Op == op && (len(name) == 0 || e.URL == "https://hooks.example.com/"+name[0]) {
							out = append(out, e.ID)
						}
					}
					return out
				}
				// named checks the warnings of the apply, given the webhooks state records (own, by name): beside a,
				// the webhook a's first request made, stored after a's create ended (and beside b, b's, stored while
				// b's create was in doubt) is named; nothing is adopted.
				named := func(own map[string]string) error {
					how := map[string]string{"a": "after its create"}
					if reader == bInDoubt {
						how["b"] = "while its create was in doubt"
					}
					for name, when := range how {
						made := journaled(mockserver.JournalCreate, name)
						if len(made) != 2 || !slices.Contains(made, own[name]) {
							return fmt.Errorf("made for %s: %v, state records %q; want two, one of them in state", name, made, own[name])
						}
						late := made[0]
						if late == own[name] {
							late = made[1]
						}
						summary := fmt.Sprintf("%s webhook %s appeared beside %s %s", svc.name, late, own[name], when)
						if !diags.named(summary) {
							return fmt.Errorf("the apply gave no warning %q; it warned: %q", summary, diags.summaries())
						}
					}
					for _, w := range diags.summaries() {
						if strings.Contains(w, "adopted") {
							return fmt.Errorf("the apply adopted a webhook: %q", w)
						}
					}
					return nil
				}
				step := resource.TestStep{Config: cfg}
				if reader == bRefused {
					step.ExpectError = errorContaining("Could not create " + svc.name + " webhook")
				} else {
					step.ConfigStateChecks = []statecheck.StateCheck{stateCheckFunc(func(s *tfjson.State) error {
						if deleted := journaled(mockserver.JournalDelete); len(deleted) != 0 {
							return fmt.Errorf("deleted %v: nothing is deleted on a guess", deleted)
						}
						ids := stateIDs(s, svc.typ)
						return named(map[string]string{"a": ids[svc.typ+".a"], "b": ids[svc.typ+".b"]})
					})}
				}
				resource.ParallelTest(t, resource.TestCase{
					ProtoV6ProviderFactories: diags.factories(),
					Steps:                    []resource.TestStep{step},
				})
				if reader == bRefused {
					// Plugin-testing checks no state after an apply that failed as expected. The destroy that ends the
					// test deletes what state recorded, a alone: its delete says which webhook a is, and nothing else
					// was deleted.
					deleted := journaled(mockserver.JournalDelete)
					if len(deleted) != 1 {
						t.Fatalf("deleted %v: want a alone, by the destroy that ends the test", deleted)
					}
					if err := named(map[string]string{"a": deleted[0]}); err != nil {
						t.Fatal(err)
					}
				}
			})
		}
	}
}
