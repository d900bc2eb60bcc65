// Command validate-examples checks that every example configuration under examples/ is valid Terraform for the
// provider as built now, offline: it installs the provider binary into a filesystem mirror (internal/tfrun) and
// runs `terraform init` and `terraform validate` on each example directory, reporting one line per directory.
// `make examples-check` runs it.
//
// An example without a terraform block gets one declaring the provider under the local name it uses (`webhooks`,
// or `sellfern` / `selsup` for the single-service pattern), the way a user's configuration would. Every *.tf and
// *.tfquery.hcl file of a directory is validated together, so an import block (import-by-block.tf) is checked
// against the resource example beside it, and list blocks with `terraform validate -query`. Warnings count as
// failures: an example is copied by users and must be clean. A directory that uses what the CLI running the check
// lacks (list blocks before Terraform 1.14, import blocks by identity before 1.12) is reported as skipped, with the
// version it needs; `make examples-check` runs the newest Terraform too, which validates them all.
//
// With -docs-schema FILE it does the other job that needs the provider installed offline: it writes the provider
// schema (`terraform providers schema -json`) in the form tfplugindocs reads with --providers-schema. See
// schema.go for why the names are rewritten there.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	goversion "github.com/hashicorp/go-version"

	"github.com/seed/terraform-provider-webhooks/internal/tfrun"
)

func main() {
	providerBinary := flag.String("provider", "", "the built provider binary (default: build one from this module into a temporary directory)")
	version := flag.String("version", "0.1.0", "the version to install the provider as in the mirror")
	examples := flag.String("examples", "examples", "the directory whose example configurations are validated")
	docsSchema := flag.String("docs-schema", "", "instead of validating, write the provider schema for tfplugindocs to this file")
	keep := flag.Bool("keep", false, "keep the work directory for inspection")
	cli := flag.String("cli", "", "the CLI to run: terraform (on PATH), terraform-newest or tofu (pinned, built if need be), or a binary's path (default: $TF_ACC_TERRAFORM_PATH, else terraform)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *providerBinary, *version, *examples, *docsSchema, *cli, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "validate-examples:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, providerBinary, version, examples, docsSchema, cli string, keep bool) error {
	terraform, err := tfrun.ResolveCLI(ctx, cli, os.Stderr)
	if err != nil {
		return err
	}
	running, err := versionOf(ctx, terraform)
	if err != nil {
		return err
	}
	root, err := os.MkdirTemp("", "webhooks-validate-examples-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Fprintf(os.Stderr, "work directory kept at %s\n", root)
	} else {
		defer os.RemoveAll(root)
	}

	if providerBinary == "" {
		providerBinary = filepath.Join(root, "build", "terraform-provider-webhooks")
		build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-X main.version="+version, "-o", providerBinary, ".")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building the provider: %w", err)
		}
	} else if _, err := os.Stat(providerBinary); err != nil {
		return fmt.Errorf("the provider binary: %w (run `make build` first)", err)
	}

	ws, err := tfrun.NewWorkspace(root, providerBinary, version)
	if err != nil {
		return err
	}
	ws.Terraform = terraform
	if err := pinMirrorOnly(ws); err != nil {
		return err
	}

	if docsSchema != "" {
		return writeDocsSchema(ctx, ws, docsSchema)
	}
	fmt.Printf("validating the examples with %s (%s)\n", running, terraform)
	return validateAll(ctx, ws, examples, running)
}

// pinMirrorOnly rewrites the workspace's CLI configuration so that no provider comes from anywhere but the mirror:
// an example naming a provider by mistake (a resource without `provider = webhooks` implies hashicorp/sellfern)
// then fails at once with a clear message, rather than after a registry lookup that cannot succeed offline.
func pinMirrorOnly(ws *tfrun.Workspace) error {
	mirror := filepath.Join(ws.Root, "mirror")
	cfg := fmt.Sprintf(`# Written by validate-examples: providers come from the local mirror only.
provider_installation {
  filesystem_mirror {
    path    = %q
    include = ["*/*/*"]
  }
}
`, mirror)
	return os.WriteFile(ws.CLIConfig, []byte(cfg), 0o600)
}

// exampleDirs lists every directory below root holding configuration files (tfrun.ConfigFiles), in lexical order.
func exampleDirs(root string) ([]string, error) {
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".terraform" || (strings.HasPrefix(d.Name(), ".") && path != root)) {
			return filepath.SkipDir
		}
		if !d.IsDir() && isConfigFile(d.Name()) {
			dir := filepath.Dir(path)
			if !slices.Contains(dirs, dir) {
				dirs = append(dirs, dir)
			}
		}
		return nil
	})
	slices.Sort(dirs)
	return dirs, err
}

func isConfigFile(name string) bool {
	for _, pattern := range tfrun.ConfigFiles {
		if ok, _ := filepath.Match(pattern, name); ok {
			return true
		}
	}
	return false
}

