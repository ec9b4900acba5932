package fsroot

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDefaultsNameTheTempDirOnce: run from the temp directory, the default
// roots are that directory once, not twice, as denials list them.
func TestDefaultsNameTheTempDirOnce(t *testing.T) {
	t.Chdir(os.TempDir())
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{wd}, Defaults()); diff != "" && wd == os.TempDir() {
		t.Errorf("Defaults() from the temp dir (-want +got):\n%s", diff)
	}
	t.Chdir(t.TempDir())
	if got := Defaults(); len(got) != 2 || got[1] != os.TempDir() {
		t.Errorf("Defaults() from elsewhere = %v; want the working and the temp directory", got)
	}
}
