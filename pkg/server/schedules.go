package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/scheduler"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// Bounds of a schedule's description.
const (
	scheduleNextFires = 5
	scheduleLastSlots = 10
)

// scheduleInfo describes one scheduled playbook: its schedule, its next
// fire times, whether it is paused, and its last slots.
type scheduleEntry struct {
	Playbook    string         `json:"playbook"`
	Description string         `json:"description"`
	Schedule    scheduleInfo   `json:"schedule"`
	Next        []time.Time    `json:"next"`
	Paused      *history.Pause `json:"paused"`
	Slots       []slotInfo     `json:"slots"`
	// MayAct says whether the caller may pause and resume it.
	MayAct bool `json:"may_act"`
	// Changed, on a pause or resume, says whether it changed anything.
	Changed *bool `json:"changed,omitempty"`
}

// slotInfo is one recent slot: the run it fired, or why it did not.
type slotInfo struct {
	Slot      *time.Time `json:"slot,omitempty"`
	Status    string     `json:"status"`
	RunID     string     `json:"run_id"`
	BlockedBy string     `json:"blocked_by,omitempty"`
	StartedAt time.Time  `json:"started_at"`
	Message   string     `json:"message,omitempty"`
}

// GET /api/v1/schedules
func (s *Server) listSchedules(w http.ResponseWriter, r *http.Request, c *Principal) *apiError {
	if e := onlyParams(r.URL.Query()); e != nil {
		return e
	}
	pauses, err := s.pauses(r.Context())
	if err != nil {
		return storeError(err)
	}
	out := []scheduleEntry{}
	for _, pb := range s.current().Playbooks.Scheduled() {
		e, err := s.describeSchedule(r.Context(), pb, pauses)
		if err != nil {
			return storeError(err)
		}
		e.MayAct = s.mayRun(pb, c, "pause its schedule") == nil
		out = append(out, e)
	}
	writeJSON(w, http.StatusOK, map[string]any{"scheduler": s.cfg.Scheduling != nil && s.cfg.Scheduling(), "schedules": out})
	return nil
}

// POST /api/v1/schedules/{name}/pause and /resume
func (s *Server) pauseSchedule(pause bool) handler {
	return func(w http.ResponseWriter, r *http.Request, c *Principal) *apiError {
		if e := onlyParams(r.URL.Query()); e != nil {
			return e
		}
		pbs := s.current().Playbooks
		pb, ok := pbs.Get(r.PathValue("name"))
		if !ok || pb.Schedule == nil {
			return pbs.notFound(r.PathValue("name"), true)
		}
		verb, action := "resume", auth.ActionResume
		if pause {
			verb, action = "pause", auth.ActionPause
		}
		if e := s.mayRun(pb, c, verb+" its schedule"); e != nil {
			return s.auditRefused(r, c, "", pb.File, pb.SHA256, action, e)
		}
		svc := s.mgr.Service()
		by := runs.Caller{Name: c.Name, Roles: c.Roles, From: clientAddr(r), Trigger: runs.TriggerAPI}
		var changed bool
		var err error
		ctx, cancel := storeBound(r.Context(), storeWriteBound)
		if pause {
			_, changed, err = svc.PauseSchedule(ctx, pb, by)
		} else {
			_, err = svc.ResumeSchedule(ctx, pb, by)
			changed = err == nil
			if errors.Is(err, history.ErrNotPaused) {
				err = nil
			}
		}
		err = noAnswer(ctx, err)
		cancel()
		if errors.Is(err, runs.ErrNoHistory) || errors.Is(err, runs.ErrOtherPause) {
			return errorf(http.StatusConflict, ClassConflict, "%v", err)
		}
		if err != nil {
			return storeError(err)
		}
		pauses, err := s.pauses(r.Context())
		if err != nil {
			return storeError(err)
		}
		e, err := s.describeSchedule(r.Context(), pb, pauses)
		if err != nil {
			return storeError(err)
		}
		e.Changed, e.MayAct = &changed, true // it just did
		writeJSON(w, http.StatusOK, e)
		return nil
	}
}

// pauses reads the paused schedules, bounded (storeReadBound).
func (s *Server) pauses(ctx context.Context) (map[string]history.Pause, error) {
	return within(ctx, storeReadBound, s.mgr.Service().SchedulePauses)
}

// mayRun lets a caller act on a playbook (pause its schedule) when its
// roles could have started a scheduled run of it, as a run's cancel is
// judged: every step allowed, a grant's inputs at their defaults (a
// scheduled run gets no others), and a playbook.run whose sub-playbook is
// known only when it runs only for roles that may run any operation.
func (s *Server) mayRun(pb *steps.Playbook, c *Principal, what string) *apiError {
	why := s.mgr.Service().MayActOn(s.current().Policy, c.Roles, pb, map[string]any{})
	if why == "" {
		return nil
	}
	e := errorf(http.StatusForbidden, ClassAuthorization, "the roles of %s may not run %s, so they may not %s: %s", c.Name, pb.Name, what, why)
	// The rule is what governs the action, as for a cancel; why it does
	// not hold for these roles is in the message.
	e.Rule = "only a caller whose roles could have started a scheduled run of a playbook may " + what
	return e
}

func (s *Server) describeSchedule(ctx context.Context, pb *steps.Playbook, pauses map[string]history.Pause) (scheduleEntry, error) {
	info := s.describePlaybook(pb, s.cfg.Now())
	e := scheduleEntry{Playbook: pb.Name, Description: pb.Description, Schedule: *info.Schedule, Next: []time.Time{}, Slots: []slotInfo{}}
	if p, ok := pauses[pb.Name]; ok && p.Applies(pb.File) {
		e.Paused = &p
	}
	if tt, err := scheduler.ForSchedule(pb.Schedule); err == nil {
		t := s.cfg.Now()
		for range scheduleNextFires {
			if t = tt.Next(t); t.IsZero() {
				break
			}
			e.Next = append(e.Next, t.UTC())
		}
	}
	store := s.mgr.Service().History()
	if store == nil {
		return e, nil
	}
	list, err := within(ctx, storeReadBound, func(ctx context.Context) ([]history.Run, error) {
		return store.List(ctx, history.Filter{Playbook: pb.Name, Trigger: history.TriggerSchedule, Limit: scheduleLastSlots})
	})
	if err != nil {
		return e, err
	}
	for _, run := range list {
		si := slotInfo{Slot: run.Slot, Status: string(run.Status), RunID: run.ID, BlockedBy: run.BlockedBy, StartedAt: run.StartedAt}
		if run.Error != nil {
			si.Message = run.Error.Message
		}
		e.Slots = append(e.Slots, si)
	}
	return e, nil
}
