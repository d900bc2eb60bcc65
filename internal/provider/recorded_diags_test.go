package provider

import (
	"context"
	"strings"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// diagRecorder keeps every diagnostic the provider returned from its applies and reads, so that a test driven by
// plugin-testing, which shows only errors, can check the warnings a user would read.
type diagRecorder struct {
	mu    sync.Mutex
	diags []*tfprotov6.Diagnostic
}

func (r *diagRecorder) add(diags []*tfprotov6.Diagnostic) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.diags = append(r.diags, diags...)
}

// all returns the recorded diagnostics.
func (r *diagRecorder) all() []*tfprotov6.Diagnostic {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*tfprotov6.Diagnostic(nil), r.diags...)
}

// warnings returns the summaries of the recorded warnings.
func (r *diagRecorder) warnings() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, d := range r.diags {
		if d.Severity == tfprotov6.DiagnosticSeverityWarning {
			out = append(out, d.Summary)
		}
	}
	return out
}

// mentions reports whether some recorded diagnostic of the given severity names text in its summary (or, with
// inDetail, in its detail).
func (r *diagRecorder) mentions(severity tfprotov6.DiagnosticSeverity, text string, inDetail bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range r.diags {
		if d.Severity == severity && (strings.Contains(d.Summary, text) || (inDetail && strings.Contains(d.Detail, text))) {
			return true
		}
	}
	return false
}

// recordingServer is the provider's server with its resources' diagnostics recorded. It serves resources and data
// sources only: a test of list resources or actions uses testAccFactories.
type recordingServer struct {
	tfprotov6.ProviderServer
	rec *diagRecorder
}

func (s recordingServer) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	resp, err := s.ProviderServer.ApplyResourceChange(ctx, req)
	if resp != nil {
		s.rec.add(resp.Diagnostics)
	}
	return resp, err
}

func (s recordingServer) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	resp, err := s.ProviderServer.ReadResource(ctx, req)
	if resp != nil {
		s.rec.add(resp.Diagnostics)
	}
	return resp, err
}

// recordingFactories are testAccFactories whose resources' diagnostics go to the returned recorder.
func recordingFactories() (map[string]func() (tfprotov6.ProviderServer, error), *diagRecorder) {
	rec := &diagRecorder{}
	serve := providerserver.NewProtocol6WithError(New("test")())
	return map[string]func() (tfprotov6.ProviderServer, error){
		"webhooks": func() (tfprotov6.ProviderServer, error) {
			s, err := serve()
			if err != nil {
				return nil, err
			}
			return recordingServer{ProviderServer: s, rec: rec}, nil
		},
	}, rec
}
