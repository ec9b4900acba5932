package server

import (
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// series keeps the counters of one label (a route, an operation) by their
// second label (a status code, an outcome), found once: a request then
// counts without WithLabelValues, which hashes its labels and takes the
// vector's lock every time. A series is made on its first use, as
// WithLabelValues makes it, so a scrape shows only those that counted.
type series[K comparable] struct {
	mu  sync.Mutex // held to add one
	cur atomic.Pointer[[]seriesOf[K]]
	// made makes the counter of a second label not seen yet.
	made func(K) prometheus.Counter
}

type seriesOf[K comparable] struct {
	key K
	n   prometheus.Counter
}

func newSeries[K comparable](made func(K) prometheus.Counter) *series[K] {
	return &series[K]{made: made}
}

// inc counts one of key.
func (s *series[K]) inc(key K) {
	if list := s.cur.Load(); list != nil {
		for _, c := range *list {
			if c.key == key {
				c.n.Inc()
				return
			}
		}
	}
	s.add(key).Inc()
}

// add returns the counter of key, made once. The list is copied: readers
// see the old one or the new one, never one being changed.
func (s *series[K]) add(key K) prometheus.Counter {
	s.mu.Lock()
	defer s.mu.Unlock()
	var old []seriesOf[K]
	if list := s.cur.Load(); list != nil {
		old = *list
	}
	for _, c := range old {
		if c.key == key {
			return c.n
		}
	}
	list := append(old[:len(old):len(old)], seriesOf[K]{key: key, n: s.made(key)})
	s.cur.Store(&list)
	return list[len(list)-1].n
}

// routeSeries are one route's request counters, by status code, and its
// latency histogram, made on the route's first request.
type routeSeries struct {
	codes   *series[int]
	once    sync.Once
	latency prometheus.Observer
	vec     *prometheus.HistogramVec
	label   string
}

func (m *metrics) newRouteSeries(label string) *routeSeries {
	return &routeSeries{
		label: label, vec: m.latency,
		codes: newSeries(func(code int) prometheus.Counter {
			return m.requests.WithLabelValues(label, strconv.Itoa(code))
		}),
	}
}

// observe is m.request for one route.
func (r *routeSeries) observe(code int, seconds float64) {
	r.codes.inc(code)
	r.once.Do(func() { r.latency = r.vec.WithLabelValues(r.label) })
	r.latency.Observe(seconds)
}
