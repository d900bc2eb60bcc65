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
}

// Config is a configuration's head: the provider required as "webhooks" and its provider block with both
// services, followed by extra (more provider settings, or "").
func (s Services) Config(extra string) string {
	return RequiredProviders("webhooks") + fmt.Sprintf(`
provider "webhooks" {
  sellfern = {
    token    = %q
    base_url = %q
  }
  selsup = {
    api_key  = %q
    base_url = %q
  }
  %s
}
`, s.SellfernToken, s.SellfernURL, s.SelSupKey, s.SelSupURL, extra)
}
