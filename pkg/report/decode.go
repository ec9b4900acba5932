package report

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/arsenal-run/arsenal-run/internal/jsonx"
)

// Decode parses a JSON report of this FormatVersion. The values a run
// recorded (inputs, outputs, items) come back as the run held them: a
// whole number as an int, exactly, however large, and any other number as
// a float64, as operations return them (jsonx.Numbers). A resumed run
// reuses these outputs, so it must see the same values and types as the
// run that made them, and report show must print what the report holds.
func Decode(data []byte) (*Report, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var r Report
	if err := dec.Decode(&r); err != nil {
		return nil, decodeProblem(data, err)
	}
	if off := int(dec.InputOffset()); len(bytes.TrimSpace(data[off:])) > 0 {
		off += len(data[off:]) - len(bytes.TrimLeft(data[off:], " \t\r\n"))
		line, col := lineCol(data, off)
		return nil, &DecodeError{Line: line, Col: col, Msg: "more data after the report's JSON object"}
	}
	if r.ReportVersion == "" {
		return nil, &DecodeError{Msg: "it has no report_version, which every report arsenal-run writes has"}
	}
	if r.ReportVersion != FormatVersion {
		e := &DecodeError{Foreign: true, Msg: fmt.Sprintf("its report_version is %q, and this arsenal-run reads version %s: read it with the arsenal-run that wrote it", r.ReportVersion, FormatVersion)}
		if off, ok := seek(json.NewDecoder(bytes.NewReader(data)), data, []any{"report_version"}); ok {
			e.Line, e.Col = lineCol(data, off)
		}
		return nil, e
	}
	if err := unknownStatus(data, &r); err != nil {
		return nil, err
	}
	numbersInMap(r.Inputs)
	numbersInMap(r.Outputs)
	numbersInSteps(r.Steps)
	return &r, nil
}

func numbersInMap(m map[string]any) {
	for k, v := range m {
		m[k] = jsonx.Numbers(v)
	}
}

func numbersInSteps(steps []Step) {
	for i := range steps {
		s := &steps[i]
		s.Output = jsonx.Numbers(s.Output)
		for j := range s.Items {
			it := &s.Items[j]
			it.Item = jsonx.Numbers(it.Item)
			it.Output = jsonx.Numbers(it.Output)
		}
		numbersInSub(s.Sub)
		for _, sub := range s.Subs {
			numbersInSub(sub)
		}
	}
}

func numbersInSub(sub *SubRun) {
	if sub == nil {
		return
	}
	numbersInMap(sub.Outputs)
	numbersInSteps(sub.Steps)
}
