package tfrun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"
)

// CLI is a Terraform-compatible command-line tool that the tests run besides the Terraform on PATH, built from
// its Go module at a pinned version unless the environment variable Env names an installed binary.
type CLI struct {
	Key     string // how the Makefile and the test matrix name it
	Product string // the first word of `<binary> version`
	Binary  string // the executable's name
	Module  string // the Go module the CLI is built from
	Version string // pinned: the module version built, and what `<binary> version` must print
	Package string // the main package, relative to the module root
	Env     string // an environment variable naming an installed binary to use instead of building
	// ProviderHost is the registry host the CLI resolves "seed/webhooks" to.
	ProviderHost string
	// patch prepares a copy of the module source for building, and ldflags are given to `go build`.
	patch   func(dir string) error
	ldflags string
}

// The two CLIs tested besides the Terraform on PATH: the newest Terraform and the newest OpenTofu that the Go module
// proxy served when they were pinned. This is the only place their versions are written.
var (
	TerraformNewest = CLI{
		Key:          "terraform-newest",
		Product:      "Terraform",
		Binary:       "terraform",
		Module:       "github.com/hashicorp/terraform",
		Version:      "1.16.4",
		Package:      ".",
		Env:          "TERRAFORM_NEWEST_PATH",
		ProviderHost: "registry.terraform.io",
		patch:        dropMissingNestedModules,
		// Without it the binary calls itself 1.16.4-dev: releases are built with the same flag.
		ldflags: "-X github.com/hashicorp/terraform/version.dev=no",
	}
	OpenTofu = CLI{
		Key:          "tofu",
		Product:      "OpenTofu",
		Binary:       "tofu",
		Module:       "github.com/opentofu/opentofu",
		Version:      "1.12.6",
		Package:      "./cmd/tofu",
		Env:          "TOFU_PATH",
		ProviderHost: "registry.opentofu.org",
		// Without it the binary calls itself 1.12.6-dev, as Terraform does.
		ldflags: "-X github.com/opentofu/opentofu/version.dev=no",
	}
)

// CLIs lists the CLIs that are built from their modules, in the order the test matrix runs them.
var CLIs = []CLI{TerraformNewest, OpenTofu}

// LookupCLI finds a CLI by its key.
func LookupCLI(key string) (CLI, bool) {
	for _, c := range CLIs {
		if c.Key == key {
			return c, true
		}
	}
	return CLI{}, false
}

// CacheDir is where built CLIs are kept between runs: below the user's cache directory, outside any clone.
func CacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the user cache directory: %w", err)
	}
	return filepath.Join(base, "terraform-provider-webhooks", "cli"), nil
}

// Path returns the CLI's binary: the one named by c.Env when that is set, else the cached build, building it first
// (through the Go module proxy, into the cache) when there is none. Progress goes to log.
func (c CLI) Path(ctx context.Context, log io.Writer) (string, error) {
	if p := os.Getenv(c.Env); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s names %s: %w", c.Env, p, err)
		}
		return p, nil
	}
	cache, err := CacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, fmt.Sprintf("%s-%s-%s_%s", c.Binary, c.Version, runtime.GOOS, runtime.GOARCH))
	bin := filepath.Join(dir, c.Binary+exeSuffix())
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := c.build(ctx, cache, dir, log); err != nil {
		return "", fmt.Errorf("building %s %s from %s: %w", c.Product, c.Version, c.Module, err)
	}
	return bin, nil
}

// build builds the CLI into a new directory beside dir and renames it to dir once the binary reports the right
// version, so that a concurrent run never sees a half-written binary; when another run got there first, its
// build is kept.
func (c CLI) build(ctx context.Context, cache, dir string, log io.Writer) error {
	start := time.Now()
	fmt.Fprintf(log, "building %s %s from the Go module %s@v%s into %s (a few minutes, once)\n",
		c.Product, c.Version, c.Module, c.Version, dir)
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return err
	}
	src, err := c.download(ctx)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "webhooks-cli-src-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	tree := filepath.Join(work, "src")
	if err := copyTree(src, tree); err != nil {
		return fmt.Errorf("copying the module source: %w", err)
	}
	if c.patch != nil {
		if err := c.patch(tree); err != nil {
			return fmt.Errorf("preparing the module source: %w", err)
		}
	}
	out, err := os.MkdirTemp(cache, ".build-"+c.Binary+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(out) // gone after the rename; left over only when something failed
	bin := filepath.Join(out, c.Binary+exeSuffix())
	args := []string{"build", "-mod=mod", "-trimpath", "-o", bin}
	if c.ldflags != "" {
		args = append(args, "-ldflags", c.ldflags)
	}
	build := exec.CommandContext(ctx, "go", append(args, c.Package)...)
	build.Dir = tree
	// The module's own go.mod decides; the caller's module, workspace and flags must not.
	build.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-buildvcs=false", "CGO_ENABLED=0")
	build.Stdout, build.Stderr = log, log
	if err := build.Run(); err != nil {
		return fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
	}
	if err := c.CheckVersion(ctx, bin); err != nil {
		return err
	}
	if err := os.Chmod(out, 0o755); err != nil {
		return err
	}
	if err := os.Rename(out, dir); err != nil {
		if _, statErr := os.Stat(filepath.Join(dir, c.Binary+exeSuffix())); statErr == nil {
			return nil // another run finished the same build first
		}
		return err
	}
	fmt.Fprintf(log, "built %s %s in %s\n", c.Product, c.Version, time.Since(start).Round(time.Second))
	return nil
}

