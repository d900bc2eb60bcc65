package provider

import (
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/seed/terraform-provider-webhooks/internal/sellfern"
	"github.com/seed/terraform-provider-webhooks/internal/selsup"
)

// providerData is what Configure hands to resources and data sources: one client per service, or the reason
// there is none. The reason is only reported when a resource of that service is used, so that a configuration
// using one service never needs the other's credentials.
type providerData struct {
	sellfern serviceClient[*sellfern.Client]
	selsup   serviceClient[*selsup.Client]
}

type serviceClient[C any] struct {
	client C
	err    diag.Diagnostic
}

func (s serviceClient[C]) get() (C, diag.Diagnostics) {
	if s.err != nil {
		return s.client, diag.Diagnostics{s.err}
	}
	return s.client, nil
}

type clientSettings struct {
	paces          *sellfern.Paces
	userAgent      string
	maxRetries     int
	requestTimeout time.Duration
}

// settings is what either service's client gets besides its credential: the same for both services, so the
// clients share the type.
func (cs clientSettings) settings(base string, perSecond float64) sellfern.Settings {
	return sellfern.Settings{BaseURL: base, UserAgent: cs.userAgent, MaxRetries: cs.maxRetries,
		RequestTimeout: cs.requestTimeout, RequestsPerSecond: perSecond, Paces: cs.paces}
}

func (cs clientSettings) sellfern(token, baseURL setting, perSecond float64) serviceClient[*sellfern.Client] {
	return newServiceClient("Sellfern", "token", token, baseURL, func(tok, base string) (*sellfern.Client, error) {
		return sellfern.New(sellfern.Config{Token: tok, Settings: cs.settings(base, perSecond)})
	})
}

func (cs clientSettings) selsup(apiKey, baseURL setting, perSecond float64) serviceClient[*selsup.Client] {
	return newServiceClient("SelSup", "API key", apiKey, baseURL, func(key, base string) (*selsup.Client, error) {
		return selsup.New(selsup.Config{APIKey: key, Settings: cs.settings(base, perSecond)})
	})
}

// newServiceClient resolves a service's credential and base URL and builds its client, or records why it cannot.
func newServiceClient[C any](service, what string, credential, baseURL setting, build func(credential, base string) (C, error)) serviceClient[C] {
	var out serviceClient[C]
	cred, base, errDiag := resolveCredentials(service, what, credential, baseURL)
	if errDiag != nil {
		out.err = errDiag
		return out
	}
	c, err := build(cred, base)
	if err != nil {
		out.err = invalidBaseURL(baseURL, err)
		return out
	}
	out.client = c
	return out
}

func resolveCredentials(service, what string, credential, baseURL setting) (string, string, diag.Diagnostic) {
	cred, credUnknown := credential.resolve()
	base, baseUnknown := baseURL.resolve()
	if credUnknown || baseUnknown {
		return "", "", diag.NewErrorDiagnostic(
			fmt.Sprintf("%s settings not known yet", service),
			fmt.Sprintf("The provider's %s or %s depends on a value that is only known after apply, so %s "+
				"resources cannot be planned yet. Use values known at plan time, or apply the resources they "+
				"depend on first (terraform apply -target=...).", credential.path, baseURL.path, service))
	}
	if cred == "" {
		return "", "", diag.NewErrorDiagnostic(
			fmt.Sprintf("Missing %s %s", service, what),
			fmt.Sprintf("This configuration uses %s resources, data sources or actions, so the provider needs a %s %s. "+
				"Set %s in the provider \"webhooks\" block, or the %s environment variable.",
				service, service, what, credential.path, credential.env))
	}
	return cred, base, nil
}

func invalidBaseURL(baseURL setting, err error) diag.Diagnostic {
	return diag.NewErrorDiagnostic("Invalid "+baseURL.path,
		fmt.Sprintf("%s (from %s in the provider block or the %s environment variable).", capitalize(err.Error()), baseURL.path, baseURL.env))
}
