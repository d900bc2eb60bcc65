package main

// The query cost. `terraform query` finds an account's webhooks through the list resources; every list block of a
// service reads the one list the provider shares per service, so a query of N webhooks should cost one list call
// per service whatever N. Query needs Terraform 1.14, so this table runs the newest Terraform the tests run.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/tfrun"
)

// queryN is the number of webhooks of each service the query finds.
const queryN = 1000

func queryCost(ctx context.Context, b *bench) (section, error) {
	s := section{
		title: fmt.Sprintf("Query cost: terraform query over %d webhooks of each service", queryN),
		legend: []string{
			"s = wall-clock seconds of `terraform query` with one list block per service, the median of the rounds.",
			"results = the webhooks the query printed for the service; lists = list calls to the service, the largest over the rounds.",
		},
		header: []string{"service", "N", "query s", "results", "lists"},
	}
	cli, err := tfrun.TerraformNewest.Path(ctx, os.Stderr)
	if err != nil {
		return section{}, err
	}
	mock, err := b.newMock(queryN)
	if err != nil {
		return section{}, err
	}
	defer mock.Close()
	for i := range queryN {
		url := fmt.Sprintf("https://hooks.example.com/query/%d", i)
		mock.SellfernPut(mockserver.SellfernWebhook{URL: url, Events: []string{"order.created"}, Enabled: i%10 != 0})
		mock.SelSupPut(mockserver.SelSupWebhook{Name: fmt.Sprintf("запрос %d", i), URL: url, Types: []string{"ORDER"}})
	}
	ws, err := b.workspace("query", mockServices(mock).Config(""), mock)
	if err != nil {
		return section{}, err
	}
	ws.tf.Terraform = cli
	// A list block shows 100 results unless told otherwise.
	query := fmt.Sprintf(`list "sellfern_webhook" "all" {
  provider = webhooks
  limit    = %[1]d
}

list "selsup_webhook" "all" {
  provider = webhooks
  limit    = %[1]d
}
`, queryN)
	if err := os.WriteFile(filepath.Join(ws.tf.ConfigDir, "all.tfquery.hcl"), []byte(query), 0o644); err != nil {
		return section{}, err
	}
	if _, err := ws.terraform(ctx, initArgs...); err != nil {
		return section{}, err
	}

	var rounds []cost
	results := map[string]int{}
	for round := range b.rounds {
		progress("query N=%d: round %d/%d", queryN, round+1, b.rounds)
		c, out, err := ws.terraformOutput(ctx, "query", "-no-color")
		if err != nil {
			return section{}, err
		}
		rounds = append(rounds, c)
		for _, service := range []string{"sellfern", "selsup"} {
			results[service] = strings.Count(out, "list."+service+"_webhook.all ")
		}
	}
	for _, service := range []string{"sellfern", "selsup"} {
		lists := 0
		for _, r := range rounds {
			lists = max(lists, r.api.Requests[service+".list"])
		}
		s.rows = append(s.rows, []string{service, strconv.Itoa(queryN), fmt.Sprintf("%.2f", median(rounds, wallSeconds)),
			strconv.Itoa(results[service]), strconv.Itoa(lists)})
		s.checks = append(s.checks,
			check{count: true, ok: lists == 1, text: fmt.Sprintf("%s N=%d: list calls per query = %d (want 1, whatever N)", service, queryN, lists)},
			check{count: true, ok: results[service] == queryN, text: fmt.Sprintf("%s N=%d: results = %d (want every webhook, %d)", service, queryN, results[service], queryN)},
		)
	}
	return s, nil
}
