package provider

import (
	"testing"
	"time"
)

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{30 * time.Second: "30s", 10 * time.Minute: "10m", time.Hour: "1h", 90 * time.Second: "1m30s", time.Second: "1s", 0: "0s", 2*time.Hour + 3*time.Minute: "2h3m"} {
		if got := shortDuration(d); got != want {
			t.Errorf("%v: %q want %q", d, got, want)
		}
	}
}
