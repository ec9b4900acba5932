package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// goLimitName is a Go constant named in a message, as "more than 5000
// steps (MaxSteps)" or "(16 x MaxStringResult)": users do not know the
// program's source, and cannot change a constant; a message says the
// number and what to change in what they wrote.
var goLimitName = regexp.MustCompile(`\((\d+ x )?(Max|Min)[A-Z][A-Za-z]*[;)]`)

// TestMessagesNameNoGoConstant reads every string of the program's
// source (tests aside) and fails on one that names a Go constant as a
// limit's name.
func TestMessagesNameNoGoConstant(t *testing.T) {
	fset := token.NewFileSet()
	for _, root := range []string{"../../pkg", "../../internal", "."} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(lit.Value)
				if err == nil && goLimitName.MatchString(s) {
					t.Errorf("%s: a message names a Go constant: %s", fset.Position(lit.Pos()), goLimitName.FindString(s))
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
