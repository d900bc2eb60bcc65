package provider

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
)

// privateMap is a resource's private state for a unit test.
type privateMap map[string][]byte

func (p privateMap) GetKey(_ context.Context, key string) ([]byte, diag.Diagnostics) {
	return p[key], nil
}

func (p privateMap) SetKey(_ context.Context, key string, value []byte) diag.Diagnostics {
	if len(value) == 0 {
		delete(p, key)
	} else {
		p[key] = value
	}
	return nil
}

// Every warning that names webhooks names them in its summary, which Terraform never folds into another's.
func TestWarningsNameEveryIDInTheirSummary(t *testing.T) {
	var diags diag.Diagnostics
	warnIdentical(&diags, sellfernWords, "https://h.example.com", "wh_new", []string{"wh_1", "wh_2"})
	warnAppeared(&diags, sellfernWords, "https://h.example.com", "wh_new", "terraform-webhooks-create-k", []string{"wh_3", "wh_4"})
	warnAppeared(&diags, selsupWords, "https://h.example.com", "1001", "", []string{"1002"})
	warnAdopted(&diags, "https://h.example.com", "1003")
	warnUnchecked(&diags, selsupWords, "1004", errors.New("503"))
	warnArrival(&diags, sellfernWords, "wh_new", "wh_5")
	want := [][]string{{"wh_new", "wh_1", "wh_2"}, {"wh_3", "wh_new"}, {"wh_4", "wh_new"}, {"1002", "1001"}, {"1003"}, {"1004"},
		{"wh_5", "wh_new"}}
	if len(diags) != len(want) {
		t.Fatalf("%d warnings, want %d: %v", len(diags), len(want), diags)
	}
	seen := map[string]bool{}
	for i, d := range diags {
		for _, id := range want[i] {
			if !strings.Contains(d.Summary(), id) {
				t.Errorf("warning %q does not name %s in its summary", d.Summary(), id)
			}
		}
		if seen[d.Summary()] {
			t.Errorf("two warnings share the summary %q", d.Summary())
		}
		seen[d.Summary()] = true
	}
	// The key goes with a Sellfern create's warning; SelSup's say it takes none.
	if !strings.Contains(diags[1].Detail(), "Idempotency-Key, terraform-webhooks-create-k") ||
		!strings.Contains(diags[3].Detail(), "SelSup takes no idempotency key") {
		t.Errorf("details: %q / %q", diags[1].Detail(), diags[3].Detail())
	}
}

// A create in doubt asks the reads after it to name an identical webhook that appears later, once each, for a day.
func TestCheckWatch(t *testing.T) {
	ctx := context.Background()
	private := privateMap{}
	if d := watchCreate(ctx, private, []string{"wh_own", "wh_there"}); d.HasError() {
		t.Fatal(d)
	}
	identical := []string{"wh_there"}
	read := func() diag.Diagnostics {
		var diags diag.Diagnostics
		checkWatch(ctx, private, private, &diags, sellfernWords, "wh_own", func() ([]string, error) { return identical, nil })
		return diags
	}
	if d := read(); len(d) != 0 {
		t.Fatalf("a read that finds only what the create knew warned: %v", d)
	}
	identical = append(identical, "wh_late")
	d := read()
	if len(d) != 1 || d[0].Summary() != "Sellfern webhook wh_late appeared beside wh_own after its create" {
		t.Fatalf("warnings %v, want wh_late named", d)
	}
	if d := read(); len(d) != 0 {
		t.Fatalf("a webhook named twice: %v", d)
	}
	// A read that cannot list says nothing here.
	var diags diag.Diagnostics
	checkWatch(ctx, private, private, &diags, sellfernWords, "wh_own", func() ([]string, error) { return nil, errors.New("503") })
	if len(diags) != 0 {
		t.Fatalf("a failed list warned: %v", diags)
	}
	// A day later the reads stop looking, and forget the watch.
	var w createWatch
	if err := json.Unmarshal(private[createWatchKey], &w); err != nil {
		t.Fatal(err)
	}
	w.At = time.Now().Add(-createWatchLife - time.Minute)
	private[createWatchKey], _ = json.Marshal(w)
	identical = append(identical, "wh_much_later")
	if d := read(); len(d) != 0 || private[createWatchKey] != nil {
		t.Fatalf("a watch past its day warned (%v) or stayed (%s)", d, private[createWatchKey])
	}
}
