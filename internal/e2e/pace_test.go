package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed/terraform-provider-webhooks/internal/apitest"
	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/tfrun"
)

// TestAccTwoBlocksShareOneCeiling: Terraform starts a provider process for each provider block, so two blocks
// that reach one account (the default and an alias, with requests_per_second 2 and 5) are two processes. They
// share the account's pace through a file in the user's cache directory, and the lower ceiling holds for both: a
// service that admits 2.5 requests a second (a bucket of one) refuses none of their calls. The file holds no
// credential. (At their own ceilings the two would send 7 a second; each alone at 2,
// 4 a second.)
func TestAccTwoBlocksShareOneCeiling(t *testing.T) {
	requireAcc(t)
	m := apitest.StartMock(t, mockserver.Options{Seed: 27, RateLimit: mockserver.RateLimit{PerSecond: 2.5, Burst: 1}})
	ws := workspaceRunner{t: t, ws: workspace(t, m)}
	cache := ""
	for _, kv := range ws.ws.Env {
		if v, ok := strings.CutPrefix(kv, "XDG_CACHE_HOME="); ok {
			cache = v
		}
	}
	block := func(alias string, perSecond int) string {
		return fmt.Sprintf("\nprovider \"webhooks\" {\n  %s\n  sellfern = { requests_per_second = %d }\n}\n", alias, perSecond)
	}
	config := tfrun.RequiredProviders("webhooks") + block("", 2) + block(`alias = "second"`, 5) + `
resource "sellfern_webhook" "first" {
  provider = webhooks
  count    = 5
  url      = "https://hooks.example.com/first/${count.index}"
  events   = ["order.created"]
}

resource "sellfern_webhook" "second" {
  provider = webhooks.second
  count    = 5
  url      = "https://hooks.example.com/second/${count.index}"
  events   = ["order.created"]
}
`
	if err := os.WriteFile(filepath.Join(ws.ws.ConfigDir, "main.tf"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	ws.run(0, "init")
	m.ResetStats()
	ws.run(0, "apply", "-auto-approve")
	applied := m.Stats()
	if n := len(m.SellfernWebhooks()); n != 10 || applied.Refused() != 0 {
		t.Fatalf("the apply left %d webhooks (want 10), with %d requests refused (want 0): the two blocks did not "+
			"keep to the lower ceiling together", n, applied.Refused())
	}
	// The destroy is another run, with its own ceiling: its first call may come less than a turn after the
	// apply's last one.
	m.ResetStats()
	ws.run(0, "destroy", "-auto-approve")
	destroyed := m.Stats()
	t.Logf("RATE LIMIT FIGURES (two blocks, ceilings 2 and 5, a service admitting 2.5/s): apply %d requests, %d "+
		"refused; destroy %d requests, %d refused", applied.Total, applied.Refused(), destroyed.Total, destroyed.Refused())
	if n := len(m.SellfernWebhooks()); n != 0 || destroyed.Refused() > 1 {
		t.Fatalf("the destroy left %d webhooks, with %d requests refused (want at most its first): the two blocks "+
			"did not keep to the lower ceiling together", n, destroyed.Refused())
	}
	files, _ := filepath.Glob(filepath.Join(cache, "terraform-provider-webhooks", "pace", "*.json"))
	if len(files) != 1 {
		t.Fatalf("%d pace files in %s, want one for the one account", len(files), cache)
	}
	data, _ := os.ReadFile(files[0])
	if strings.Contains(string(data), mockserver.DemoSellfernToken) {
		t.Fatalf("the pace file holds the token: %s", data)
	}
}
