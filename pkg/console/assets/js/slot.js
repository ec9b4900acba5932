// The page of a scheduled slot that did not become a run (skipped,
// missed, failed to start): it has no steps, no timeline and no inputs to
// run again with, so the page says what the slot was instead: its slot,
// why it did not run, the run it was skipped behind, and where its
// schedule is.

import { h, clear, badge, title } from './lib.js';
import { timeEl, zonedTimeEl } from './time.js';

// isSlot says whether a run is a slot that did not run: only those have
// the statuses skipped and missed as a whole.
export function isSlot(rep) {
  return rep.status === 'skipped' || rep.status === 'missed';
}

// mayBeUnstarted says whether a failed run's report may be that of a slot
// that failed to start: an error of class system, no roles and no steps.
// Only its row in the runs list tells for sure (isSlotRun), for a report
// made from the history row has no trigger or slot.
export function mayBeUnstarted(rep) {
  return rep.status === 'failed' && !!rep.error && rep.error.class === 'system' &&
    !(rep.steps || []).length && !(rep.roles || []).length;
}

// SLOT_READ is how many rows of the playbook's slots of the same status,
// up to the slot's, the page reads to find the slot's row.
const SLOT_READ = 20;

const WHAT = {
  skipped: 'This slot of the schedule of PB was skipped: no run started for it.',
  missed: 'This slot of the schedule of PB was missed: no run started for it.',
  failed: 'This slot of the schedule of PB failed to start: no run started for it.',
};

// slotRow reads the slot's row, which has its slot and the run it was
// skipped behind (null when the list does not have it), and the zone of
// its schedule ('' when the schedule is not known): the rows of this
// playbook's scheduled runs of this status, up to the time it was
// recorded. It is null when the run has no time to read up to.
export async function slotRow(ctx, id, rep) {
  const at = Date.parse(rep.started_at);
  if (isNaN(at)) return null;
  const q = new URLSearchParams({ playbook: rep.playbook.name, status: rep.status, trigger: 'schedule', limit: String(SLOT_READ), before: new Date(at + 1).toISOString() });
  const [{ runs }, sched] = await Promise.all([ctx.get('/api/v1/runs?' + q),
    ctx.get('/api/v1/schedules').catch(() => ({ schedules: [] }))]);
  const s = (sched.schedules || []).find((x) => x.playbook === rep.playbook.name);
  return { row: runs.find((r) => r.id === id) || null, zone: s ? s.schedule.timezone : '' };
}

// slotPage shows the slot; read is its slotRow when already read.
export async function slotPage(ctx, id, rep, read) {
  const name = rep.playbook.name;
  const why = rep.error && rep.error.message;
  const facts = h('dl', { class: 'facts' });
  const [before, after] = WHAT[rep.status].split('PB');
  clear(ctx.main, title(name, ' ', h('span', { class: 'run-status' }, badge(rep.status))),
    h('p', { class: 'lead slot-what' }, before, h('a', { href: '/playbooks/' + encodeURIComponent(name) }, name), after),
    facts,
    h('p', null, 'Its schedule, its next slots and pause and resume are on ', h('a', { href: '/schedules' }, 'Schedules'),
      '; its runs are in ', h('a', { href: '/runs?playbook=' + encodeURIComponent(name) }, 'the runs of ' + name), '.'));
  // The slot reads as the schedules page shows it: in the schedule's zone.
  const show = ({ row, zone }) => clear(facts,
    h('dt', null, 'Run'), h('dd', null, h('code', null, id)),
    h('dt', null, 'Slot'), h('dd', { class: 'slot' }, row && row.slot ? zonedTimeEl(row.slot, zone) : h('span', { class: 'muted' }, 'not known')),
    h('dt', null, 'Why'), h('dd', { class: 'slot-why' }, why || h('span', { class: 'muted' }, 'not recorded')),
    row && row.blocked_by ? [h('dt', null, 'Behind run'), h('dd', { class: 'blocked-by' }, h('a', { href: '/runs/' + encodeURIComponent(row.blocked_by) }, row.blocked_by))] : null,
    h('dt', null, 'Recorded'), h('dd', { class: 'recorded' }, timeEl(rep.started_at, true)));
  show(read || { row: null, zone: '' });
  if (read) return;
  try {
    read = await slotRow(ctx, id, rep);
    if (read && ctx.current()) show(read);
  } catch (err) {
    /* the slot's message says why; the slot itself stays not known */
  }
}
