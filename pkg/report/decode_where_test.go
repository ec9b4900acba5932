package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadSaysWhereAndWhyAFileIsNoReport: a report cut off (a copy that
// stopped, a full disk), hand-edited into bad JSON, holding a value of the
// wrong type, or some other JSON is refused naming the file, the line and
// column and what is wrong there, in words, not Go's type names.
func TestReadSaysWhereAndWhyAFileIsNoReport(t *testing.T) {
	dir := t.TempDir()
	const good = "{\n  \"report_version\": \"1\",\n  \"run_id\": \"r\",\n  \"status\": \"succeeded\",\n  \"steps\": []\n}\n"
	for _, c := range []struct{ name, data, want string }{
		{"cut.json", good[:40], "cut.json:3:14: not a report: the file ends in the middle of its JSON"},
		{"edited.json", strings.Replace(good, `"status"`, `status`, 1), "edited.json:4:3: not a report: invalid character 's' looking for beginning of object key string"},
		{"typed.json", strings.Replace(good, `"succeeded"`, `5`, 1), `typed.json:4:13: not a report: "status" holds a number, where a report has a string`},
		{"list.json", "[1, 2]\n", "list.json:1:1: not a report: it holds a JSON array, where a report is an object"},
		{"other.json", "{\"foo\": 1}\n", "other.json: not a report: it has no report_version, which every report arsenal-run writes has"},
		{"empty.json", "", "empty.json: not a report: it is empty"},
		{"steps.json", strings.Replace(good, `[]`, `[{"id": "a", "status": ["x"]}]`, 1), `steps.json:5:35: not a report: "steps.status" holds an array, where a report has a string`},
		{"quoted.json", strings.Replace(good, `[]`, `"s\\\"t"`, 1), `quoted.json:5:12: not a report: "steps" holds a string, where a report has a list`},
		{"after.json", good + "{}\n", "after.json:7:1: not a report: more data after the report's JSON object"},
	} {
		path := filepath.Join(dir, c.name)
		if err := os.WriteFile(path, []byte(c.data), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Read(path)
		if err == nil || !strings.HasPrefix(err.Error(), filepath.Join(dir, c.want)) {
			t.Errorf("Read(%s) = %v\nwant it to start %q", c.name, err, filepath.Join(dir, c.want))
		}
	}
	// --resume with a state dir checks the signature first, and says the same.
	_, err := Verify([]byte(good[:40]), []byte("0123456789abcdef0123456789abcdef"))
	if err == nil || !strings.HasPrefix(InFile("cut.json", err).Error(), "cut.json:3:14: not a report: the file ends in the middle") {
		t.Errorf("Verify of a report cut off = %v", err)
	}
	if _, err := Decode([]byte(`{"report_version": "7"}`)); err == nil || err.Error() != `line 1, column 20: a report this arsenal-run cannot read: its report_version is "7", and this arsenal-run reads version 1: read it with the arsenal-run that wrote it` {
		t.Errorf("Decode of a report of another version = %v", err)
	}
}
