package sellfern

import (
	"slices"
	"testing"
	"time"
)

func TestDeliveryOfTest(t *testing.T) {
	sent := time.Date(2026, 5, 22, 10, 0, 0, 700_000_000, time.UTC)
	ds := []Delivery{
		{ID: "before", CreatedAt: "2026-05-22T09:59:59Z"},
		{ID: "same second", CreatedAt: "2026-05-22T10:00:00Z"},
		{ID: "unreadable", CreatedAt: "yesterday"},
		{ID: "newest", CreatedAt: "2026-05-22T12:00:01+02:00"}, // 10:00:01 UTC
		{ID: "tie, listed later", CreatedAt: "2026-05-22T10:00:01Z"},
	}
	if got := DeliveryOfTest(ds, sent); got == nil || got.ID != "newest" {
		t.Errorf("DeliveryOfTest = %+v, want the newest", got)
	}
	if got := DeliveryOfTest(ds[:3], sent); got == nil || got.ID != "same second" {
		t.Errorf("DeliveryOfTest = %+v, want the one of the same second", got)
	}
	if got := DeliveryOfTest(ds[:1], sent); got != nil {
		t.Errorf("DeliveryOfTest = %+v, want none", got)
	}
}

func TestDeliveryWorked(t *testing.T) {
	for _, tc := range []struct {
		d    Delivery
		want bool
	}{
		{Delivery{StatusCode: 200}, true},
		{Delivery{StatusCode: 204}, true},
		{Delivery{StatusCode: 200, Error: "handler panicked"}, false},
		{Delivery{StatusCode: 301}, false},
		{Delivery{StatusCode: 500, Success: true}, false}, // the undocumented flag is not relied on
		{Delivery{StatusCode: 0, Error: "connection refused"}, false},
	} {
		if got := tc.d.Worked(); got != tc.want {
			t.Errorf("%+v.Worked() = %v, want %v", tc.d, got, tc.want)
		}
	}
}

// Deliveries sort newest first by their parsed times, offsets and fractions included, then by id; a time that
// cannot be read is compared as written.
func TestNewestFirst(t *testing.T) {
	ds := []Delivery{
		{ID: "dl_a", CreatedAt: "2026-05-22T10:00:00Z"},
		{ID: "dl_b", CreatedAt: "2026-05-22T11:30:00+02:00"}, // 09:30 UTC: older, though it sorts later as text
		{ID: "dl_c", CreatedAt: "2026-05-22T10:00:00.5Z"},
		{ID: "dl_d", CreatedAt: "2026-05-22T10:00:00Z"},
	}
	slices.SortStableFunc(ds, NewestFirst)
	var got []string
	for _, d := range ds {
		got = append(got, d.ID)
	}
	if want := []string{"dl_c", "dl_d", "dl_a", "dl_b"}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	if NewestFirst(Delivery{ID: "x", CreatedAt: "b"}, Delivery{ID: "y", CreatedAt: "a"}) >= 0 {
		t.Error("unreadable times are not compared as written")
	}
}
