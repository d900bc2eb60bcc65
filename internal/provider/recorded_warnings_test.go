package provider

import (
	"context"
	"fmt"
	"iter"
	"regexp"
	"strings"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	tfjson "github.com/hashicorp/terraform-json"
)

// terraform-plugin-testing checks errors, not warnings. warningRecorder serves the provider as testAccFactories
// does, to a real CLI, and keeps every warning the provider hands Terraform (which Terraform prints as
// "Warning: <summary>" and the detail), so that a test can check what the user is warned of.
type warningRecorder struct {
	mu       sync.Mutex
	warnings []string // "summary\n\ndetail"
	errors   []string // the same, of the errors (which plugin-testing shows only as the CLI's output)
}

// servedProvider is what the framework's server offers and the CLI may call: resources, data sources, list
// resources and actions.
type servedProvider interface {
	tfprotov6.ProviderServer
	tfprotov6.ListResourceServer
	tfprotov6.ActionServer
}

// factories serves the provider under the local name "webhooks", recording its warnings.
func (r *warningRecorder) factories() map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"webhooks": func() (tfprotov6.ProviderServer, error) {
			served, err := providerserver.NewProtocol6WithError(New("test")())()
			if err != nil {
				return nil, err
			}
			full, ok := served.(servedProvider)
			if !ok {
				return nil, fmt.Errorf("the provider server (%T) does not serve list resources and actions", served)
			}
			return &recordingServer{servedProvider: full, rec: r}, nil
		},
	}
}

func (r *warningRecorder) record(diags []*tfprotov6.Diagnostic) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range diags {
		switch {
		case d != nil && d.Severity == tfprotov6.DiagnosticSeverityWarning:
			r.warnings = append(r.warnings, d.Summary+"\n\n"+d.Detail)
		case d != nil && d.Severity == tfprotov6.DiagnosticSeverityError:
			r.errors = append(r.errors, d.Summary+"\n\n"+d.Detail)
		}
	}
}

// take returns the warnings recorded so far, and forgets them.
func (r *warningRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.warnings
	r.warnings = nil
	return out
}

// matching reports whether a recorded warning (not forgotten) matches want.
func (r *warningRecorder) matching(want *regexp.Regexp) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, w := range r.warnings {
		if want.MatchString(w) {
			return nil
		}
	}
	return fmt.Errorf("no warning matches %s; the provider warned:\n%s", want, strings.Join(r.warnings, "\n----\n"))
}

// expect is a state check that a warning with every fragment (as errorContaining matches them) was given since the
// last check, and forgets the warnings given so far.
func (r *warningRecorder) expect(fragments ...string) statecheck.StateCheck {
	return stateCheckFunc(func(*tfjson.State) error {
		defer r.take()
		return r.matching(errorContaining(fragments...))
	})
}

// expectNone is a state check that no warning was given since the last check.
func (r *warningRecorder) expectNone() statecheck.StateCheck {
	return stateCheckFunc(func(*tfjson.State) error {
		if got := r.take(); len(got) > 0 {
			return fmt.Errorf("the provider warned:\n%s", strings.Join(got, "\n----\n"))
		}
		return nil
	})
}

// recordingServer is the provider's server with every warning of its answers recorded.
type recordingServer struct {
	servedProvider
	rec *warningRecorder
}

func (s *recordingServer) ValidateResourceConfig(ctx context.Context, req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	resp, err := s.servedProvider.ValidateResourceConfig(ctx, req)
	if resp != nil {
		s.rec.record(resp.Diagnostics)
	}
	return resp, err
}

func (s *recordingServer) ValidateDataResourceConfig(ctx context.Context, req *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	resp, err := s.servedProvider.ValidateDataResourceConfig(ctx, req)
	if resp != nil {
		s.rec.record(resp.Diagnostics)
	}
	return resp, err
}

func (s *recordingServer) ValidateListResourceConfig(ctx context.Context, req *tfprotov6.ValidateListResourceConfigRequest) (*tfprotov6.ValidateListResourceConfigResponse, error) {
	resp, err := s.servedProvider.ValidateListResourceConfig(ctx, req)
	if resp != nil {
		s.rec.record(resp.Diagnostics)
	}
	return resp, err
}

func (s *recordingServer) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	resp, err := s.servedProvider.PlanResourceChange(ctx, req)
	if resp != nil {
		s.rec.record(resp.Diagnostics)
	}
	return resp, err
}

func (s *recordingServer) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	resp, err := s.servedProvider.ApplyResourceChange(ctx, req)
	if resp != nil {
		s.rec.record(resp.Diagnostics)
	}
	return resp, err
}

func (s *recordingServer) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	resp, err := s.servedProvider.ReadResource(ctx, req)
	if resp != nil {
		s.rec.record(resp.Diagnostics)
	}
	return resp, err
}

func (s *recordingServer) ImportResourceState(ctx context.Context, req *tfprotov6.ImportResourceStateRequest) (*tfprotov6.ImportResourceStateResponse, error) {
	resp, err := s.servedProvider.ImportResourceState(ctx, req)
	if resp != nil {
		s.rec.record(resp.Diagnostics)
	}
	return resp, err
}

func (s *recordingServer) ReadDataSource(ctx context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	resp, err := s.servedProvider.ReadDataSource(ctx, req)
	if resp != nil {
		s.rec.record(resp.Diagnostics)
	}
	return resp, err
}

func (s *recordingServer) ListResource(ctx context.Context, req *tfprotov6.ListResourceRequest) (*tfprotov6.ListResourceServerStream, error) {
	stream, err := s.servedProvider.ListResource(ctx, req)
	if stream == nil || stream.Results == nil {
		return stream, err
	}
	results := stream.Results
	stream.Results = iter.Seq[tfprotov6.ListResourceResult](func(yield func(tfprotov6.ListResourceResult) bool) {
		for result := range results {
			s.rec.record(result.Diagnostics)
			if !yield(result) {
				return
			}
		}
	})
	return stream, err
}
