package mockserver

import "time"

// SetDeliveryTimeout changes how long a delivery may take, so that a test of an endpoint that never answers ends
// soon.
func (s *Server) SetDeliveryTimeout(d time.Duration) {
	s.updateConfig(func(c *runtimeConfig) { c.deliveryTimeout = d })
}
