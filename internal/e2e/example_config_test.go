package e2e

import (
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	goversion "github.com/hashicorp/go-version"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/seed/terraform-provider-webhooks/internal/tfrun"
)

// examplesRoot is the repository's examples/ directory, seen from this package.
const examplesRoot = "../../examples"

// exampleConfig is one example directory, parsed: what the tests need to know to run it as a user would.
type exampleConfig struct {
	dir    string // as given
	files  []string
	blocks []*hclsyntax.Block // the top-level blocks of every file, in file order
	query  bool               // it has .tfquery.hcl files
}

// exampleDirs lists every directory below root holding configuration files (tfrun.ConfigFiles), in lexical order.
func exampleDirs(t *testing.T, root string) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".terraform" || (strings.HasPrefix(d.Name(), ".") && path != root)) {
			return filepath.SkipDir
		}
		if !d.IsDir() && isConfigFile(d.Name()) && !slices.Contains(dirs, filepath.Dir(path)) {
			dirs = append(dirs, filepath.Dir(path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatalf("no example configurations (*.tf, *.tfquery.hcl) below %s", root)
	}
	slices.Sort(dirs)
	return dirs
}

func isConfigFile(name string) bool {
	for _, pattern := range tfrun.ConfigFiles {
		if ok, _ := filepath.Match(pattern, name); ok {
			return true
		}
	}
	return false
}

// readExample parses the configuration files of dir.
func readExample(t *testing.T, dir string) *exampleConfig {
	t.Helper()
	ex := &exampleConfig{dir: dir}
	parser := hclparse.NewParser()
	for _, pattern := range tfrun.ConfigFiles {
		names, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			f, diags := parser.ParseHCL(src, name)
			if diags.HasErrors() {
				t.Fatalf("%s: %s", name, diags.Error())
			}
			ex.files = append(ex.files, name)
			ex.blocks = append(ex.blocks, f.Body.(*hclsyntax.Body).Blocks...)
			ex.query = ex.query || strings.HasSuffix(name, ".tfquery.hcl")
		}
	}
	return ex
}

// blocksOf returns the top-level blocks of a type whose labels start with labels.
func (ex *exampleConfig) blocksOf(typ string, labels ...string) []*hclsyntax.Block {
	var out []*hclsyntax.Block
	for _, b := range ex.blocks {
		if b.Type == typ && len(b.Labels) >= len(labels) && slices.Equal(b.Labels[:len(labels)], labels) {
			out = append(out, b)
		}
	}
	return out
}

// walk calls f for every block of the example, nested ones included.
func (ex *exampleConfig) walk(f func(b *hclsyntax.Block)) {
	var visit func(b *hclsyntax.Block)
	visit = func(b *hclsyntax.Block) {
		f(b)
		for _, nested := range b.Body.Blocks {
			visit(nested)
		}
	}
	for _, b := range ex.blocks {
		visit(b)
	}
}

// refersTo reports whether any expression of the example refers to a variable named root (caller, each, …).
func (ex *exampleConfig) refersTo(root string) bool {
	found := false
	ex.walk(func(b *hclsyntax.Block) {
		for _, a := range b.Body.Attributes {
			for _, v := range a.Expr.Variables() {
				found = found || v.RootName() == root
			}
		}
	})
	return found
}

// requiredVersions are the example's required_version constraints (every terraform block's).
func (ex *exampleConfig) requiredVersions(t *testing.T) []goversion.Constraints {
	t.Helper()
	var out []goversion.Constraints
	for _, b := range ex.blocksOf("terraform") {
		a, ok := b.Body.Attributes["required_version"]
		if !ok {
			continue
		}
		s := literalString(t, a)
		c, err := goversion.NewConstraint(s)
		if err != nil {
			t.Fatalf("%s: required_version %q: %v", ex.dir, s, err)
		}
		out = append(out, c)
	}
	return out
}

// allows reports whether every required_version of the example admits version v.
func (ex *exampleConfig) allows(t *testing.T, v *goversion.Version) bool {
	for _, c := range ex.requiredVersions(t) {
		if !c.Check(v) {
			return false
		}
	}
	return true
}

