package mockserver

import (
	"slices"
	"sync"
)

// The journal is the order in which the API changed what the services hold, so that a test can assert what the
// counters cannot: that a webhook was deleted only after its replacement existed, or that a test event reached the
// new webhook before the old one went away. Only requests that succeeded are entered, each before its answer is
// written, so an entry always precedes anything a client does in response to it; so is each delivery of an emitted
// event (EmitSellfernEvent), once it is made. A request whose answer a fault dropped after the work was done
// (FaultOptions.AfterCommitRatio) is entered: the service did the work. What tests store or delete directly
// (SellfernPut, SellfernDelete, SelSupPut, SelSupDelete) and SetTwin's webhooks stand for changes made by someone
// else, and are not entered.

// Journal operations.
const (
	JournalCreate = "create"
	JournalDelete = "delete"
	JournalTest   = "test" // a Sellfern test event, delivered (whatever the endpoint answered)
	// JournalDeliver is an emitted Sellfern event, delivered to the webhook (whatever the endpoint answered).
	JournalDeliver = "deliver"
)

// JournalEntry is one change the API made.
type JournalEntry struct {
	Seq     int    // 1 for the first entry, then one more for each
	Service string // "sellfern" or "selsup"
	Op      string // JournalCreate, JournalDelete, JournalTest or JournalDeliver
	ID      string // the webhook's id (SelSup's integer in decimal)
	URL     string // the webhook's URL, as stored
}

// journal is the Server's record; its zero value is empty and ready.
type journal struct {
	mu      sync.Mutex
	entries []JournalEntry
}

func (j *journal) record(service, op, id, url string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = append(j.entries, JournalEntry{Seq: len(j.entries) + 1, Service: service, Op: op, ID: id, URL: url})
}

// Journal returns every change the API made so far, oldest first.
func (s *Server) Journal() []JournalEntry {
	s.journal.mu.Lock()
	defer s.journal.mu.Unlock()
	return slices.Clone(s.journal.entries)
}

// JournalIndex returns the position in entries of the first entry for service, op and id, or -1.
func JournalIndex(entries []JournalEntry, service, op, id string) int {
	return slices.IndexFunc(entries, func(e JournalEntry) bool {
		return e.Service == service && e.Op == op && e.ID == id
	})
}
