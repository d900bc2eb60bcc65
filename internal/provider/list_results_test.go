package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

// queryWant is one result a list block must return: the webhook's id and the name `terraform query` shows.
type queryWant struct{ id, displayName string }

// expectListed checks that the list block at address (like "sellfern_webhook.all") returned exactly want, in
// that order: each result with its identity and its display name, and nothing else.
func expectListed(address string, want ...queryWant) []querycheck.QueryResultCheck {
	checks := []querycheck.QueryResultCheck{
		querycheck.ExpectLength(address, len(want)),
		inOrder{address: address, want: want},
	}
	for _, w := range want {
		identity := map[string]knownvalue.Check{"id": knownvalue.StringExact(w.id)}
		checks = append(checks,
			querycheck.ExpectIdentity(address, identity),
			querycheck.ExpectResourceDisplayName(address, queryfilter.ByResourceIdentity(identity), knownvalue.StringExact(w.displayName)),
		)
	}
	return checks
}

// inOrder checks the order of a list block's results, which no querycheck does.
type inOrder struct {
	address string
	want    []queryWant
}

func (c inOrder) CheckQuery(_ context.Context, req querycheck.CheckQueryRequest, resp *querycheck.CheckQueryResponse) {
	var got, want []string
	for _, r := range resultsOf(req, c.address) {
		got = append(got, fmt.Sprintf("%v %q", r.Identity["id"], r.DisplayName))
	}
	for _, w := range c.want {
		want = append(want, fmt.Sprintf("%s %q", w.id, w.displayName))
	}
	if !slices.Equal(got, want) {
		resp.Error = fmt.Errorf("%s returned, in this order:\n  %s\nwant:\n  %s", c.address,
			strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// withoutResource checks that no result of a list block carries a resource object (include_resource not set).
type withoutResource struct{ address string }

func (c withoutResource) CheckQuery(_ context.Context, req querycheck.CheckQueryRequest, resp *querycheck.CheckQueryResponse) {
	results := resultsOf(req, c.address)
	if len(results) == 0 {
		resp.Error = fmt.Errorf("%s returned nothing: the check would prove nothing", c.address)
	}
	for _, r := range results {
		if r.ResourceObject != nil {
			resp.Error = fmt.Errorf("%s: result %q carries a resource object, but include_resource was not set", c.address, r.DisplayName)
		}
	}
}

func resultsOf(req querycheck.CheckQueryRequest, address string) []tfjson.ListResourceFoundData {
	var out []tfjson.ListResourceFoundData
	for _, r := range req.Query {
		if strings.TrimPrefix(r.Address, "list.") == address {
			out = append(out, r)
		}
	}
	return out
}

// listCalls counts the list calls a query step makes to the mock: PreConfig records the count, and the check
// (among the step's query checks) demands that exactly want were made since.
type listCalls struct {
	m      *mockserver.Server
	route  string
	want   int
	before int
}

func (c *listCalls) start() { c.before = c.m.Count(c.route) }

func (c *listCalls) check() querycheck.QueryResultCheck {
	return queryCheckFunc(func(querycheck.CheckQueryRequest) error {
		if got := c.m.Count(c.route) - c.before; got != c.want {
			return fmt.Errorf("the query made %d %s calls, want %d", got, c.route, c.want)
		}
		return nil
	})
}

// queryCheckFunc adapts a function into a querycheck.QueryResultCheck.
type queryCheckFunc func(querycheck.CheckQueryRequest) error

func (f queryCheckFunc) CheckQuery(_ context.Context, req querycheck.CheckQueryRequest, resp *querycheck.CheckQueryResponse) {
	resp.Error = f(req)
}
