package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// linkedPages are the Markdown pages whose links are checked: the registry docs and the repository's own pages.
var linkedPages = []string{"docs/*.md", "docs/*/*.md", "*.md", "internal/mockserver/README.md"}

// markdownLink is an inline link's target, [text](target), up to the first white space or ")".
var markdownLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// repositoryURL is how pages link to a file of the repository by its address on GitHub.
const repositoryURL = "https://github.com/seed/terraform-provider-webhooks/blob/main/"

// TestDocsLinks: every link from one page of the repository to another (relative, or by the repository's GitHub
// address) names a file that exists, and a heading or anchor that page has. The registry and GitHub make an anchor
// of each heading; a heading renamed without its links leaves readers at the top of a long page.
func TestDocsLinks(t *testing.T) {
	var pages []string
	for _, pattern := range linkedPages {
		matches, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, matches...)
	}
	if len(pages) < 15 {
		t.Fatalf("found %d pages to check (%v): the patterns no longer find the docs", len(pages), pages)
	}
	anchors := map[string]map[string]bool{}
	anchorsOf := func(page string) (map[string]bool, error) {
		if a, ok := anchors[page]; ok {
			return a, nil
		}
		text, err := os.ReadFile(page)
		if err != nil {
			return nil, err
		}
		anchors[page] = pageAnchors(string(text))
		return anchors[page], nil
	}
	checked := 0
	for _, page := range pages {
		text, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for n, line := range proseLines(string(text)) {
			for _, m := range markdownLink.FindAllStringSubmatch(line, -1) {
				target := m[1]
				var file string
				switch {
				case strings.HasPrefix(target, repositoryURL):
					file = strings.TrimPrefix(target, repositoryURL)
				case strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:"):
					continue // another site: not checked here
				default:
					file = target
				}
				file, anchor, _ := strings.Cut(file, "#")
				switch {
				case file == "":
					file = page
				case !strings.HasPrefix(target, repositoryURL):
					file = filepath.Join(filepath.Dir(page), file)
				}
				checked++
				info, err := os.Stat(file)
				if err != nil {
					t.Errorf("%s:%d: the link %s leads to %s, which does not exist", page, n, target, file)
					continue
				}
				if anchor == "" || info.IsDir() || !strings.HasSuffix(file, ".md") {
					continue
				}
				a, err := anchorsOf(file)
				if err != nil {
					t.Fatal(err)
				}
				if !a[anchor] {
					t.Errorf("%s:%d: the link %s names #%s, which %s has no heading for", page, n, target, anchor, file)
				}
			}
		}
	}
	if checked < 50 {
		t.Fatalf("checked %d links: the pattern no longer finds them", checked)
	}
}

// proseLines returns the page's lines by their line number, leaving out fenced code, whose brackets are not links.
func proseLines(text string) map[int]string {
	out := map[int]string{}
	fenced := false
	for i, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if !fenced {
			out[i+1] = line
		}
	}
	return out
}

// explicitAnchor is an anchor a page sets itself, as tfplugindocs does for nested schemas.
var explicitAnchor = regexp.MustCompile(`<a id="([^"]+)"`)

// pageAnchors returns the anchors of a page: each heading's, made as GitHub and the Terraform registry make them
// (lower case; letters, digits, "-" and "_" kept, spaces to "-", everything else dropped; a repeated one gets
// "-1", "-2" …), and those it sets with <a id="…">.
func pageAnchors(text string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	for _, line := range proseLines(text) {
		for _, m := range explicitAnchor.FindAllStringSubmatch(line, -1) {
			out[m[1]] = true
		}
		heading := strings.TrimLeft(line, "#")
		if heading == line || !strings.HasPrefix(heading, " ") {
			continue
		}
		var b strings.Builder
		for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				b.WriteRune(r)
			}
		}
		slug := b.String()
		if n := seen[slug]; n > 0 {
			out[slug+"-"+strconv.Itoa(n)] = true
		} else {
			out[slug] = true
		}
		seen[slug]++
	}
	return out
}
