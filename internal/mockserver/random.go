package mockserver

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
)

// lockedRand is the single seeded source of randomness (ids, secrets, faults,
// shuffling). A fixed Options.Seed makes a sequential test reproducible; the
// mutex makes concurrent use safe, since *rand.Rand is not.
type lockedRand struct {
	mu sync.Mutex
	r  *rand.Rand
}

func newLockedRand(seed int64) *lockedRand {
	// PCG wants two words; derive the second so that nearby seeds diverge.
	return &lockedRand{r: rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15))}
}

func (l *lockedRand) float64() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Float64()
}

func (l *lockedRand) intN(n int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.IntN(n)
}

// hex returns n random lowercase hex digits.
func (l *lockedRand) hex(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for b.Len() < n {
		fmt.Fprintf(&b, "%016x", l.r.Uint64())
	}
	return b.String()[:n]
}

// shuffle permutes s in place; callers pass copies, never stored slices.
func shuffle[T any](l *lockedRand, s []T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.r.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
}
