package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"reflect"
	"strings"
	"sync"
)

//go:embed report.html.tmpl
var htmlSource string

// htmlTemplate is parsed once, on first use rather than at program start
// (most runs never render HTML); html/template escapes every value by
// context, so report text (outputs, errors, item values) is always data.
var htmlTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"icon":     Icon,
		"ms":       FormatMS,
		"utc":      utc,
		"dur":      durText,
		"step":     stepTime,
		"ranFacts": ranFacts,
		"offset":   offset,
		"plain":    plainText,
	}).Parse(htmlSource))
})

// Limits that keep the HTML page quick to open.
const (
	htmlMaxItems    = 500      // item rows per step in the details
	htmlMaxNested   = 100      // nested step rows per step in the details
	htmlOutputLimit = 16 << 10 // bytes of one output or error block
)

type htmlPage struct {
	R      *Report
	Counts string
	// Notes are what the summary's first line says of the notify:
	// entries that did not go out as written (NotifyNotes).
	Notes []string
	// Budgets say what the run cut over its budgets (BudgetNotes).
	Budgets  []BudgetNote
	Timeline timeline
	Inputs   []htmlKV
	Outputs  []htmlKV
	Steps    []htmlStep
}

type htmlKV struct{ Key, Value, Error string }

type htmlStep struct {
	*Step
	Label, Anchor string
	Open          bool
	// Excused is set on a failed step whose continue_on_error let the
	// run go on, Recovered on one its rescue steps recovered.
	Excused     bool
	Recovered   bool
	ErrorText   string
	OutputText  string
	Items       []htmlItem
	MoreItems   int
	ItemSummary string
	CacheNote   string
	Resources   string
	// Nested are the steps of its sub-runs that did not succeed
	// (nestedSteps), MoreNested how many more the report has.
	Nested     []htmlNested
	MoreNested int
	// NestedOutputs are the outputs of its sub-runs that could not be
	// computed (nestedOutputErrors).
	NestedOutputs []htmlNestedOut
	// AttemptRows are its attempt log, with a row in the place of the
	// attempts it leaves out.
	AttemptRows []attemptRow
	// Reason is the step's reason unless it repeats its error
	// (shownReason); RefusedWhenRan is set on a step of an older report
	// whose role allowed it but whose target was refused when it ran
	// (refusedWhenRan).
	Reason         string
	RefusedWhenRan bool
	// Notification is, on a notify: entry that was to be sent, what its
	// message reached: "sent", "not sent", "sent to 2 of 3 recipients".
	Notification string
}

// htmlNested is a nested step in its top-level step's details, with the
// note its row would have in the text summary, but longer.
// Its path and op cells break only where one is wider than the table can
// be (overflow-wrap:break-word), where the other cells break anywhere: a
// short path, fan[b]/say, keeps its room beside a long error.
type htmlNested struct {
	*Step
	Path, Note string
}

// htmlNestedOut is an output of a sub-run that could not be computed:
// the path of the step that ran it, the output's name and why.
type htmlNestedOut struct{ Path, Name, Why string }

type htmlItem struct {
	*Item
	Value, ErrorText string
}

