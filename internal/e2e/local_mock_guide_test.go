package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seed/terraform-provider-webhooks/internal/tfrun"
)

// localMockGuide is the page that walks a user through the mock by hand.
const localMockGuide = "../../docs/guides/local-mock.md"

// notRunMarker, on the line before a shell block, keeps the block out of the page's test (with the reason after it).
const notRunMarker = "<!-- not run by the page's test:"

// guideScript turns the page into the one shell script a user pasting it in order runs: every shell block as it is,
// and every terraform block written to main.tf in the directory the script is in by then, as the page says.
func guideScript(t *testing.T, page string) (script string, blocks int) {
	t.Helper()
	var b strings.Builder
	lines := strings.Split(page, "\n")
	for i := 0; i < len(lines); i++ {
		lang, ok := strings.CutPrefix(lines[i], "```")
		if !ok || lang == "" {
			continue
		}
		end := i + 1
		for end < len(lines) && lines[end] != "```" {
			end++
		}
		body := strings.Join(lines[i+1:end], "\n")
		skipped := i > 0 && strings.HasPrefix(lines[i-1], notRunMarker)
		switch {
		case lang == "shell" && !skipped:
			blocks++
			fmt.Fprintf(&b, "echo '>>> block %d (line %d)'\n%s\n", blocks, i+1, body)
		case lang == "terraform":
			blocks++
			fmt.Fprintf(&b, "echo '>>> block %d (line %d): main.tf'\ncat > main.tf << 'GUIDE_EOF'\n%s\nGUIDE_EOF\n", blocks, i+1, body)
		}
		i = end
	}
	return b.String(), blocks
}

// TestAccLocalMockGuide runs docs/guides/local-mock.md as written: its shell blocks in order, in one bash, in a copy
// of the repository (so that make, the built binaries and mock.env land there), with a HOME of its own (the mirror,
// the CLI configuration and the try-out directory land there), the CLI under test as `terraform`, and nothing else
// set up. Every command must succeed; what the page says they print must be printed; the mock must be stopped at the
// end by the page's own `kill`; and the files the page leaves in the repository must be ignored by git.
func TestAccLocalMockGuide(t *testing.T) {
	requireAcc(t)
	page, err := os.ReadFile(localMockGuide)
	if err != nil {
		t.Fatal(err)
	}
	script, blocks := guideScript(t, string(page))
	if blocks < 10 {
		t.Fatalf("the page yields %d blocks to run; the walk-through has more", blocks)
	}
	repo := copyRepository(t)
	home := t.TempDir()

	cli, err := tfrun.DefaultCLI()
	if err != nil {
		t.Fatal(err)
	}
	shims := t.TempDir()
	if err := os.Symlink(cli, filepath.Join(shims, "terraform")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	// After the page: its start_mock, given an address the mock refuses, must give up with a message, not wait.
	script += "echo \"the page's last mock: $MOCK_PID\"\necho '>>> start_mock -addr 0.0.0.0:0'\nif start_mock -addr 0.0.0.0:0; then echo 'start_mock succeeded'; exit 1; fi\n"
	cmd := exec.CommandContext(ctx, "bash", "-c", "set -euo pipefail\n"+script)
	cmd.Dir = repo
	cmd.Env = guideEnv(t, home, shims)
	// Its own process group, so that whatever the page starts and fails to stop is stopped with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	runErr := cmd.Run()
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	transcript := ansiEscape.ReplaceAllString(out.String(), "")
	if runErr != nil {
		t.Fatalf("the page's commands failed (%v); the script:\n%s\ntranscript:\n%s", runErr, script, transcript)
	}

	// What the page says the commands print, in the order it says it.
	rest := strings.Join(strings.Fields(transcript), " ")
	for _, want := range []string{
		"MOCK_PID=",
		"Apply complete! Resources: 2 added, 0 changed, 0 destroyed.",
		"No changes.",
		"Apply complete! Resources: 1 added, 0 changed, 1 destroyed.",
		"Apply complete! Resources: 0 added, 1 changed, 0 destroyed.",
		"Plan: 1 to add",
		`status_code" = 200`,
		"Import successful!",
		"No changes.",
		"Destroy complete! Resources: 3 destroyed.",
		"No changes.",
		"Destroy complete! Resources: 3 destroyed.",
		`"status_code":500`,
		"500",
		"Destroy complete! Resources: 3 destroyed.",
		">>> start_mock -addr 0.0.0.0:0",
		"The mock did not start; mock.log says:",
		"only loopback hosts",
	} {
		i := strings.Index(rest, want)
		if i < 0 {
			t.Fatalf("the transcript lacks %q where the page says it comes:\n%s", want, transcript)
		}
		rest = rest[i+len(want):]
	}

	// The page's kill stopped the mock it started last.
	m := regexp.MustCompile(`the page's last mock: (\d+)`).FindStringSubmatch(transcript)
	if m == nil {
		t.Fatal("the transcript names no PID of the page's last mock")
	}
	pid, _ := strconv.Atoi(m[1])
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("the mock (pid %d) still runs after the page's kill", pid)
	}
	for _, f := range []string{"mock.env", "mock.log"} {
		if err := exec.Command("git", "-C", "../..", "check-ignore", "-q", f).Run(); err != nil {
			t.Errorf("%s, which the page writes in the repository, is not ignored by git", f)
		}
	}
}

// ansiEscape is a colour sequence of the CLI's output, which a terminal shows and the checks ignore.
var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;]*m")

// guideEnv is the environment of a user's shell: this one's, with HOME elsewhere, the CLI under test first on PATH as
// `terraform`, and no provider or Terraform settings of its own. Go keeps its caches where they are (they are
// found from HOME otherwise), so nothing is downloaded again.
func guideEnv(t *testing.T, home, shims string) []string {
	t.Helper()
	goEnv, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH", "GOTOOLCHAIN").Output()
	if err != nil {
		t.Fatal(err)
	}
	values := strings.Split(strings.TrimSpace(string(goEnv)), "\n")
	drop := regexp.MustCompile(`^(HOME|PATH|TF_[A-Z_]*|SELLFERN_[A-Z_]*|SELSUP_[A-Z_]*|MOCK_[A-Z_]*|GOCACHE|GOMODCACHE|GOPATH|GOTOOLCHAIN|GOFLAGS)=`)
	var env []string
	for _, kv := range os.Environ() {
		if !drop.MatchString(kv) {
			env = append(env, kv)
		}
	}
	return append(env,
		"HOME="+home,
		"PATH="+shims+string(os.PathListSeparator)+os.Getenv("PATH"),
		"GOCACHE="+values[0], "GOMODCACHE="+values[1], "GOPATH="+values[2], "GOTOOLCHAIN="+values[3],
		"CHECKPOINT_DISABLE=1",
	)
}

// copyRepository copies the files git knows (tracked, and new ones not ignored) into a new directory: a clone, as
// far as the page's commands can tell.
func copyRepository(t *testing.T) string {
	t.Helper()
	list, err := exec.Command("git", "-C", "../..", "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatal(err)
	}
	dest := t.TempDir()
	for _, name := range strings.Split(strings.TrimRight(string(list), "\x00"), "\x00") {
		src := filepath.Join("../..", name)
		info, err := os.Lstat(src)
		if err != nil || !info.Mode().IsRegular() {
			continue // deleted in the working tree, or not a file
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(dest, name)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(target, data, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dest
}
