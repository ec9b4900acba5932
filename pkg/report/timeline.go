package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Timeline geometry for the HTML report: one row per step on a shared time
// axis from the run's start. A step that ran is a bar from its start for its
// duration; with retries, each attempt is a segment on the bar, so the
// backoff gaps show. Fan-out items are thin bars in lanes under the step's
// bar (a lane per concurrently running item), or, past timelineMaxItems
// items or timelineMaxLanes lanes, one band whose shade says how many items
// ran in each slice of time. A step that never ran is a short marker with
// the reason beside it, where the steps listed before it had ended: the
// report records no time for it, and a step skipped because of the steps
// it followed was skipped when they ended, not at the run's start. A step
// reused from the resumed run is such a marker, without item lanes: its
// items ran in that run. No bar reaches past the axis at either end.
const (
	tlLabelW         = 210.0
	tlChartW         = 760.0
	tlAxisH          = 26.0
	tlRowH           = 24.0
	tlBarH           = 14.0
	tlLaneH          = 5.0
	tlBandH          = 10.0
	tlMinW           = 2.0
	tlBuckets        = 152
	timelineMaxItems = 300
	timelineMaxLanes = 16
)

type timeline struct {
	// Standalone puts the styles into the SVG itself, for an SVG served
	// on its own (WriteTimelineSVG) rather than inside the HTML report.
	Standalone    bool
	Width, Height string
	AxisY         string
	GridEnd       string
	ChartX        string
	ChartEnd      string
	Ticks         []tlTick
	Rows          []tlRow
	Legend        []tlLegend
}

type tlTick struct{ X, Label string }

type tlLegend struct {
	X, Y, TextX, TextY string
	Status             Status
	Label              string
}

type tlRow struct {
	ID, Label, Anchor string
	Status            Status
	Y, TextY, LineY   string
	Bar               tlRect
	Attempts          []tlRect
	Items             []tlRect
	Band              []tlRect
	Note              string
	NoteX             string
}

type tlRect struct {
	X, Y, W, H string
	Status     Status
	Title      string
	N          int    // attempt number or item index
	Opacity    string // for band slices
}

func px(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) }

