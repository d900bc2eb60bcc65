package main

// The refresh cost. Neither API can read one webhook by id, so every read is a list; the provider shares one list
// per service per process, so refreshing N webhooks should cost one list call per service whatever N, and a
// no-change plan should cost little more than Terraform's own work.

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/seed/terraform-provider-webhooks/internal/inventory"
	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

// applyLists is how many list calls an apply of creates lasting wall may make: a create is checked against a
// list of the service's webhooks taken at most inventory.BaselineAge before it (so that a create whose answer was
// lost can be told apart from a webhook someone else made), and the creates of one process share that list. So
// one list, and one more for each BaselineAge the apply lasts: a few per apply however many creates it holds,
// never one per create.
func applyLists(wall time.Duration) int { return 1 + int(wall/inventory.BaselineAge) }

const (
	// floorRatioTarget bounds the time of a no-change plan of floorRatioN webhooks against its floor, the same
	// plan with -refresh=false: the same Terraform, provider and plan work without the refresh.
	floorRatioTarget = 1.3
	floorRatioN      = 200
)

// Plan and apply arguments: Terraform's defaults (parallelism 10, refresh), no colour, no prompts.
var (
	initArgs  = []string{"init", "-input=false", "-no-color"}
	applyArgs = []string{"apply", "-auto-approve", "-input=false", "-no-color"}
	planArgs  = []string{"plan", "-input=false", "-no-color", "-detailed-exitcode"} // exit 0: no changes
	floorArgs = slices.Concat(planArgs, []string{"-refresh=false"})
)

// refreshCase is one line of the table: N webhooks of one service.
type refreshCase struct {
	service string // "sellfern" or "selsup"
	n       int
}

func (c refreshCase) String() string { return fmt.Sprintf("%s N=%d", c.service, c.n) }

func parseRefreshCases(s string) ([]refreshCase, error) {
	var out []refreshCase
	for part := range strings.SplitSeq(s, ",") {
		service, num, ok := strings.Cut(strings.TrimSpace(part), ":")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n < 1 || (service != "sellfern" && service != "selsup") {
			return nil, fmt.Errorf("bad case %q: want service:N, service being sellfern or selsup, N >= 1", part)
		}
		out = append(out, refreshCase{service, n})
	}
	return out, nil
}

// refreshResult is what one case measured: one apply of each configuration, then rounds of plans.
type refreshResult struct {
	apply, dataApply         cost
	plans, floors, dataPlans []cost
}

func refreshCost(ctx context.Context, b *bench, cases []refreshCase) (section, error) {
	s := section{
		title: "Refresh cost: an apply of N creates, then no-change plans of the same N",
		legend: []string{
			"s = wall-clock seconds: once for an apply, the median of the rounds for a plan.",
			"req = API requests the mock counted during the command; lists = the list calls among them. For plans, the largest over the rounds.",
			"floor = the same plan with -refresh=false. tf_data = the same N as terraform_data, which Terraform plans without any plugin.",
			"plan/floor, plan/tf_data = ratios of the medians.",
			"plan CPU s = user+system CPU seconds of terraform and of the provider processes it started (the rusage of terraform, which includes theirs), median of the rounds.",
		},
		header: []string{"service", "N", "apply s", "apply req", "plan s", "plan req", "plan lists", "floor s",
			"plan/floor", "tf_data apply s", "tf_data plan s", "plan/tf_data", "plan CPU s"},
	}
	for _, c := range cases {
		r, err := runRefreshCase(ctx, b, c)
		if err != nil {
			return section{}, fmt.Errorf("%s: %w", c, err)
		}
		s.rows = append(s.rows, r.row(c))
		s.checks = append(s.checks, r.checks(c)...)
	}
	return s, nil
}

