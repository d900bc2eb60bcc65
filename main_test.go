package main

import (
	"os"
	"testing"
)

// unset removes name from the environment for this test; t.Setenv first records the value to restore.
func unset(t *testing.T, name string) {
	t.Helper()
	t.Setenv(name, "")
	if err := os.Unsetenv(name); err != nil {
		t.Fatal(err)
	}
}

// TestQuietUnlessTerraformShowsLogs: with no TF_LOG, the SDK's and the provider's logging is turned off (Terraform
// would parse every line only to drop it); with TF_LOG or TF_LOG_PROVIDER, nothing changes; a setting made
// explicitly for the SDK or this provider always stands.
func TestQuietUnlessTerraformShowsLogs(t *testing.T) {
	vars := []string{"TF_LOG", "TF_LOG_PROVIDER", "TF_LOG_SDK", "TF_LOG_PROVIDER_WEBHOOKS"}
	for _, c := range []struct {
		name string
		set  map[string]string
		want map[string]string // "" means unset
	}{
		{"nothing set", nil, map[string]string{"TF_LOG_SDK": "off", "TF_LOG_PROVIDER_WEBHOOKS": "off"}},
		{"TF_LOG set", map[string]string{"TF_LOG": "TRACE"}, map[string]string{"TF_LOG_SDK": "", "TF_LOG_PROVIDER_WEBHOOKS": ""}},
		{"TF_LOG_PROVIDER set", map[string]string{"TF_LOG_PROVIDER": "DEBUG"}, map[string]string{"TF_LOG_SDK": "", "TF_LOG_PROVIDER_WEBHOOKS": ""}},
		{"explicit SDK level", map[string]string{"TF_LOG_SDK": "DEBUG"}, map[string]string{"TF_LOG_SDK": "DEBUG", "TF_LOG_PROVIDER_WEBHOOKS": "off"}},
		{"explicit provider level", map[string]string{"TF_LOG_PROVIDER_WEBHOOKS": "TRACE"}, map[string]string{"TF_LOG_SDK": "off", "TF_LOG_PROVIDER_WEBHOOKS": "TRACE"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, v := range vars {
				unset(t, v)
			}
			for k, v := range c.set {
				t.Setenv(k, v)
			}
			quietUnlessTerraformShowsLogs()
			for k, want := range c.want {
				if got := os.Getenv(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}
