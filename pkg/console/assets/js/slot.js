// The page of a scheduled slot that did not run (skipped, missed): it has
// no steps, no timeline and no inputs to run again with, so the page says
// what the slot was instead: its slot, why it did not run, the run it was
// skipped behind, and where its schedule is.

import { h, clear, badge, timeEl, zonedTimeEl, title } from './lib.js';

// isSlot says whether a run is a slot that did not run: only those have
// the statuses skipped and missed as a whole.
export function isSlot(rep) {
  return rep.status === 'skipped' || rep.status === 'missed';
}

// SLOT_READ is how many rows of the playbook's slots of the same status,
// up to the slot's, the page reads to find the slot's row.
const SLOT_READ = 20;

const WHAT = {
  skipped: 'This slot of the schedule of PB was skipped: no run started for it.',
  missed: 'This slot of the schedule of PB was missed: no run started for it.',
};

export async function slotPage(ctx, id, rep) {
  const name = rep.playbook.name;
  const why = rep.error && rep.error.message;
  const facts = h('dl', { class: 'facts' });
  // zone is the schedule's, once read: the slot reads as the schedules
  // page shows it.
  let zone = '';
  const [before, after] = WHAT[rep.status].split('PB');
  clear(ctx.main, title(name, ' ', h('span', { class: 'run-status' }, badge(rep.status))),
    h('p', { class: 'lead slot-what' }, before, h('a', { href: '/playbooks/' + encodeURIComponent(name) }, name), after),
    facts,
    h('p', null, 'Its schedule, its next slots and pause and resume are on ', h('a', { href: '/schedules' }, 'Schedules'),
      '; its runs are in ', h('a', { href: '/runs?playbook=' + encodeURIComponent(name) }, 'the runs of ' + name), '.'));
  const show = (row) => clear(facts,
    h('dt', null, 'Run'), h('dd', null, h('code', null, id)),
    h('dt', null, 'Slot'), h('dd', { class: 'slot' }, row && row.slot ? (zone ? zonedTimeEl(row.slot, zone) : timeEl(row.slot)) : h('span', { class: 'muted' }, 'not known')),
    h('dt', null, 'Why'), h('dd', { class: 'slot-why' }, why || h('span', { class: 'muted' }, 'not recorded')),
    row && row.blocked_by ? [h('dt', null, 'Behind run'), h('dd', { class: 'blocked-by' }, h('a', { href: '/runs/' + encodeURIComponent(row.blocked_by) }, row.blocked_by))] : null,
    h('dt', null, 'Recorded'), h('dd', null, timeEl(rep.started_at)));
  show(null);
  // The slot and the run it was skipped behind are in the run's row of
  // the runs list: the rows of this playbook's slots of this status, up to
  // the time it was recorded.
  const at = Date.parse(rep.started_at);
  if (isNaN(at)) return;
  const q = new URLSearchParams({ playbook: name, status: rep.status, trigger: 'schedule', limit: String(SLOT_READ), before: new Date(at + 1).toISOString() });
  try {
    const [{ runs }, sched] = await Promise.all([ctx.get('/api/v1/runs?' + q),
      ctx.get('/api/v1/schedules').catch(() => ({ schedules: [] }))]);
    if (!ctx.current()) return;
    const s = (sched.schedules || []).find((x) => x.playbook === name);
    zone = s ? s.schedule.timezone : '';
    show(runs.find((r) => r.id === id) || null);
  } catch (err) {
    /* the slot's message says why; the slot itself stays not known */
  }
}