func runRefreshCase(ctx context.Context, b *bench, c refreshCase) (refreshResult, error) {
	var r refreshResult
	mock, err := b.newMock(int64(c.n))
	if err != nil {
		return r, err
	}
	defer mock.Close()
	dir := fmt.Sprintf("refresh-%s-%d", c.service, c.n)
	ours, err := b.workspace(dir+"/webhooks", webhooksConfig(mock, c), mock)
	if err != nil {
		return r, err
	}
	data, err := b.workspace(dir+"/terraform_data", terraformDataConfig(c), nil)
	if err != nil {
		return r, err
	}

	progress("%s: terraform init, and an apply of %d creates (and of %d terraform_data)", c, c.n, c.n)
	for _, w := range []*workspace{ours, data} {
		if _, err := w.terraform(ctx, initArgs...); err != nil {
			return r, err
		}
	}
	if r.apply, err = ours.terraform(ctx, applyArgs...); err != nil {
		return r, err
	}
	if created := r.apply.api.Requests[c.service+".create"]; created != c.n {
		return r, fmt.Errorf("the apply made %d creates, want %d", created, c.n)
	}
	if r.dataApply, err = data.terraform(ctx, applyArgs...); err != nil {
		return r, err
	}

	// The three plans alternate, so that a change in the machine's load falls on all of them alike.
	for round := range b.rounds {
		progress("%s: round %d/%d: plan, plan -refresh=false, terraform_data plan", c, round+1, b.rounds)
		plan, err := ours.terraform(ctx, planArgs...)
		if err != nil {
			return r, fmt.Errorf("the plan after the apply is not empty: %w", err)
		}
		floor, err := ours.terraform(ctx, floorArgs...)
		if err != nil {
			return r, err
		}
		dataPlan, err := data.terraform(ctx, planArgs...)
		if err != nil {
			return r, err
		}
		r.plans, r.floors, r.dataPlans = append(r.plans, plan), append(r.floors, floor), append(r.dataPlans, dataPlan)
	}
	return r, nil
}

func (r refreshResult) row(c refreshCase) []string {
	plan, floor, dataPlan := median(r.plans, wallSeconds), median(r.floors, wallSeconds), median(r.dataPlans, wallSeconds)
	planReq, planLists := 0, 0
	for _, p := range r.plans {
		planReq, planLists = max(planReq, p.api.Total), max(planLists, p.lists())
	}
	return []string{
		c.service, strconv.Itoa(c.n),
		fmt.Sprintf("%.2f", r.apply.wall.Seconds()), strconv.Itoa(r.apply.api.Total),
		fmt.Sprintf("%.2f", plan), strconv.Itoa(planReq), strconv.Itoa(planLists),
		fmt.Sprintf("%.2f", floor), fmt.Sprintf("%.2fx", plan/floor),
		fmt.Sprintf("%.2f", r.dataApply.wall.Seconds()), fmt.Sprintf("%.2f", dataPlan), fmt.Sprintf("%.1fx", plan/dataPlan),
		fmt.Sprintf("%.2f", median(r.plans, cpuSeconds)),
	}
}

func (r refreshResult) checks(c refreshCase) []check {
	lists := make([]int, len(r.plans))
	listsOK := true
	for i, p := range r.plans {
		lists[i] = p.lists()
		listsOK = listsOK && lists[i] == 1
	}
	allowed := applyLists(r.apply.wall)
	want := c.n + allowed
	checks := []check{
		{count: true, ok: listsOK, text: fmt.Sprintf("%s: list calls in each no-change plan = %v (want 1, whatever N)", c, lists)},
		{count: true, ok: r.apply.api.Total <= want, text: fmt.Sprintf(
			"%s: API requests during the apply of %d creates = %d (creates %d, lists %d; want <= N + 1 + one list per %s of the %.1fs apply = %d)",
			c, c.n, r.apply.api.Total, r.apply.api.Requests[c.service+".create"], r.apply.lists(), inventory.BaselineAge,
			r.apply.wall.Seconds(), want)},
	}
	if c.n == floorRatioN {
		ratio := median(r.plans, wallSeconds) / median(r.floors, wallSeconds)
		checks = append(checks, check{ok: ratio <= floorRatioTarget, text: fmt.Sprintf(
			"%s: no-change plan / -refresh=false floor = %.2fx (want <= %.1fx)", c, ratio, floorRatioTarget)})
	}
	return checks
}

// webhooksConfig is N webhooks of one service with distinct URLs, the way a real configuration would use count.
func webhooksConfig(m *mockserver.Server, c refreshCase) string {
	head := mockServices(m).Config("")
	if c.service == "sellfern" {
		return head + fmt.Sprintf(`
resource "sellfern_webhook" "bench" {
  provider = webhooks
  count    = %d
  url      = "https://hooks.example.com/bench/${count.index}"
  events   = ["order.created", "order.status_changed"]
}
`, c.n)
	}
	return head + fmt.Sprintf(`
resource "selsup_webhook" "bench" {
  provider = webhooks
  count    = %d
  name     = "bench ${count.index}"
  url      = "https://hooks.example.com/bench/${count.index}"
  types    = ["ORDER", "ORDER_STATUS"]
}
`, c.n)
}

// terraformDataConfig holds the same values in terraform_data, which Terraform plans without any plugin.
func terraformDataConfig(c refreshCase) string {
	return fmt.Sprintf(`
resource "terraform_data" "bench" {
  count = %d
  input = {
    url    = "https://hooks.example.com/bench/${count.index}"
    events = ["order.created", "order.status_changed"]
  }
}
`, c.n)
}