// WriteTimelineSVG writes the timeline of the HTML report on its own, as
// one SVG document with its styles inside (light and dark), for a page that
// shows it as an image (the web console). It works for the report of a run
// still going: the steps so far are laid out on the time they took.
func WriteTimelineSVG(w io.Writer, r *Report) error {
	tl := newTimeline(plainReport(r))
	tl.Standalone = true
	var b strings.Builder
	if err := htmlTemplate().ExecuteTemplate(&b, "timeline", tl); err != nil {
		return fmt.Errorf("render timeline: %w", err)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteHTML writes r as one self-contained HTML page: inline CSS and SVG, no
// external assets, readable without JavaScript (a few lines of inline script
// only open a step's details when its bar is clicked). It has the run
// summary, a timeline of steps, attempts and fan-out items on a time axis
// from the run's start, and each step's details and output. Each step's bar
// carries data-step="ID", once per step.
func WriteHTML(w io.Writer, r *Report) error {
	r = plainReport(r)
	page := htmlPage{R: r, Counts: statusCounts(r.Steps), Notes: NotifyNotes(r.Steps), Budgets: BudgetNotes(r), Timeline: newTimeline(r)}
	for _, k := range sortedKeys(r.Inputs) {
		page.Inputs = append(page.Inputs, htmlKV{Key: plainText(k), Value: excerpt(inline(r.Inputs[k]), 2048)})
	}
	for _, k := range sortedKeys(r.Outputs) {
		page.Outputs = append(page.Outputs, htmlKV{Key: plainText(k), Value: excerpt(outputText(r.Outputs[k]), htmlOutputLimit)})
	}
	for _, k := range sortedKeys(r.OutputErrors) {
		page.Outputs = append(page.Outputs, htmlKV{Key: k, Error: plainText(r.OutputErrors[k])})
	}
	for i := range r.Steps {
		s := &r.Steps[i]
		hs := htmlStep{
			Step: s, Label: stepLabel(s), Anchor: stepAnchor(s), Open: failedLike(s.Status), Excused: ignored(s), Recovered: rescued(s),
			OutputText: excerpt(outputText(s.Output), htmlOutputLimit),
			CacheNote:  cacheNote(s), Resources: resourcesNote(s.Output),
			Reason: shownReason(s), RefusedWhenRan: refusedWhenRan(s),
			Notification: notificationWord(NotificationOf(s)),
		}
		if s.Error != nil {
			hs.ErrorText = excerpt(s.Error.Message, htmlOutputLimit)
		}
		hs.AttemptRows = attemptRows(s.AttemptLog, s.AttemptsOmittedFailed, 0)
		if fanOut(s) {
			hs.ItemSummary = itemSummary(s.Items)
			var listed []int
			listed, hs.MoreItems = shownItems(s.Items, htmlMaxItems, true)
			for _, j := range listed {
				it := &s.Items[j]
				hi := htmlItem{Item: it, Value: clip(plainText(itemName(it)), 200)}
				if !showsReason(it) {
					hi.ErrorText = oneLine(errText(RanError(it.Error, it.Authorization)), 300)
				} else if it.Reason != "" {
					hi.ErrorText = clip(plainText(it.Reason), 300)
				} else {
					hi.ErrorText = itemCacheNote(it)
				}
				hs.Items = append(hs.Items, hi)
			}
		}
		list, more := nestedSteps(s, htmlMaxNested)
		for _, n := range list {
			hs.Nested = append(hs.Nested, htmlNested{Step: n.Step, Path: plainText(n.Path), Note: nestedNote(&n, 300, true)})
		}
		hs.MoreNested = more
		for _, o := range nestedOutputErrors(s) {
			hs.NestedOutputs = append(hs.NestedOutputs, htmlNestedOut{Path: plainText(o.Path), Name: plainText(o.Name), Why: plainText(o.Why)})
			hs.Open = true // the null it handed on is explained only here
		}
		page.Steps = append(page.Steps, hs)
	}
	var b strings.Builder
	if err := htmlTemplate().Execute(&b, page); err != nil {
		return fmt.Errorf("render html: %w", err)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// plainReport returns a copy of r whose text fields (the playbook's name,
// step ids, ops, roles, rules, reasons...) are plainText, as the other
// formats show them. html/template escapes markup, not control
// characters: a report written by hand could carry terminal escapes to
// whoever views the page's source or copies from it. The inputs, outputs
// and items (any) are left as they are: the page shows their names
// through plainText and their values through excerpt, which cleans them
// after they are formatted.
func plainReport(r *Report) *Report {
	if r == nil {
		return nil
	}
	return plainValue(reflect.ValueOf(r)).Interface().(*Report)
}

func plainValue(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.String:
		out := reflect.New(v.Type()).Elem()
		out.SetString(plainText(v.String()))
		return out
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		out := reflect.New(v.Type().Elem())
		out.Elem().Set(plainValue(v.Elem()))
		return out
	case reflect.Struct:
		out := reflect.New(v.Type()).Elem()
		out.Set(v) // time.Time and its like keep their unexported fields
		for i := range v.NumField() {
			if f := out.Field(i); f.CanSet() {
				f.Set(plainValue(v.Field(i)))
			}
		}
		return out
	case reflect.Slice:
		if v.IsNil() || v.Type().Elem().Kind() == reflect.Uint8 {
			return v
		}
		out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			out.Index(i).Set(plainValue(v.Index(i)))
		}
		return out
	case reflect.Map:
		if v.IsNil() || v.Type().Elem().Kind() == reflect.Interface {
			return v
		}
		out := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			out.SetMapIndex(plainValue(it.Key()), plainValue(it.Value()))
		}
		return out
	}
	// Numbers, booleans and the any values of inputs, outputs and items.
	return v
}
