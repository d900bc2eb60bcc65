package main

// Under faults. A fifth of all API calls fail (503, or a dropped connection), half of the failed creates after the
// service stored the webhook: the create's answer is lost. Every Sellfern create carries an Idempotency-Key, and a
// create whose answer is lost is sent again with it; Sellfern answers with the webhook the first request made. So
// with keys honoured the apply makes each webhook once and deletes nothing. Behind a proxy that drops the key, a
// re-send can make a second webhook: the provider names each in a warning and deletes none. SelSup takes no key:
// its creates are reconciled with a list, and a webhook found there is adopted and named.

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

// faultsCase is the section's configuration: how many webhooks each row creates, at what fault rate.
type faultsCase struct {
	n    int
	rate float64
}

// Targets: with keys honoured, each webhook made once (no extra webhook, one secret issued per webhook) and no delete;
// with keys ignored, no delete and every extra webhook named in a warning; on SelSup, no delete and every adoption
// named; requests per created webhook within faultsRequestsPerWebhook. All are counts, which fail the run.
const faultsRequestsPerWebhook = 2.0

// faultsRow is one apply under faults.
type faultsRow struct {
	name    string
	service string // "sellfern" or "selsup"
	ignore  bool   // Sellfern ignores Idempotency-Key
}

func faultsCost(ctx context.Context, b *bench, c faultsCase) (section, error) {
	s := section{
		title: fmt.Sprintf("Under faults: %d webhooks per row, %g%% of all calls failing (503 or a dropped connection), half "+
			"of the failed creates after the webhook was stored", c.n, c.rate*100),
		legend: []string{
			"requests = every API call of the apply; creates = create requests sent (re-sends included); per webhook = requests / N.",
			"replayed = create answers Sellfern replayed from their Idempotency-Key; deletes = delete requests during the apply.",
			"extra = webhooks on the service beyond the N in state; named = extra webhooks named in a warning's summary.",
			"adopted = SelSup webhooks found in a list after a lost answer and adopted (each named in a warning).",
			"One apply per row (the counts depend on where the faults fall); max_retries = 10, so that a run does not fail by",
			"chance (eleven faults in a row); Terraform's parallelism 10.",
		},
		header: []string{"row", "result", "wall s", "requests", "creates", "per webhook", "replayed", "deletes", "extra", "named", "adopted"},
	}
	for i, row := range []faultsRow{
		{name: "Sellfern, keys honoured", service: "sellfern"},
		{name: "Sellfern, keys ignored", service: "sellfern", ignore: true},
		{name: "SelSup (no keys)", service: "selsup"},
	} {
		progress("under faults: %s, apply of %d webhooks", row.name, c.n)
		r, err := faultsApply(ctx, b, c, row, int64(100+i))
		if err != nil {
			return section{}, err
		}
		s.rows = append(s.rows, r.cells(row, c.n))
		s.checks = append(s.checks, r.targets(row, c.n)...)
	}
	return s, nil
}

// faultsResult is what one row's apply did.
type faultsResult struct {
	err                      error
	wall                     time.Duration
	api                      mockserver.Stats
	inState, onServer        int
	extra, named             []string
	adopted, adoptionsNamed  int
	issued                   int
	replayed, deletes, sends int
}

func faultsApply(ctx context.Context, b *bench, c faultsCase, row faultsRow, seed int64) (faultsResult, error) {
	mock, err := b.newMock(seed)
	if err != nil {
		return faultsResult{}, err
	}
	defer mock.Close()
	mock.SetIgnoreIdempotencyKeys(row.ignore)
	head := mockServices(mock).Config("max_retries = 10")
	resource := fmt.Sprintf(`
resource "sellfern_webhook" "faulty" {
  provider = webhooks
  count    = %d
  url      = "https://hooks.example.com/faults/${count.index}"
  events   = ["order.created"]
}
`, c.n)
	if row.service == "selsup" {
		resource = fmt.Sprintf(`
resource "selsup_webhook" "faulty" {
  provider = webhooks
  count    = %d
  name     = "сбой ${count.index}"
  url      = "https://hooks.example.com/faults/${count.index}"
  types    = ["ORDER"]
}
`, c.n)
	}
	ws, err := b.workspace("faults-"+strings.NewReplacer(" ", "-", ",", "", "(", "", ")", "").Replace(row.name), head+resource, mock)
	if err != nil {
		return faultsResult{}, err
	}
	if _, err := ws.terraform(ctx, initArgs...); err != nil {
		return faultsResult{}, err
	}
	mock.SetFaults(mockserver.FaultOptions{Rate: c.rate, AfterCommitRatio: 0.5,
		Kinds: []mockserver.FaultKind{mockserver.Fault503, mockserver.FaultDrop}})
	start := time.Now()
	_, out, err := ws.terraformOutput(ctx, applyArgs...)
	r := faultsResult{err: err, wall: time.Since(start), api: mock.Stats()}
	mock.SetFaults(mockserver.FaultOptions{})
	if err != nil {
		out = err.Error()
	}
	summaries := warningSummaries(out)
	ids, err := stateIDs(ctx, ws, row.service+"_webhook")
	if err != nil {
		return faultsResult{}, err
	}
	r.inState = len(ids)
	if row.service == "selsup" {
		r.onServer = len(mock.SelSupWebhooks())
		r.adopted = r.api.AfterCommitByRoute["selsup.create"]
		for _, s := range summaries {
			if strings.Contains(s, "adopted after its create's answer was lost") {
				r.adoptionsNamed++
			}
		}
	} else {
		for _, w := range mock.SellfernWebhooks() {
			r.onServer++
			if ids[w.ID] {
				continue
			}
			r.extra = append(r.extra, w.ID)
			for _, s := range summaries {
				if strings.Contains(s, w.ID) {
					r.named = append(r.named, w.ID)
					break
				}
			}
		}
		r.issued = len(mock.IssuedSellfernSecrets())
	}
	r.sends = r.api.Requests[row.service+".create"]
	r.replayed = r.api.Replayed["sellfern.create"]
	r.deletes = r.api.Requests["sellfern.delete"] + r.api.Requests["selsup.delete"]
	return r, nil
}

