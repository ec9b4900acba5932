package cli

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// goAPI returns, by package name, the exported names the packages under
// pkg/ declare: functions, types, variables and constants as Name, methods
// and struct fields as Type.Name.
func goAPI(t *testing.T) map[string]map[string]bool {
	t.Helper()
	api := map[string]map[string]bool{}
	root := filepath.Join("..", "..", "pkg")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		pkgs, err := parser.ParseDir(token.NewFileSet(), path, func(fi os.FileInfo) bool {
			return !strings.HasSuffix(fi.Name(), "_test.go")
		}, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for name, pkg := range pkgs {
			names := api[name]
			if names == nil {
				names = map[string]bool{}
				api[name] = names
			}
			for _, f := range pkg.Files {
				for _, decl := range f.Decls {
					switch d := decl.(type) {
					case *ast.FuncDecl:
						if d.Recv == nil {
							names[d.Name.Name] = true
							continue
						}
						recv := d.Recv.List[0].Type
						if s, ok := recv.(*ast.StarExpr); ok {
							recv = s.X
						}
						if id, ok := recv.(*ast.Ident); ok {
							names[id.Name+"."+d.Name.Name] = true
						}
					case *ast.GenDecl:
						for _, spec := range d.Specs {
							switch s := spec.(type) {
							case *ast.TypeSpec:
								names[s.Name.Name] = true
								if st, ok := s.Type.(*ast.StructType); ok {
									for _, fl := range st.Fields.List {
										for _, n := range fl.Names {
											names[s.Name.Name+"."+n.Name] = true
										}
									}
								}
							case *ast.ValueSpec:
								for _, n := range s.Names {
									names[n.Name] = true
								}
							}
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return api
}

// TestDocsNameGoAPIThatExists: a Go name the README or the docs give in
// code, `pkg.Name` or `pkg.Type.Method` with pkg a package of this module,
// is declared there, so that a reader building on it finds it.
func TestDocsNameGoAPIThatExists(t *testing.T) {
	api := goAPI(t)
	docs, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"README.md"}
	for _, d := range docs {
		names = append(names, "docs/"+filepath.Base(d))
	}
	ref := regexp.MustCompile("`([a-z][a-z0-9]*)\\.([A-Z]\\w*(?:\\.[A-Z]\\w*)?)[`(]")
	checked := 0
	for _, doc := range names {
		for _, m := range ref.FindAllStringSubmatch(repoFile(t, doc), -1) {
			pkg, name := m[1], m[2]
			declared, ok := api[pkg]
			if !ok || strings.ToUpper(name) == name {
				// Not a package of this module (http.StatusOK), or a
				// placeholder of an expression (steps.ID).
				continue
			}
			checked++
			if !declared[name] {
				t.Errorf("%s names %s.%s, which package %s does not declare", doc, pkg, name, pkg)
			}
		}
	}
	if checked < 10 {
		t.Errorf("checked %d Go names; docs/extending.md alone gives more", checked)
	}
}
