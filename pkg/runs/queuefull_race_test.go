package runs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// A start refused because the places to wait in are full says how many
// runs wait, read under the lock the runs that take their slot change it
// under: the race detector (CI runs with it) fails the old reading, made
// after the lock was let go.
func TestQueueFullCountReadUnderLock(t *testing.T) {
	m := newManager(t, Config{}, Limits{MaxRunning: 1, MaxQueued: 2})
	path := writePlaybook(t, `version: 1
name: quick
steps:
  - {id: a, op: control.noop}
`)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		started []*Handle
		refused int
	)
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 40; i++ {
				c := Caller{Name: fmt.Sprintf("k%d", g%2), Trigger: TriggerAPI}
				h, err := m.Start(context.Background(), Request{Path: path, Caller: c})
				mu.Lock()
				switch {
				case errors.Is(err, ErrQueueFull):
					refused++
				case err != nil:
					t.Errorf("start: %v", err)
				default:
					started = append(started, h)
				}
				mu.Unlock()
			}
		}(g)
	}
	wg.Wait()
	for _, h := range started {
		wait(t, h)
	}
	if refused == 0 {
		t.Log("no start was refused; the count was not read")
	}
}
