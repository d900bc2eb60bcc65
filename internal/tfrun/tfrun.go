// Package tfrun runs a real Terraform-compatible CLI (Terraform or OpenTofu) against a locally built provider,
// installed the way a user's CLI would find it offline: through a filesystem mirror named in a CLI configuration of
// its own, never the user's (TF_CLI_CONFIG_FILE may name a file that does not exist, and dev_overrides would skip
// `terraform init`). The demo, the benchmark, the docs' schema export and the tests use it; the provider does not.
// clis.go pins and builds the newer CLIs that the tests also run.
package tfrun

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// ProviderSource is the provider's registry address as Terraform resolves "seed/webhooks".
const ProviderSource = "registry.terraform.io/seed/webhooks"

// ProviderSources are the addresses "seed/webhooks" resolves to: Terraform's, then OpenTofu's (whose default
// registry is registry.opentofu.org). Every mirror written here holds the provider under each of them.
var ProviderSources = []string{ProviderSource, "registry.opentofu.org/seed/webhooks"}

// EnvCLI names the CLI binary to run instead of the `terraform` found on PATH. It is the variable
// terraform-plugin-testing reads too, so the acceptance tests and everything built on this package run the same
// binary.
const EnvCLI = "TF_ACC_TERRAFORM_PATH"

// DefaultCLI is the CLI binary that a workspace runs unless told otherwise: the one EnvCLI names, else `terraform`
// from PATH.
func DefaultCLI() (string, error) {
	if p := os.Getenv(EnvCLI); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s names %s: %w", EnvCLI, p, err)
		}
		return p, nil
	}
	p, err := exec.LookPath("terraform")
	if err != nil {
		return "", fmt.Errorf("terraform is not on PATH (or set %s): %w", EnvCLI, err)
	}
	return p, nil
}

// Workspace is a directory with a mirror holding the provider, a CLI configuration that uses it, and the
// configuration to run.
type Workspace struct {
	Root      string // everything lives below here
	ConfigDir string // the Terraform configuration (working directory of every command)
	CLIConfig string
	Mirror    string   // the filesystem mirror holding the provider under each of ProviderSources
	Env       []string // extra environment for every command (KEY=value)
	// Terraform is the CLI binary every command runs: DefaultCLI unless the caller sets another, such as an
	// OpenTofu binary.
	Terraform string
	// Echo, when set, receives every command's combined output as it runs.
	Echo io.Writer
}

// NewWorkspace installs the provider binary built for version into a mirror below root and writes a CLI
// configuration that takes this provider only from there. The workspace runs DefaultCLI.
func NewWorkspace(root, providerBinary, version string) (*Workspace, error) {
	terraform, err := DefaultCLI()
	if err != nil {
		return nil, err
	}
	mirror := filepath.Join(root, "mirror")
	platform := runtime.GOOS + "_" + runtime.GOARCH
	for _, source := range ProviderSources {
		dest := filepath.Join(mirror, filepath.FromSlash(source), version, platform, "terraform-provider-webhooks_v"+version)
		if err := copyFile(providerBinary, dest, 0o755); err != nil {
			return nil, fmt.Errorf("installing the provider in the mirror: %w", err)
		}
	}
	sources := `"` + strings.Join(ProviderSources, `", "`) + `"`
	cli := filepath.Join(root, "terraformrc")
	cfg := fmt.Sprintf(`# Written by tfrun: take the provider from the local mirror only, and never reach a registry.
provider_installation {
  filesystem_mirror {
    path    = %[2]q
    include = [%[1]s]
  }
  direct {
    exclude = [%[1]s]
  }
}
`, sources, mirror)
	if err := os.WriteFile(cli, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	configDir := filepath.Join(root, "config")
	if err := os.MkdirAll(configDir, 0o755); err != nil {
		return nil, err
	}
	return &Workspace{Root: root, ConfigDir: configDir, CLIConfig: cli, Mirror: mirror, Terraform: terraform}, nil
}

// ConfigFiles are the patterns of the files that make a configuration: Terraform's, and the query files that
// `terraform query` and `terraform validate -query` read beside them.
var ConfigFiles = []string{"*.tf", "*.tfquery.hcl"}

// CopyConfig copies the configuration files of dir (ConfigFiles) into the workspace's configuration directory.
func (w *Workspace) CopyConfig(dir string) error {
	var files []string
	for _, pattern := range ConfigFiles {
		matched, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return err
		}
		files = append(files, matched...)
	}
	if len(files) == 0 {
		return fmt.Errorf("no .tf or .tfquery.hcl files in %s", dir)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(w.ConfigDir, filepath.Base(f)), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Result is one finished command.
type Result struct {
	Args     []string
	Output   string // stdout and stderr, interleaved as they came
	ExitCode int
	Duration time.Duration
}

// Run runs the CLI with args in the configuration directory. A non-zero exit is not an error here; callers
// judge the exit code (plan -detailed-exitcode uses 2 for "changes").
func (w *Workspace) Run(ctx context.Context, args ...string) (Result, error) {
	cmd := w.command(ctx, args)
	var out bytes.Buffer
	var sink io.Writer = &out
	if w.Echo != nil {
		sink = io.MultiWriter(&out, w.Echo)
	}
	cmd.Stdout, cmd.Stderr = sink, sink
	start := time.Now()
	err := cmd.Run()
	res := Result{Args: args, Output: out.String(), Duration: time.Since(start)}
	if exitErr, ok := err.(*exec.ExitError); ok {
		res.ExitCode = exitErr.ExitCode()
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("running %s %s: %w", filepath.Base(w.Terraform), strings.Join(args, " "), err)
	}
	return res, nil
}

// Start starts the CLI with args without waiting, for callers that watch the process (memory sampling).
func (w *Workspace) Start(ctx context.Context, out io.Writer, args ...string) (*exec.Cmd, error) {
	cmd := w.command(ctx, args)
	cmd.Stdout, cmd.Stderr = out, out
	return cmd, cmd.Start()
}

func (w *Workspace) command(ctx context.Context, args []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, w.Terraform, args...)
	cmd.Dir = w.ConfigDir
	cmd.Env = append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+w.CLIConfig,
		"TF_IN_AUTOMATION=1",
		"CHECKPOINT_DISABLE=1",
		"TF_INPUT=0",
	)
	cmd.Env = append(cmd.Env, w.Env...)
	return cmd
}

// copyFile copies src to dest with the given permissions, making dest's directory if need be.
func copyFile(src, dest string, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dest, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
