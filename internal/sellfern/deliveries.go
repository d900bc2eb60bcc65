package sellfern

import (
	"strings"
	"time"
)

// Worked is Sellfern's documented reading of a delivery: the endpoint answered 2xx and there is no error. A
// delivery's own "success" flag is not documented, so it is not relied on.
func (d Delivery) Worked() bool {
	return d.StatusCode >= 200 && d.StatusCode <= 299 && d.Error == ""
}

// DeliveryOfTest picks the delivery a test call sent at sent made, from the webhook's deliveries: the newest
// created at or after that moment (Sellfern gives times to the second, so the moment is taken to the second too).
// A delivery whose time cannot be read is not a candidate; of two at the same second the first listed wins.
// Sellfern's clock and the caller's may differ: a delivery stamped earlier than the call is then missed, and nil
// says the outcome is unknown rather than guess it from an older delivery.
func DeliveryOfTest(deliveries []Delivery, sent time.Time) *Delivery {
	since := sent.Truncate(time.Second)
	var best *Delivery
	var bestAt time.Time
	for i := range deliveries {
		at, err := time.Parse(time.RFC3339, deliveries[i].CreatedAt)
		if err != nil || at.Before(since) {
			continue
		}
		if best == nil || at.After(bestAt) {
			best, bestAt = &deliveries[i], at
		}
	}
	return best
}

// NewestFirst orders deliveries newest first, then by id, descending. Times are compared parsed, as OldestFirst
// does for webhooks; a delivery's time is not checked, so where either cannot be read the written forms are
// compared instead.
func NewestFirst(a, b Delivery) int {
	at, errA := time.Parse(time.RFC3339, a.CreatedAt)
	bt, errB := time.Parse(time.RFC3339, b.CreatedAt)
	c := strings.Compare(b.CreatedAt, a.CreatedAt)
	if errA == nil && errB == nil {
		c = bt.Compare(at)
	}
	if c != 0 {
		return c
	}
	return strings.Compare(b.ID, a.ID)
}
