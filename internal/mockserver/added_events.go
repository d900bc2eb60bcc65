package mockserver

import (
	"maps"
	"slices"
)

// A service may add events after its documents were written (Sellfern's V1 guide already names item and catalog
// workflows beyond the eight its v2 pages list). By default the mock knows only the documented ones and refuses
// any other with the service's validation error, as a service without new events would; these switches make it
// a service that has added some.

// SetSellfernAddedEvents makes Sellfern accept these events besides the documented eight (none: only those).
func (s *Server) SetSellfernAddedEvents(events ...string) { s.setAdded("sellfern", events) }

// SetSelSupAddedTypes makes SelSup accept these types besides the documented four (none: only those).
func (s *Server) SetSelSupAddedTypes(types ...string) { s.setAdded("selsup", types) }

func (s *Server) setAdded(service string, names []string) {
	s.updateConfig(func(c *runtimeConfig) {
		c.added = maps.Clone(c.added)
		if c.added == nil {
			c.added = map[string][]string{}
		}
		c.added[service] = slices.Clone(names)
	})
}

// documentedEvents are each service's documented events (SelSup's types).
var documentedEvents = map[string][]string{"sellfern": sellfernEvents, "selsup": selsupTypes}

// knownEvents is what the service accepts: the documented events, then the ones added to it.
func (c runtimeConfig) knownEvents(service string) []string {
	return append(slices.Clone(documentedEvents[service]), c.added[service]...)
}
