package history

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"testing"
	"time"
)

// TestRecordRunAllocs bounds the allocations of recording a run's start
// and its end, which a scheduler or a server pays for every run. Their
// statements bind their values through the connection's own prepared
// statements (execIn): through database/sql, finding a transaction's copy
// of a statement and converting its arguments made about 33 more.
func TestRecordRunAllocs(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	n := 0
	record := func() {
		n++
		id := fmt.Sprintf("run-%d", n)
		if err := s.RecordStart(ctx, Run{ID: id, Playbook: "p", Trigger: TriggerSchedule}); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordFinish(ctx, sampleReport(id, t0.Add(time.Duration(n)*time.Second)), "", ""); err != nil {
			t.Fatal(err)
		}
	}
	record() // the statements prepared
	got := testing.AllocsPerRun(20, record)
	t.Logf("%.0f allocations a run", got)
	if got > recordRunAllocs {
		t.Errorf("recording a run's start and end made %.0f allocations, more than the %d budgeted", got, recordRunAllocs)
	}
}

// recordRunAllocs is the budget of a run's start and end: about 200
// (the report's rows, two write transactions); 243 through database/sql.
const recordRunAllocs = 225

// TestStatementsGoWithTheirConnection discards every connection of the
// pool, as a connection found bad is, after the write path prepared its
// statements on them: each connection finalizes its statements before it
// closes (a statement finalized after would crash the process), and the
// writes after prepare theirs again on new connections.
func TestStatementsGoWithTheirConnection(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	for i := range 3 {
		id := fmt.Sprintf("run-%d", i)
		if err := s.RecordFinish(ctx, sampleReport(id, t0.Add(time.Duration(i)*time.Second)), "", ""); err != nil {
			t.Fatal(err)
		}
		prepared := 0
		var conns []*sql.Conn
		for range 4 { // every connection of the pool
			c, err := s.db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		for _, c := range conns {
			c.Raw(func(dc any) error {
				prepared += len(dc.(*stmtConn).stmts)
				return driver.ErrBadConn // closes it
			})
			c.Close()
		}
		if prepared == 0 {
			t.Fatal("no connection held the write path's statements")
		}
		if _, err := s.Get(ctx, id); err != nil {
			t.Fatalf("run %s: %v", id, err)
		}
	}
}
