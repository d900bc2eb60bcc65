package sellfern

import (
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
