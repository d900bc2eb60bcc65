package apitest

import (
	"testing"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

// StartMock starts the mock server on a free loopback port for one test and closes it when the test ends.
func StartMock(t testing.TB, opts mockserver.Options) *mockserver.Server {
	t.Helper()
	m := mockserver.New(opts)
	if err := m.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("starting the mock server: %v", err)
	}
	t.Cleanup(m.Close)
	return m
}
