package ops

// Resources is what a local process used, from the rusage of the waited
// child: CPU time in user and system mode, and the peak resident set size.
// Operations that run processes (shell.exec, plugins) put it in their
// output under ResourcesKey; operations that run in-process report none,
// their step's duration is all there is.
type Resources struct {
	CPUUserMS int64 `json:"cpu_user_ms"`
	CPUSysMS  int64 `json:"cpu_sys_ms"`
	MaxRSSKB  int64 `json:"max_rss_kb"`
	// Signal names the signal that ended the process, if one did.
	Signal string `json:"signal,omitempty"`
}

// ResourcesKey is the output field that holds a Resources as a map.
const ResourcesKey = "resources"

// Map returns r as plain output data.
func (r Resources) Map() map[string]any {
	m := map[string]any{"cpu_user_ms": r.CPUUserMS, "cpu_sys_ms": r.CPUSysMS, "max_rss_kb": r.MaxRSSKB}
	if r.Signal != "" {
		m["signal"] = r.Signal
	}
	return m
}

// ResourcesField describes the resources output field, for specs.
var ResourcesField = Field{Name: ResourcesKey, Type: "map",
	Description: "what the process used, from the rusage of the waited child: cpu_user_ms, cpu_sys_ms, max_rss_kb (peak resident set), and signal when a signal ended it"}

// ResourcesOf reads the resources field of an operation's output (as an
// operation returned it, or decoded from JSON); ok is false when there is
// none.
func ResourcesOf(out any) (r Resources, ok bool) {
	m, _ := out.(map[string]any)
	res, _ := m[ResourcesKey].(map[string]any)
	if res == nil {
		return r, false
	}
	num := func(k string) (int64, bool) {
		switch v := res[k].(type) {
		case int64:
			return v, true
		case int:
			return int64(v), true
		case float64:
			return int64(v), true
		}
		return 0, false
	}
	var okU, okS, okR bool
	r.CPUUserMS, okU = num("cpu_user_ms")
	r.CPUSysMS, okS = num("cpu_sys_ms")
	r.MaxRSSKB, okR = num("max_rss_kb")
	r.Signal, _ = res["signal"].(string)
	return r, okU && okS && okR
}
