package doccheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// verbRE matches a fmt verb in a format string.
var verbRE = regexp.MustCompile(`%[-+# 0]*[0-9]*(?:\.[0-9]*)?[a-zA-Z%]`)

// message is a string literal of pgtwin's source, as a pattern.
type message struct {
	text  string
	start *regexp.Regexp // matches a message that begins with it
	end   *regexp.Regexp // matches a message that ends with it
	// contains matches a message that holds it
	contains *regexp.Regexp
	letters  int // letters outside the verbs
}

// sourceMessages returns the string literals of pgtwin's non-test Go
// files (cmd/ and internal/) that hold at least ten letters outside fmt
// verbs: every message pgtwin prints is made of such literals.
func sourceMessages(t *testing.T) []message {
	t.Helper()
	var msgs []message
	for _, dir := range []string{"cmd", "internal"} {
		err := filepath.WalkDir(filepath.Join(repoRoot, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					return true
				}
				s = strings.TrimSpace(s)
				plain := verbRE.ReplaceAllString(s, "")
				letters := len(regexp.MustCompile(`[A-Za-z]`).FindAllString(plain, -1))
				if letters < 10 {
					return true
				}
				var re strings.Builder
				last := 0
				for _, m := range verbRE.FindAllStringIndex(s, -1) {
					re.WriteString(regexp.QuoteMeta(s[last:m[0]]))
					if s[m[0]:m[1]] == "%%" {
						re.WriteString("%")
					} else {
						re.WriteString(".*?")
					}
					last = m[1]
				}
				re.WriteString(regexp.QuoteMeta(s[last:]))
				msgs = append(msgs, message{
					text:     s,
					start:    regexp.MustCompile(`^(?s)` + re.String()),
					end:      regexp.MustCompile(`(?s)` + re.String() + `$`),
					contains: regexp.MustCompile(`(?s)` + re.String()),
					letters:  letters,
				})
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(msgs) < 50 {
		t.Fatalf("found only %d messages in the source", len(msgs))
	}
	return msgs
}

// configPrefixRE is the FILE:LINE: KEY: prefix of a config error.
var configPrefixRE = regexp.MustCompile(`^[^\s:]+:\d+: [^\s:]+: `)

// TestTroubleshootingMessagesExist checks every message quoted in
// docs/troubleshooting.md and docs/twin-files.md (a line starting with
// "pgtwin: " in a text block) against pgtwin's source: it must begin with
// one of the source's message texts and end with one, so that a reworded
// message sends the doc back to be updated (and users searching for the
// message find it).
func TestTroubleshootingMessagesExist(t *testing.T) {
	msgs := sourceMessages(t)
	for doc, least := range map[string]int{"troubleshooting.md": 15, "twin-files.md": 8} {
		if n := checkQuotedMessages(t, msgs, doc); n < least {
			t.Errorf("docs/%s quotes only %d messages", doc, n)
		}
	}
}

// checkQuotedMessages checks the messages docs/doc quotes and returns how
// many it quotes.
func checkQuotedMessages(t *testing.T, msgs []message, doc string) int {
	t.Helper()
	data, err := os.ReadFile(repoRoot + "/docs/" + doc)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range fenceRE.FindAllStringSubmatch(string(data), -1) {
		if m[1] != "text" {
			continue
		}
		for _, line := range strings.Split(m[2], "\n") {
			quoted, ok := strings.CutPrefix(line, "pgtwin: ")
			if !ok {
				continue
			}
			n++
			candidates := []string{line, quoted}
			serverWords := false
			if p := configPrefixRE.FindString(quoted); p != "" {
				candidates = append(candidates, quoted[len(p):])
				// A SQL fragment's error is the server's message, with
				// pgtwin's words ("(at character …)") inside it.
				serverWords = true
			}
			begins, ends := false, false
			for _, c := range candidates {
				for _, msg := range msgs {
					begins = begins || msg.start.MatchString(c)
					ends = ends || msg.end.MatchString(c)
					if serverWords && !begins && !ends && msg.contains.MatchString(c) {
						begins, ends = true, true
					}
				}
			}
			if !begins || !ends {
				t.Errorf("docs/%s quotes a message pgtwin's source does not make (begins: %v, ends: %v):\n  %s", doc, begins, ends, line)
			}
		}
	}
	return n
}

// linkRE matches a Markdown link target.
var linkRE = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestDocLinks checks the relative links of docs/*.md, and README.md's
// links into docs/ and examples/: each names a file that exists, and each
// #section a heading of that file.
func TestDocLinks(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no docs: %v", err)
	}
	files = append(files, filepath.Join(repoRoot, "README.md"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		readme := filepath.Base(f) == "README.md"
		for _, m := range linkRE.FindAllStringSubmatch(string(data), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			if readme && !strings.HasPrefix(target, "docs/") && !strings.HasPrefix(target, "examples/") {
				continue
			}
			path, frag, _ := strings.Cut(target, "#")
			dest := f
			if path != "" {
				dest = filepath.Join(filepath.Dir(f), filepath.FromSlash(path))
				if _, err := os.Stat(dest); err != nil {
					t.Errorf("%s links to %s, which does not exist", rel(f), target)
					continue
				}
			}
			if frag == "" {
				continue
			}
			b, err := os.ReadFile(dest)
			if err != nil {
				t.Errorf("%s links to %s: %v", rel(f), target, err)
				continue
			}
			found := false
			for _, h := range regexp.MustCompile(`(?m)^#+ (.+)$`).FindAllStringSubmatch(string(b), -1) {
				found = found || anchor(h[1]) == frag
			}
			if !found {
				t.Errorf("%s links to %s, but %s has no such section", rel(f), target, rel(dest))
			}
		}
	}
}

func rel(path string) string {
	r, err := filepath.Rel(repoRoot, path)
	if err != nil {
		return path
	}
	return r
}
