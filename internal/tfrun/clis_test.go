package tfrun

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A module laid out as Terraform's zip is: go.mod requires and replaces nested modules, one of whose directories
// (http) is there and two of which (s3, internal/legacy) are not.
const fakeGoMod = `module github.com/hashicorp/terraform

go 1.26.8

require (
	github.com/agext/levenshtein v1.2.3
	github.com/hashicorp/terraform/internal/backend/remote-state/http v0.0.0-00010101000000-000000000000
	github.com/hashicorp/terraform/internal/backend/remote-state/s3 v0.0.0-00010101000000-000000000000
	github.com/hashicorp/terraform/internal/legacy v0.0.0-00010101000000-000000000000
)

replace github.com/hashicorp/terraform/internal/backend/remote-state/http => ./internal/backend/remote-state/http

replace github.com/hashicorp/terraform/internal/backend/remote-state/s3 => ./internal/backend/remote-state/s3

replace github.com/hashicorp/terraform/internal/legacy => ./internal/legacy
`

const fakeInit = `package init

import (
	backendHTTP "github.com/hashicorp/terraform/internal/backend/remote-state/http"
	backendS3 "github.com/hashicorp/terraform/internal/backend/remote-state/s3"
)

func Init() {
	backends = map[string]backend.InitFn{
		"http": func() backend.Backend { return backendHTTP.New() },
		"s3":   func() backend.Backend { return backendS3.New() },
	}
}
`

func TestDropMissingNestedModules(t *testing.T) {
	dir := t.TempDir()
	write := func(path, content string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", fakeGoMod)
	write("internal/backend/init/init.go", fakeInit)
	write("internal/backend/remote-state/http/http.go", "package http\n")

	if err := dropMissingNestedModules(dir); err != nil {
		t.Fatal(err)
	}
	gomod, _ := os.ReadFile(filepath.Join(dir, "go.mod"))
	initGo, _ := os.ReadFile(filepath.Join(dir, "internal/backend/init/init.go"))
	for _, gone := range []string{"remote-state/s3", "internal/legacy"} {
		if strings.Contains(string(gomod), gone) {
			t.Errorf("go.mod still names %s:\n%s", gone, gomod)
		}
	}
	if strings.Contains(string(initGo), "backendS3") {
		t.Errorf("init.go still uses the s3 backend:\n%s", initGo)
	}
	for _, kept := range []string{"github.com/agext/levenshtein v1.2.3", "remote-state/http v0.0.0", "remote-state/http => ./internal"} {
		if !strings.Contains(string(gomod), kept) {
			t.Errorf("go.mod lost %q:\n%s", kept, gomod)
		}
	}
	if !strings.Contains(string(initGo), `backendHTTP.New()`) || !strings.Contains(string(initGo), `backendHTTP "github.com`) {
		t.Errorf("init.go lost the http backend:\n%s", initGo)
	}

	// Run again on the patched copy, nothing is missing any more: the patch says the layout is not what it knows.
	if err := dropMissingNestedModules(dir); err == nil {
		t.Error("a module with no missing nested module was patched without complaint")
	}
}

func TestVersionLine(t *testing.T) {
	for out, want := range map[string]string{
		"Terraform v1.16.4\non linux_amd64\n": "Terraform v1.16.4",
		"\nWarning: Unable to open CLI configuration file\n\nThe CLI configuration file at \"/x\" does not exist.\nOpenTofu v1.12.6\non linux_amd64\n": "OpenTofu v1.12.6",
		"Terraform v1.16.4-dev\n": "Terraform v1.16.4-dev",
		"nothing here\n":          "",
	} {
		got := ""
		if m := versionLine.FindStringSubmatch(out); m != nil {
			got = m[1]
		}
		if got != want {
			t.Errorf("%q: got %q, want %q", out, got, want)
		}
	}
}