// stateIDs returns the ids of the managed resources of type typ in a workspace's state.
func stateIDs(ctx context.Context, ws *workspace, typ string) (map[string]bool, error) {
	res, err := ws.tf.Run(ctx, "state", "pull")
	if err != nil {
		return nil, err
	}
	var state struct {
		Resources []struct {
			Mode, Type string
			Instances  []struct {
				Attributes struct{ ID string }
			}
		}
	}
	if err := json.NewDecoder(strings.NewReader(res.Output)).Decode(&state); err != nil {
		return nil, fmt.Errorf("terraform state pull: %w", err)
	}
	ids := map[string]bool{}
	for _, r := range state.Resources {
		if r.Mode == "managed" && r.Type == typ {
			for _, i := range r.Instances {
				ids[i.Attributes.ID] = true
			}
		}
	}
	return ids, nil
}

// warningSummaries returns the first line of every warning in a command's output (-no-color).
func warningSummaries(out string) []string {
	var summaries []string
	for _, line := range strings.Split(out, "\n") {
		if _, s, ok := strings.Cut(line, "Warning: "); ok {
			summaries = append(summaries, s)
		}
	}
	return summaries
}

func (r faultsResult) cells(row faultsRow, n int) []string {
	result := "ok"
	if r.err != nil {
		result = "FAILED"
	}
	replayed, extra, named, adopted := "-", "-", "-", "-"
	if row.service == "sellfern" {
		replayed, extra, named = strconv.Itoa(r.replayed), strconv.Itoa(len(r.extra)), strconv.Itoa(len(r.named))
	} else {
		adopted = strconv.Itoa(r.adopted)
	}
	return []string{row.name, result, fmt.Sprintf("%.1f", r.wall.Seconds()), strconv.Itoa(r.api.Total), strconv.Itoa(r.sends),
		fmt.Sprintf("%.2f", float64(r.api.Total)/float64(n)), replayed, strconv.Itoa(r.deletes), extra, named, adopted}
}

func (r faultsResult) targets(row faultsRow, n int) []check {
	errLine := ""
	if r.err != nil {
		errLine = ": " + firstError(r.err.Error())
	}
	perWebhook := float64(r.api.Total) / float64(n)
	checks := []check{
		{count: true, ok: r.err == nil && r.inState == n, text: fmt.Sprintf("%s: the apply succeeds with %d webhooks in state "+
			"(%d)%s", row.name, n, r.inState, errLine)},
		{count: true, ok: r.deletes == 0, text: fmt.Sprintf("%s: recovery deletes = %d (want 0: nothing is deleted on a guess)",
			row.name, r.deletes)},
		{count: true, ok: perWebhook <= faultsRequestsPerWebhook, text: fmt.Sprintf("%s: requests per created webhook = %.2f "+
			"(want <= %.1f)", row.name, perWebhook, faultsRequestsPerWebhook)},
	}
	switch {
	case row.service == "selsup":
		checks = append(checks, check{count: true, ok: r.adoptionsNamed == r.adopted && r.onServer == n,
			text: fmt.Sprintf("%s: every adopted webhook named in a warning (%d of %d), the service holding %d (%d)",
				row.name, r.adoptionsNamed, r.adopted, n, r.onServer)})
	case row.ignore:
		checks = append(checks, check{count: true, ok: len(r.named) == len(r.extra),
			text: fmt.Sprintf("%s: every webhook no state records named in a warning's summary (%d of %d)", row.name,
				len(r.named), len(r.extra))})
	default:
		checks = append(checks, check{count: true, ok: len(r.extra) == 0 && r.issued == n,
			text: fmt.Sprintf("%s: each webhook made once: extra webhooks = %d (want 0), secrets issued = %d (want %d)",
				row.name, len(r.extra), r.issued, n)})
	}
	return checks
}
