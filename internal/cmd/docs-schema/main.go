// Command docs-schema writes the provider schema that tfplugindocs renders docs/ from (`make docs` runs it through
// `go generate`): it builds the provider, installs it offline through a filesystem mirror (internal/tfrun), runs
// `terraform providers schema -json` on the newest Terraform, whose schema holds list resources, actions and
// resource identities, and stores it in the form tfplugindocs reads with --providers-schema (see schema.go for why
// the names are rewritten).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"

	"github.com/seed/terraform-provider-webhooks/internal/tfrun"
)

func main() {
	out := flag.String("out", "bin/docs-schema.json", "the file to write the schema to")
	cli := flag.String("cli", "terraform-newest", "the CLI to run: terraform (on PATH), terraform-newest or tofu (pinned, built if need be), or a binary's path")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *out, *cli); err != nil {
		fmt.Fprintln(os.Stderr, "docs-schema:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out, cli string) error {
	terraform, err := tfrun.ResolveCLI(ctx, cli, os.Stderr)
	if err != nil {
		return err
	}
	root, err := os.MkdirTemp("", "webhooks-docs-schema-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)

	const version = "0.1.0" // any release version: a prerelease is not chosen without a constraint naming it
	binary := filepath.Join(root, "build", "terraform-provider-webhooks")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building the provider: %w", err)
	}
	ws, err := tfrun.NewWorkspace(root, binary, version)
	if err != nil {
		return err
	}
	ws.Terraform = terraform
	return writeDocsSchema(ctx, ws, out)
}