func validateAll(ctx context.Context, ws *tfrun.Workspace, examples string, running cli) error {
	dirs, err := exampleDirs(examples)
	if err != nil {
		return err
	}
	if len(dirs) == 0 {
		return fmt.Errorf("no example configurations (*.tf, *.tfquery.hcl) below %s", examples)
	}
	var failed, skipped []string
	for i, dir := range dirs {
		ws.ConfigDir = filepath.Join(ws.Root, "examples", fmt.Sprint(i))
		start := time.Now()
		if lack := running.lacks(dir); lack != "" {
			skipped = append(skipped, dir)
			fmt.Printf("skip  %-50s (%s)\n", dir, lack)
			continue
		}
		problem := validateOne(ctx, ws, dir)
		if problem != "" {
			failed = append(failed, dir)
			fmt.Printf("FAIL  %s\n%s\n", dir, indent(problem))
			continue
		}
		fmt.Printf("ok    %-50s (%s)\n", dir, time.Since(start).Round(10*time.Millisecond))
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d example directories are not valid: %s", len(failed), len(dirs), strings.Join(failed, ", "))
	}
	fmt.Printf("all %d example directories are valid against the built provider", len(dirs)-len(skipped))
	if len(skipped) > 0 {
		fmt.Printf(" (%d skipped: %s lacks what they use)", len(skipped), running)
	}
	fmt.Println()
	return nil
}

// requirement is what an example may use that older CLIs lack: the first version of each CLI that has it, "" for
// a CLI that has none.
type requirement struct {
	feature             string
	terraform, opentofu string
	usedBy              func(files map[string]string) bool
}

var requirements = []requirement{
	{feature: "list blocks (.tfquery.hcl)", terraform: "1.14.0", usedBy: func(files map[string]string) bool {
		return slices.ContainsFunc(slices.Collect(maps.Keys(files)), func(name string) bool { return strings.HasSuffix(name, ".tfquery.hcl") })
	}},
	{feature: "import blocks by identity", terraform: "1.12.0", opentofu: "1.12.0", usedBy: func(files map[string]string) bool {
		return slices.ContainsFunc(slices.Collect(maps.Values(files)), identityArgument.MatchString)
	}},
	{feature: "actions", terraform: "1.14.0", usedBy: func(files map[string]string) bool {
		return slices.ContainsFunc(slices.Collect(maps.Values(files)), actionBlock.MatchString)
	}},
	{feature: "caller in an action's config", terraform: "1.16.0", usedBy: func(files map[string]string) bool {
		return slices.ContainsFunc(slices.Collect(maps.Values(files)), callerReference.MatchString)
	}},
}

var (
	identityArgument = regexp.MustCompile(`(?m)^\s*identity\s*=\s*\{`)
	actionBlock      = regexp.MustCompile(`(?m)^\s*(action\s+"|action_trigger\s*\{)`)
	callerReference  = regexp.MustCompile(`\bcaller\.`)
)

// cli is the CLI that runs the check, as `version` names it: "Terraform v1.16.4", "OpenTofu v1.12.6".
type cli struct {
	product string
	version *goversion.Version
}

func (c cli) String() string { return c.product + " v" + c.version.String() }

// versionOf reads what `bin version` says it is (tfrun.VersionOf).
func versionOf(ctx context.Context, bin string) (cli, error) {
	said, err := tfrun.VersionOf(ctx, bin)
	if err != nil {
		return cli{}, err
	}
	product, number, _ := strings.Cut(said, " v")
	v, err := goversion.NewVersion(number)
	if err != nil {
		return cli{}, fmt.Errorf("%s version: %w", bin, err)
	}
	return cli{product: product, version: v}, nil
}

// lacks returns what the example in dir uses that this CLI lacks, or "".
func (c cli) lacks(dir string) string {
	files, err := configFiles(dir)
	if err != nil {
		return "" // validating it reports the problem
	}
	for _, r := range requirements {
		if !r.usedBy(files) {
			continue
		}
		minimum := r.terraform
		if c.product == "OpenTofu" {
			minimum = r.opentofu
		}
		switch {
		case minimum == "":
			return fmt.Sprintf("%s: %s has none", r.feature, c)
		case c.version.LessThan(goversion.Must(goversion.NewVersion(minimum))):
			return fmt.Sprintf("%s need %s %s or later; this is %s", r.feature, c.product, strings.TrimSuffix(minimum, ".0"), c)
		}
	}
	return ""
}

// configFiles reads the configuration files of dir, by name.
func configFiles(dir string) (map[string]string, error) {
	files := map[string]string{}
	for _, pattern := range tfrun.ConfigFiles {
		names, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			data, err := os.ReadFile(name)
			if err != nil {
				return nil, err
			}
			files[filepath.Base(name)] = string(data)
		}
	}
	return files, nil
}

