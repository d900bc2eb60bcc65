package tfrun

import "fmt"

// RequiredProviders is a terraform block requiring this provider under localName, as a user declares it.
func RequiredProviders(localName string) string {
	return fmt.Sprintf("terraform {\n  required_providers {\n    %s = {\n      source = \"seed/webhooks\"\n    }\n  }\n}\n", localName)
}

// Services are what a provider block gives each service: its credential and its base URL.
type Services struct {
	SellfernToken, SellfernURL string
	SelSupKey, SelSupURL       string
	RequestsPerSecond          float64 // each service's requests_per_second; 0 leaves it unset
}

// Config is a configuration's head: the provider required as "webhooks" and its provider block with both
// services, followed by extra (more provider settings, or "").
func (s Services) Config(extra string) string {
	perSecond := ""
	if s.RequestsPerSecond > 0 {
		perSecond = fmt.Sprintf("\n    requests_per_second = %g", s.RequestsPerSecond)
	}
	return RequiredProviders("webhooks") + fmt.Sprintf(`
provider "webhooks" {
  sellfern = {
    token    = %q
    base_url = %q%s
  }
  selsup = {
    api_key  = %q
    base_url = %q%s
  }
  %s
}
`, s.SellfernToken, s.SellfernURL, perSecond, s.SelSupKey, s.SelSupURL, perSecond, extra)
}
