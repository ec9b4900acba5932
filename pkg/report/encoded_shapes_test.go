package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestSignEncodedEveryShapeAtOnce: reports of every shape signed at once
// from the kept encoders (a large one past the kept buffer, text json.Marshal
// escapes for HTML, members after the key id) are json.Marshal's bytes of
// the signed report, and verify.
func TestSignEncodedEveryShapeAtOnce(t *testing.T) {
	key := bytes.Repeat([]byte{9}, keyLen)
	shapes := []func(r *Report){
		func(*Report) {},
		func(r *Report) { r.Outputs = map[string]any{"html": "<a href=\"x\">&</a> \u2028\u2029 \xff"} },
		func(r *Report) { r.Outputs = map[string]any{"big": strings.Repeat("x<", maxKeptReportBuf)} },
		func(r *Report) {
			r.OutputBudget = &OutputBudget{LimitBytes: 10, KeptBytes: 5, CutOutputs: 1, CutBytes: 3}
		},
		func(r *Report) {
			r.AttemptBudget = &AttemptBudget{LimitBytes: 10, KeptBytes: 5, CutMessages: 1, CutBytes: 3}
		},
		func(r *Report) { r.Warnings = []string{"the playbook's file changed"} },
		func(r *Report) { r.Signature, r.KeyID = "stale", "stale" },
	}
	var wg sync.WaitGroup
	for i := range 3 * len(shapes) {
		wg.Go(func() {
			name := goldenInputs[i%len(goldenInputs)]
			mk := func() *Report {
				r := loadGolden(t, name)
				shapes[i%len(shapes)](r)
				return r
			}
			want := mk()
			if err := Sign(want, key); err != nil {
				t.Error(err)
				return
			}
			wantData, _ := json.Marshal(want)
			got, err := SignEncoded(mk(), key)
			if err != nil {
				t.Error(err)
				return
			}
			if !bytes.Equal(got, wantData) {
				t.Errorf("%s, shape %d: SignEncoded differs from json.Marshal", name, i%len(shapes))
			}
			if _, err := Verify(got, key); err != nil {
				t.Errorf("%s, shape %d: %v", name, i%len(shapes), fmt.Sprint(err))
			}
		})
	}
	wg.Wait()
}