var (
	terraformBlock = regexp.MustCompile(`(?m)^\s*terraform\s*\{`)
	importTarget   = regexp.MustCompile(`(?m)^\s*to\s*=\s*(\w+)\.(\w+)\s*(?:#.*)?$`)
	// A local name is in use when a provider block or a provider argument names it.
	localNameUse = regexp.MustCompile(`(?m)^\s*(?:provider\s+"(\w+)"\s*\{|provider\s*=\s*(\w+)\s*(?:#.*)?$)`)
)

// validateOne copies dir's configuration into the workspace, completes it with a terraform block if it has none,
// and runs init and validate. It returns what went wrong, or "" when the example is valid without warnings.
func validateOne(ctx context.Context, ws *tfrun.Workspace, dir string) string {
	if err := os.MkdirAll(ws.ConfigDir, 0o755); err != nil {
		return err.Error()
	}
	if err := ws.CopyConfig(dir); err != nil {
		return err.Error()
	}
	files, err := configFiles(dir)
	if err != nil {
		return err.Error()
	}
	var all strings.Builder
	query := false
	for _, name := range slices.Sorted(maps.Keys(files)) {
		all.WriteString(files[name])
		all.WriteByte('\n')
		query = query || strings.HasSuffix(name, ".tfquery.hcl")
	}
	// terraform validate does not check that an import block's target exists (plan does): check it here.
	for _, m := range importTarget.FindAllStringSubmatch(all.String(), -1) {
		if !regexp.MustCompile(`(?m)^\s*resource\s+"` + m[1] + `"\s+"` + m[2] + `"\s*\{`).MatchString(all.String()) {
			return fmt.Sprintf("an import block imports to %s.%s, but no resource block %q %q is beside it", m[1], m[2], m[1], m[2])
		}
	}
	if !terraformBlock.MatchString(all.String()) {
		name, err := localName(all.String())
		if err != nil {
			return err.Error()
		}
		block := "# Added by validate-examples: the example has no terraform block.\n" + tfrun.RequiredProviders(name)
		if err := os.WriteFile(filepath.Join(ws.ConfigDir, "zz_required_providers.tf"), []byte(block), 0o644); err != nil {
			return err.Error()
		}
	}

	res, err := ws.Run(ctx, "init", "-no-color", "-input=false", "-backend=false")
	if err != nil {
		return err.Error()
	}
	if res.ExitCode != 0 {
		return "terraform init failed:\n" + strings.TrimSpace(res.Output)
	}
	// init's warnings are not the example's: installing from a mirror always warns that the lock file holds
	// checksums for this platform only.
	validate := []string{"validate", "-json", "-no-color"}
	if query {
		validate = append(validate, "-query") // list blocks are validated only when asked
	}
	res, err = ws.Run(ctx, validate...)
	if err != nil {
		return err.Error()
	}
	var out struct {
		Valid        bool `json:"valid"`
		ErrorCount   int  `json:"error_count"`
		WarningCount int  `json:"warning_count"`
		Diagnostics  []struct {
			Severity string `json:"severity"`
			Summary  string `json:"summary"`
			Detail   string `json:"detail"`
			Range    *struct {
				Filename string `json:"filename"`
				Start    struct {
					Line int `json:"line"`
				} `json:"start"`
			} `json:"range"`
		} `json:"diagnostics"`
	}
	if err := json.Unmarshal([]byte(res.Output), &out); err != nil {
		return fmt.Sprintf("terraform validate -json (exit %d) printed something that is not its JSON:\n%s", res.ExitCode, res.Output)
	}
	if out.Valid && out.ErrorCount == 0 && out.WarningCount == 0 && res.ExitCode == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "terraform validate: %d error(s), %d warning(s)", out.ErrorCount, out.WarningCount)
	for _, d := range out.Diagnostics {
		where := ""
		if d.Range != nil {
			where = fmt.Sprintf(" (%s:%d)", d.Range.Filename, d.Range.Start.Line)
		}
		fmt.Fprintf(&b, "\n%s: %s%s", d.Severity, d.Summary, where)
		if d.Detail != "" {
			fmt.Fprintf(&b, "\n  %s", strings.ReplaceAll(d.Detail, "\n", "\n  "))
		}
	}
	return b.String()
}

// localName picks the local name an example without a terraform block relies on. Terraform allows one local name
// per provider source (a second one is a "Duplicate required provider" warning), so an example may use only one.
func localName(config string) (string, error) {
	var names []string
	for _, m := range localNameUse.FindAllStringSubmatch(config, -1) {
		name := m[1] + m[2]
		if name == "webhooks" || name == "sellfern" || name == "selsup" {
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	switch len(names) {
	case 0:
		return "webhooks", nil
	case 1:
		return names[0], nil
	default:
		return "", fmt.Errorf("the example uses the local names %s for the provider: Terraform allows one local name "+
			"per provider, so declare one and use it throughout", strings.Join(names, ", "))
	}
}

func indent(s string) string {
	return "      " + strings.ReplaceAll(s, "\n", "\n      ")
}
