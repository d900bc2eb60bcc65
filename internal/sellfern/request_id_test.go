package sellfern

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-log/tflogtest"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/transport"
)

// TestRequestIDsInTheDebugLog: the debug line of every call carries the request id of Sellfern's answer
// (meta.request_id), a refused call's too, so that a log can be matched with what Sellfern's support sees.
func TestRequestIDsInTheDebugLog(t *testing.T) {
	m := startedMock(t, mockserver.Options{Seed: 5})
	var logs bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &logs)
	if _, err := newClient(t, m.SellfernBaseURL(), testToken, transport.DefaultMaxRetries).CreateWebhook(ctx,
		CreateRequest{URL: "https://h.example.com/log", Events: []string{"order.created"}}); err != nil {
		t.Fatal(err)
	}
	_, err := newClient(t, m.SellfernBaseURL(), noScopeToken, transport.DefaultMaxRetries).ListWebhooks(ctx)
	var ae *APIError
	if !IsAuth(err) || !errors.As(err, &ae) || !regexp.MustCompile(`^req_[0-9a-f]{16}$`).MatchString(ae.RequestID) {
		t.Fatalf("the 403 carries no request id: %v", err)
	}
	entries, err := tflogtest.MultilineJSONDecode(&logs)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[any]bool{}
	calls := 0
	for _, e := range entries {
		if e["@message"] != "API request" {
			continue
		}
		calls++
		if id, ok := e["request_id"].(string); !ok || !regexp.MustCompile(`^req_[0-9a-f]{16}$`).MatchString(id) || ids[id] {
			t.Errorf("the debug line of %v %v has the request id %v", e["method"], e["path"], e["request_id"])
		}
		ids[e["request_id"]] = true
	}
	if calls < 3 || !ids[ae.RequestID] || bytes.Contains(logs.Bytes(), []byte(testToken)) {
		t.Fatalf("%d debug lines with the ids %v; want one per call (the lists and the create), the 403's %s among them, and no token", calls, ids, ae.RequestID)
	}
}
