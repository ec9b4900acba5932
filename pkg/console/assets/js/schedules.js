// The schedules page: each scheduled playbook with its cron and time zone,
// its next fire times, its last slots (fired runs and the slots that were
// skipped, missed or failed), and pause and resume.
//
// The list of schedules says whether the caller may pause each one
// (may_act): the buttons of one they may not are disabled, with why as
// their title and beside them. A refusal from the server (the policy
// changed since the list was read) does the same for as long as the page
// is shown.

import { h, clear, update, rowOf, firstControl, api, badge, table, title, errorBox, toast, notNow, notNowText, retryDelay } from './lib.js';
import { zonedTimeEl } from './time.js';

const REFRESH_MS = 10000;

export async function schedulesPage(ctx) {
  const note = h('div');
  const list = h('div', { id: 'schedules' });
  const status = h('div', { 'aria-live': 'polite' });
  clear(ctx.main, title('Schedules'), note, status, list);
  let timer = 0;
  let stopped = false;
  ctx.onLeave(() => { stopped = true; clearTimeout(timer); });
  // refused holds, by playbook, the server's refusal of a pause or a
  // resume: both are decided by the same rule (may the caller's roles run
  // the playbook), so one refusal stands for both.
  const refused = new Map();

  // busy holds the playbooks whose pause or resume is on its way. Their
  // button is marked aria-disabled and ignores presses, but is not
  // disabled: a disabled button loses the focus at once, to the body.
  const busy = new Set();

  const act = async (name, verb, button) => {
    if (busy.has(name)) return;
    busy.add(name);
    button.setAttribute('aria-disabled', 'true');
    try {
      const s = await api('POST', '/api/v1/schedules/' + encodeURIComponent(name) + '/' + verb).finally(() => busy.delete(name));
      // What an earlier press failed with no longer holds; a refusal
      // stays beside its buttons.
      if (!stale) clear(status);
      toast(verb === 'pause' ? name + ' is paused: its slots are skipped until it is resumed.' : name + ' is resumed from its next slot.');
      if (!s.changed) toast(name + ' was ' + (verb === 'pause' ? 'paused' : 'running') + ' already.');
      await refresh();
    } catch (err) {
      if (err.status === 403 && err.class === 'authorization') {
        refused.set(name, err.message);
        await refresh();
      } else {
        button.removeAttribute('aria-disabled');
      }
      if (err.status !== 401) clear(status, errorBox(err));
    }
  };

  const control = (s) => {
    const verb = s.paused ? 'resume' : 'pause';
    const why = refused.get(s.playbook) ??
      (s.may_act === false ? 'your roles may not run ' + s.playbook + ', so they may not pause or resume its schedule' : undefined);
    const id = 'refused-' + s.playbook;
    return [h('button', { type: 'button', 'data-action': verb, disabled: why !== undefined, title: why, 'aria-disabled': busy.has(s.playbook) ? 'true' : null,
      'aria-describedby': why !== undefined ? id : null,
      onclick: (e) => act(s.playbook, verb, e.currentTarget) }, s.paused ? 'Resume' : 'Pause'),
    why !== undefined ? h('span', { class: 'muted small block refused', id }, (refused.has(s.playbook) ? 'Refused: ' : 'Not allowed: ') + why) : null];
  };

  // drawn says whether the list shows what the server answered; stale,
  // that the status says it is as last read.
  let drawn = false;
  let stale = false;
  const refresh = async () => {
    clearTimeout(timer);
    let wait = REFRESH_MS;
    try {
      const { scheduler, schedules } = await ctx.get('/api/v1/schedules');
      if (stopped) return;
      if (stale) clear(status);
      drawn = true;
      stale = false;
      // Not firing them is not only --no-schedule: a standby serve waits
      // for another process's scheduler lock, a replica for the lead, and
      // a serve that stops fires no more.
      update(note, () => null, scheduler ? null : h('p', { class: 'note' },
        'This server does not fire the schedules now: it was started with --no-schedule, or another process on its state dir ' +
        '(with a shared database, the leading replica) fires them, or it is stopping; the scheduler field of its /healthz says which. ' +
        'A pause here still holds for any scheduler on the same state dir.'));
      // Only what changed is drawn again: text selected in a row stays
      // selected. The focus stays on the control that had it; a Pause
      // that is now Resume (pressed, or paused by someone else) or that a
      // refusal disabled gives it to the row's enabled button, else its
      // link.
      update(list, (key) => {
        const row = rowOf(list, key);
        return row && (row.querySelector('button[data-action]:not([disabled])') || firstControl(row));
      }, schedules.length ? table({ text: 'Scheduled playbooks', hidden: true },
        ['Playbook', 'Schedule', 'Next', 'Last slots', 'State', 'Pause or resume'],
        schedules.map((s) => ({
          attrs: { 'data-schedule': s.playbook, 'data-key': s.playbook },
          cells: [
            [h('a', { href: '/playbooks/' + encodeURIComponent(s.playbook) }, s.playbook), s.description ? h('span', { class: 'muted block' }, s.description) : null],
            [h('code', null, s.schedule.cron), h('span', { class: 'muted block zone' }, zoneName(s.schedule.timezone), s.schedule.overlap ? ' · overlap ' + s.schedule.overlap : null)],
            // The next fire times are in the schedule's zone, as its cron
            // is; a paused schedule's are skipped until it is resumed.
            s.next.length ? [
              s.paused ? h('span', { class: 'paused block' }, 'skipped while paused:') : null,
              h('ul', { class: s.paused ? 'plain next muted' : 'plain next' }, s.next.slice(0, 3).map((t) => h('li', null, zonedTimeEl(t, s.schedule.timezone))))]
              : h('span', { class: 'muted' }, 'never'),
            // The last slots are in the schedule's zone too, so that they
            // read beside the next ones; a slot a run still going kept
            // from running links to that run (its message may name it
            // only by its slot, when it was still starting).
            s.slots.length ? h('ul', { class: 'slots' }, s.slots.map((sl) => h('li', { title: sl.message || null, 'data-slot': sl.slot || null },
              sl.status === 'skipped' || sl.status === 'missed' ? badge(sl.status) : h('a', { href: '/runs/' + encodeURIComponent(sl.run_id) }, badge(sl.status)),
              ' ', zonedTimeEl(sl.slot || sl.started_at, s.schedule.timezone), sl.message ? h('span', { class: 'muted block' }, sl.message) : null,
              sl.blocked_by ? h('span', { class: 'muted block blocked-by' }, 'behind run ', h('a', { href: '/runs/' + encodeURIComponent(sl.blocked_by) }, sl.blocked_by)) : null)))
              : h('span', { class: 'muted' }, 'none yet'),
            s.paused ? h('span', { class: 'paused' }, 'Paused by ', h('strong', null, s.paused.by), ' since ', zonedTimeEl(s.paused.at, s.schedule.timezone)) : 'Active',
            control(s),
          ],
        })), 'schedules') : h('p', { class: 'empty' }, 'No playbook of this server has a ', h('code', null, 'schedule:'),
          ' block, so nothing runs on a timetable here; a playbook with one is listed here once the server loads it (at start, or on SIGHUP).'));
    } catch (err) {
      if (err.status === 401 || stopped) return;
      if (notNow(err) && drawn) {
        // Refused for now: the list stays as last read, said to be so,
        // and is read again after the answer's Retry-After.
        wait = Math.max(wait, retryDelay(err, REFRESH_MS));
        clear(status, h('p', { class: 'busy' }, notNowText(err) + ': the list is as last read; asking again in ' + Math.round(wait / 1000) + ' s.'));
        stale = true;
      } else {
        clear(list, errorBox(err));
        drawn = false;
      }
    }
    if (!stopped) timer = setTimeout(refresh, wait);
  };
  await refresh();
}

// zoneName is a time zone's name that may break after each "/" only
// ("America/Argentina/" and "ComodRivadavia" on two lines), not inside
// one of its words.
function zoneName(tz) {
  const parts = String(tz || '').split(/(?<=\/)/);
  return parts.map((p, i) => [i ? h('wbr') : null, p]);
}