// newTimeline lays out r's steps.
func newTimeline(r *Report) timeline {
	span := max(r.DurationMS, 1)
	for _, s := range r.Steps {
		if s.StartedAt != nil {
			span = max(span, s.StartedAt.Sub(r.StartedAt).Milliseconds()+s.DurationMS)
		}
	}
	x := func(t time.Time) float64 {
		ms := float64(t.Sub(r.StartedAt).Milliseconds())
		return tlLabelW + min(max(ms, 0), float64(span))/float64(span)*tlChartW
	}
	// bar places what ran from t for ms on the axis: cut where it starts
	// before the run (or after its span) or ends after it, and at least
	// tlMinW wide so that an instant shows, never past the axis's end.
	bar := func(t time.Time, ms int64) (bx, bw float64) {
		bx = x(t)
		bw = max(x(t.Add(time.Duration(ms)*time.Millisecond))-bx, tlMinW)
		return min(bx, tlLabelW+tlChartW-bw), bw
	}

	tl := timeline{ChartX: px(tlLabelW), ChartEnd: px(tlLabelW + tlChartW), AxisY: px(tlAxisH - 6)}
	for _, ms := range ticks(span) {
		label := FormatMS(ms)
		if ms == 0 {
			label = "0"
		}
		tl.Ticks = append(tl.Ticks, tlTick{X: px(tlLabelW + float64(ms)/float64(span)*tlChartW), Label: label})
	}
	y := tlAxisH + 4
	var ended time.Time // when the steps so far had all ended
	for i := range r.Steps {
		s := &r.Steps[i]
		row := tlRow{ID: s.ID, Label: clip(stepLabel(s), 28), Anchor: stepAnchor(s), Status: s.Status}
		items := timedItems(s)
		lanes, laneOf := itemLanes(items)
		h := tlRowH
		band := len(items) > timelineMaxItems || lanes > timelineMaxLanes
		switch {
		case band:
			h += tlBandH + 2
		case lanes > 0:
			h += float64(lanes)*tlLaneH + 2
		}
		row.Y, row.TextY, row.LineY = px(y), px(y+tlBarH-2), px(y+h-4)
		dur := s.DurationMS
		title := strings.Join(append([]string{fmt.Sprintf("%s (%s): %s", stepLabel(s), s.Op, s.Status)}, ranFacts(s)...), ", ")
		if s.Status == statusRunning && s.StartedAt != nil {
			// A live run's snapshot: the bar grows to now, the end of the
			// run so far.
			dur = max(r.DurationMS-s.StartedAt.Sub(r.StartedAt).Milliseconds(), 0)
			title = fmt.Sprintf("%s (%s): running for %s", stepLabel(s), s.Op, FormatMS(dur))
		}
		switch {
		case rescued(s):
			title += " (rescued)"
		case ignored(s):
			title += " (" + IgnoredNote + ")"
		}
		if n := s.AttemptsOmitted; n > 0 {
			title += fmt.Sprintf(" (%d not drawn: the report leaves them out)", n)
		}
		if e := errText(s.Error); e != "" {
			title += "\n" + oneLine(e, 200)
		}
		if c := cacheNote(s); c != "" {
			title += "\n" + c
		}
		var end float64
		if s.StartedAt == nil {
			bx := tlLabelW
			if !ended.IsZero() {
				bx = min(x(ended), tlLabelW+tlChartW-4)
			}
			row.Bar = tlRect{X: px(bx), Y: px(y), W: px(4), H: px(tlBarH), Status: s.Status, Title: title}
			end = bx + 4
		} else {
			bx, bw := bar(*s.StartedAt, dur)
			row.Bar = tlRect{X: px(bx), Y: px(y), W: px(bw), H: px(tlBarH), Status: s.Status, Title: title}
			end = bx + bw
			if e := s.StartedAt.Add(time.Duration(dur) * time.Millisecond); e.After(ended) {
				ended = e
			}
		}
		if s.StartedAt == nil || s.Status == StatusSkipped {
			// Say why there is no bar to speak of, where the text fits.
			row.NoteX = px(min(end+6, tlLabelW+tlChartW-300))
			switch {
			case s.Reused:
				row.Note = string(s.Status) + ": output reused from the resumed run"
			case s.Reason != "":
				// A denied step's reason says "denied: " itself.
				note := s.Reason
				if !strings.HasPrefix(note, string(s.Status)+": ") {
					note = string(s.Status) + ": " + note
				}
				row.Note = clip(plainText(note), 110)
			default:
				row.Note = string(s.Status)
			}
		}
		for _, a := range s.AttemptLog {
			st := attemptStatus(&a)
			t := fmt.Sprintf("attempt %d: %s, %s", a.Attempt, st, FormatMS(a.DurationMS))
			if a.Error != nil {
				t += "\n" + oneLine(errText(a.Error), 200)
			}
			ax, aw := bar(a.StartedAt, a.DurationMS)
			row.Attempts = append(row.Attempts, tlRect{X: px(ax), Y: px(y + 2), W: px(aw), H: px(tlBarH - 4), Status: st, Title: t, N: a.Attempt})
		}
		iy := y + tlBarH + 2
		if band {
			row.Band = itemBand(r, items, span, iy)
		} else {
			for j := range items {
				it := &items[j]
				if it.StartedAt == nil {
					continue
				}
				t := fmt.Sprintf("%s: %s, %s\nitem: %s", itemLabel(s, it), it.Status, FormatMS(it.DurationMS), clip(plainText(inline(it.Item)), 120))
				if e := errText(it.Error); e != "" {
					t += "\n" + oneLine(e, 200)
				}
				ly := iy + float64(laneOf[j])*tlLaneH
				ix, iw := bar(*it.StartedAt, it.DurationMS)
				row.Items = append(row.Items, tlRect{X: px(ix), Y: px(ly), W: px(iw), H: px(tlLaneH - 1), Status: it.Status, Title: t, N: it.Index})
			}
		}
		tl.Rows = append(tl.Rows, row)
		y += h
	}
	tl.GridEnd = px(y)
	y += 8
	lx := tlLabelW
	legend := []Status{StatusSucceeded, StatusFailed, StatusDenied, StatusCancelled, StatusSkipped}
	if slices.ContainsFunc(r.Steps, func(s Step) bool { return s.Status == statusRunning }) {
		legend = append(legend, statusRunning)
	}
	for _, st := range legend {
		tl.Legend = append(tl.Legend, tlLegend{X: px(lx), Y: px(y), TextX: px(lx + 16), TextY: px(y + 10), Status: st, Label: string(st)})
		lx += 110
	}
	tl.Width, tl.Height = px(tlLabelW+tlChartW+20), px(y+20)
	return tl
}

