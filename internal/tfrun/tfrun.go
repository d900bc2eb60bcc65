// Package tfrun runs the real Terraform CLI against a locally built provider, installed the way a user's
// Terraform would find it offline: through a filesystem mirror named in a CLI configuration of its own (this
// machine points TF_CLI_CONFIG_FILE at a file that does not exist, and dev_overrides would skip `terraform init`).
// The demo, the benchmark, validate-examples and the tests use it; the provider does not.
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

// ProviderSource is the provider's registry address.
const ProviderSource = "registry.terraform.io/seed/webhooks"

// Workspace is a directory with a mirror holding the provider, a CLI configuration that uses it, and the
// Terraform configuration to run.
type Workspace struct {
	Root      string // everything lives below here
	ConfigDir string // the Terraform configuration (working directory of every command)
	CLIConfig string
	Env       []string // extra environment for every command (KEY=value)
	Terraform string
	// Echo, when set, receives every command's combined output as it runs.
	Echo io.Writer
}

// EnvCLI names the CLI binary to run instead of the `terraform` on PATH: the variable terraform-plugin-testing
// reads, so that the acceptance tests and everything built on this package run the same binary.
const EnvCLI = "TF_ACC_TERRAFORM_PATH"

// NewWorkspace installs the provider binary built for version into a mirror below root and writes a CLI
// configuration that takes this provider only from there. It runs the CLI that EnvCLI names, else `terraform`.
func NewWorkspace(root, providerBinary, version string) (*Workspace, error) {
	terraform := os.Getenv(EnvCLI)
	if terraform == "" {
		var err error
		if terraform, err = exec.LookPath("terraform"); err != nil {
			return nil, fmt.Errorf("terraform is not on PATH (or set %s): %w", EnvCLI, err)
		}
	}
	mirror := filepath.Join(root, "mirror")
	platform := runtime.GOOS + "_" + runtime.GOARCH
	dest := filepath.Join(mirror, filepath.FromSlash(ProviderSource), version, platform, "terraform-provider-webhooks_v"+version)
	if err := copyExecutable(providerBinary, dest); err != nil {
		return nil, fmt.Errorf("installing the provider in the mirror: %w", err)
	}
	cli := filepath.Join(root, "terraformrc")
	cfg := fmt.Sprintf(`# Written by tfrun: take %[1]s from the local mirror only, and never reach a registry.
provider_installation {
  filesystem_mirror {
    path    = %[2]q
    include = [%[1]q]
  }
  direct {
    exclude = [%[1]q]
  }
}
`, ProviderSource, mirror)
	if err := os.WriteFile(cli, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	configDir := filepath.Join(root, "config")
	if err := os.MkdirAll(configDir, 0o755); err != nil {
		return nil, err
	}
	return &Workspace{Root: root, ConfigDir: configDir, CLIConfig: cli, Terraform: terraform}, nil
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

// Run runs terraform with args in the configuration directory. A non-zero exit is not an error here; callers
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
		return res, fmt.Errorf("running terraform %s: %w", strings.Join(args, " "), err)
	}
	return res, nil
}

// Start starts terraform with args without waiting, for callers that watch the process (memory sampling).
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

func copyExecutable(src, dest string) error {
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dest, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