// declaresProvider reports whether a terraform block of the example has a required_providers block.
func (ex *exampleConfig) declaresProvider() bool {
	for _, b := range ex.blocksOf("terraform") {
		for _, nested := range b.Body.Blocks {
			if nested.Type == "required_providers" {
				return true
			}
		}
	}
	return false
}

// localName is the local name the example uses for the provider: the one its provider blocks and provider
// arguments name (webhooks, or sellfern / selsup for the single-service pattern). Terraform allows one local name
// per provider source, so an example may use only one.
func (ex *exampleConfig) localName(t *testing.T) string {
	t.Helper()
	var names []string
	add := func(name string) {
		if (name == "webhooks" || name == "sellfern" || name == "selsup") && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	ex.walk(func(b *hclsyntax.Block) {
		if b.Type == "provider" && len(b.Labels) == 1 {
			add(b.Labels[0])
		}
		if a, ok := b.Body.Attributes["provider"]; ok {
			add(hcl.ExprAsKeyword(a.Expr))
		}
	})
	switch len(names) {
	case 0:
		return "webhooks"
	case 1:
		return names[0]
	}
	t.Fatalf("%s uses the local names %s for the provider: Terraform allows one per provider, so declare one and use it throughout",
		ex.dir, strings.Join(names, ", "))
	return ""
}

// literal evaluates an attribute that must be a literal (no references, no function calls).
func literal(t *testing.T, a *hclsyntax.Attribute) cty.Value {
	t.Helper()
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		t.Fatalf("%s: %s is not a literal value (%s); the test reads it to prepare the mock", a.SrcRange, a.Name, diags.Error())
	}
	return v
}

func literalString(t *testing.T, a *hclsyntax.Attribute) string {
	t.Helper()
	v := literal(t, a)
	if v.Type() != cty.String || v.IsNull() {
		t.Fatalf("%s: %s is not a string", a.SrcRange, a.Name)
	}
	return v.AsString()
}

// attrs are a block's literal attributes, read on demand.
type attrs struct {
	t     *testing.T
	block *hclsyntax.Block
}

func (a attrs) has(name string) bool { _, ok := a.block.Body.Attributes[name]; return ok }

func (a attrs) str(name string) string {
	if !a.has(name) {
		return ""
	}
	return literalString(a.t, a.block.Body.Attributes[name])
}

func (a attrs) strs(name string) []string {
	if !a.has(name) {
		return nil
	}
	v := literal(a.t, a.block.Body.Attributes[name])
	if !v.CanIterateElements() {
		a.t.Fatalf("%s: %s is not a list of strings", a.block.Body.Attributes[name].SrcRange, name)
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		out = append(out, e.AsString())
	}
	return out
}

func (a attrs) boolean(name string, def bool) bool {
	if !a.has(name) {
		return def
	}
	return literal(a.t, a.block.Body.Attributes[name]).True()
}

func (a attrs) integer(name string) int64 {
	if !a.has(name) {
		return 0
	}
	n, _ := literal(a.t, a.block.Body.Attributes[name]).AsBigFloat().Int(new(big.Int))
	return n.Int64()
}

// object reads an attribute that is a literal object of strings (an import block's identity).
func (a attrs) object(name string) map[string]string {
	if !a.has(name) {
		return nil
	}
	v := literal(a.t, a.block.Body.Attributes[name])
	out := map[string]string{}
	for k, e := range v.AsValueMap() {
		out[k] = e.AsString()
	}
	return out
}

// resourceAddr splits an import block's `to` (TYPE.NAME) into its parts; ok is false for any other form (an
// instance key, as for_each imports have).
func resourceAddr(a *hclsyntax.Attribute) (typ, name string, ok bool) {
	tr, diags := hcl.AbsTraversalForExpr(a.Expr)
	if diags.HasErrors() || len(tr) != 2 {
		return "", "", false
	}
	attr, isAttr := tr[1].(hcl.TraverseAttr)
	return tr.RootName(), attr.Name, isAttr
}

func (ex *exampleConfig) String() string { return fmt.Sprintf("%s (%d files)", ex.dir, len(ex.files)) }

// checkedDataSources counts the data sources nested in the example's check blocks.
func (ex *exampleConfig) checkedDataSources() int {
	n := 0
	for _, check := range ex.blocksOf("check") {
		for _, b := range check.Body.Blocks {
			if b.Type == "data" {
				n++
			}
		}
	}
	return n
}