// download fetches the module through the Go module proxy, as `go` fetches any module, and returns its directory
// in the module cache (read-only).
func (c CLI) download(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", c.Module+"@v"+c.Version)
	cmd.Dir = os.TempDir() // outside any module, so that no go.mod is consulted or changed
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var info struct{ Dir, Error string }
	if jsonErr := json.Unmarshal(stdout.Bytes(), &info); jsonErr != nil || err != nil || info.Error != "" || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s@v%s failed: %v %s %s", c.Module, c.Version, err, info.Error, strings.TrimSpace(stderr.String()))
	}
	return info.Dir, nil
}

// CheckVersion fails unless `bin version` names this CLI at exactly its pinned version.
func (c CLI) CheckVersion(ctx context.Context, bin string) error {
	got, err := VersionOf(ctx, bin)
	if err != nil {
		return err
	}
	if want := c.Product + " v" + c.Version; got != want {
		return fmt.Errorf("%s version says %q, want %q", bin, got, want)
	}
	return nil
}

// VersionOf returns what `bin version` says the CLI is, such as "Terraform v1.11.4" or "OpenTofu v1.12.6": the
// first line of that form (a CLI may print warnings about its configuration before it).
func VersionOf(ctx context.Context, bin string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, "version")
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1") // no check for a newer release over the network
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s version: %w: %s", bin, err, out)
	}
	if m := versionLine.FindStringSubmatch(string(out)); m != nil {
		return m[1], nil
	}
	return "", fmt.Errorf("%s version printed no version line:\n%s", bin, out)
}

var versionLine = regexp.MustCompile(`(?m)^((?:Terraform|OpenTofu) v\S+)\s*$`)

// Terraform's module zip lacks the nested modules of its remote-state backends (azure, consul, gcs, s3, …) and of
// internal/legacy, which its go.mod requires and replaces by directories of the repository. dropMissingNestedModules
// removes from a copy of the module every such requirement whose directory is absent, and the backends' imports
// and registrations from internal/backend/init/init.go. The CLI built is complete but for those state backends,
// which no test here uses.
func dropMissingNestedModules(dir string) error {
	gomod := filepath.Join(dir, "go.mod")
	data, err := os.ReadFile(gomod)
	if err != nil {
		return err
	}
	replaceRE := regexp.MustCompile(`(?m)^replace\s+(\S+)\s+=>\s+(\./\S+)\s*$`)
	var missing []string
	for _, m := range replaceRE.FindAllStringSubmatch(string(data), -1) {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(m[2]))); errors.Is(err, fs.ErrNotExist) {
			missing = append(missing, m[1])
		}
	}
	if len(missing) == 0 {
		return errors.New("go.mod replaces no missing directory: the module's layout changed, review this patch")
	}
	// A go.mod line names a missing module as "require M v", "replace M => dir" or, inside a block, "M v".
	namesMissing := func(line string) bool {
		f := strings.Fields(line)
		if len(f) >= 2 && (f[0] == "require" || f[0] == "replace") {
			f = f[1:]
		}
		return len(f) >= 2 && slices.Contains(missing, f[0])
	}
	var kept []string
	for _, line := range strings.Split(string(data), "\n") {
		if !namesMissing(line) {
			kept = append(kept, line)
		}
	}
	if err := os.WriteFile(gomod, []byte(strings.Join(kept, "\n")), 0o644); err != nil {
		return err
	}

	initGo := filepath.Join(dir, "internal", "backend", "init", "init.go")
	data, err = os.ReadFile(initGo)
	if err != nil {
		return err
	}
	importRE := regexp.MustCompile(`^\s*(\w+)\s+"([^"]+)"\s*$`)
	var aliases []string
	kept = kept[:0]
	for _, line := range strings.Split(string(data), "\n") {
		if m := importRE.FindStringSubmatch(line); m != nil && slices.Contains(missing, m[2]) {
			aliases = append(aliases, m[1])
			continue
		}
		used := false
		for _, a := range aliases {
			used = used || strings.Contains(line, a+".")
		}
		if !used {
			kept = append(kept, line)
		}
	}
	if len(aliases) == 0 {
		return errors.New("internal/backend/init/init.go imports none of the missing modules: review this patch")
	}
	return os.WriteFile(initGo, []byte(strings.Join(kept, "\n")), 0o644)
}

// copyTree copies a directory tree (the module cache's files are read-only) with writable files.
func copyTree(src, dest string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dest, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return copyFile(path, target, 0o644)
	})
}

func exeSuffix() string {
	if runtime.GOOS == "windows" {
		return ".exe"
	}
	return ""
}

// ResolveCLI finds the CLI binary a command-line flag names: "" for DefaultCLI, "terraform" for the Terraform on
// PATH, the key of a pinned CLI (terraform-newest, tofu) for its build, building it first if need be, or the path
// of any Terraform or OpenTofu binary.
func ResolveCLI(ctx context.Context, name string, log io.Writer) (string, error) {
	if name == "" {
		return DefaultCLI()
	}
	if name == "terraform" {
		p, err := exec.LookPath("terraform")
		if err != nil {
			return "", fmt.Errorf("terraform is not on PATH: %w", err)
		}
		return p, nil
	}
	if c, ok := LookupCLI(name); ok {
		return c.Path(ctx, log)
	}
	if _, err := os.Stat(name); err != nil {
		keys := []string{"terraform"}
		for _, c := range CLIs {
			keys = append(keys, c.Key)
		}
		return "", fmt.Errorf("CLI %q is neither one of %s nor a binary: %w", name, strings.Join(keys, ", "), err)
	}
	return name, nil
}