// timedItems are the items of s the timeline draws: none for a step
// reused from the resumed run, whose items ran in that run, before this
// one started; drawn on this run's axis they would span all of it.
func timedItems(s *Step) []Item {
	if s.Reused {
		return nil
	}
	return s.Items
}

// itemLanes assigns started items to lanes so that no two items in a lane
// overlap in time; it returns the number of lanes and each item's lane.
func itemLanes(items []Item) (int, []int) {
	if len(items) == 0 || len(items) > timelineMaxItems {
		return 0, nil
	}
	order := make([]int, 0, len(items))
	for i := range items {
		if items[i].StartedAt != nil {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return items[a].StartedAt.Compare(*items[b].StartedAt) })
	laneOf := make([]int, len(items))
	var ends []time.Time
	for _, i := range order {
		start := *items[i].StartedAt
		end := start.Add(time.Duration(items[i].DurationMS) * time.Millisecond)
		lane := slices.IndexFunc(ends, func(e time.Time) bool { return !e.After(start) })
		if lane < 0 {
			lane = len(ends)
			ends = append(ends, end)
		} else {
			ends[lane] = end
		}
		laneOf[i] = lane
	}
	return len(ends), laneOf
}

// itemBand summarises many items: the chart is cut into tlBuckets slices;
// each slice where items ran gets a rectangle coloured by the worst status
// among them and shaded by how many ran, relative to the busiest slice.
func itemBand(r *Report, items []Item, span int64, y float64) []tlRect {
	type bucket struct {
		n     int
		worst Status
	}
	bs := make([]bucket, tlBuckets)
	per := float64(span) / tlBuckets
	for i := range items {
		it := &items[i]
		if it.StartedAt == nil {
			continue
		}
		from := float64(it.StartedAt.Sub(r.StartedAt).Milliseconds())
		to := from + float64(it.DurationMS)
		for k := max(int(from/per), 0); k <= min(int(to/per), tlBuckets-1); k++ {
			bs[k].n++
			if severity(it.Status) > severity(bs[k].worst) {
				bs[k].worst = it.Status
			}
		}
	}
	peak := 0
	for _, b := range bs {
		peak = max(peak, b.n)
	}
	var out []tlRect
	bw := tlChartW / tlBuckets
	for k, b := range bs {
		if b.n == 0 {
			continue
		}
		out = append(out, tlRect{
			X: px(tlLabelW + float64(k)*bw), Y: px(y), W: px(bw), H: px(tlBandH), Status: b.worst,
			Title:   plural(b.n, "item", "items") + " running",
			Opacity: strconv.FormatFloat(0.25+0.75*float64(b.n)/float64(peak), 'f', 2, 64),
		})
	}
	return out
}

func severity(s Status) int {
	switch s {
	case StatusSucceeded:
		return 1
	case StatusSkipped:
		return 2
	case StatusCancelled:
		return 3
	case StatusDenied:
		return 4
	case StatusFailed:
		return 5
	}
	return 0
}

// ticks returns axis marks at a round interval (1, 2 or 5 times a power of
// ten milliseconds), about six across the span.
func ticks(span int64) []int64 {
	step := int64(1)
search:
	for p := int64(1); ; p *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if span/(m*p) <= 6 {
				step = m * p
				break search
			}
		}
	}
	var out []int64
	for t := int64(0); t <= span; t += step {
		out = append(out, t)
	}
	return out
}

// stepAnchor is the id of a step's details element.
func stepAnchor(s *Step) string {
	if s.Section != "" && s.Section != "steps" {
		return "step-" + s.Section + "-" + s.ID
	}
	return "step-" + s.ID
}
