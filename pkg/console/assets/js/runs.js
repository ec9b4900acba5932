// The runs page: every run, newest first, with the API's filters, kept
// up to date while it is open, a page at a time: Older runs goes on by the
// API's next (before, in the address with the filters), Newest runs back.

import { h, clear, update, badge, shownStatus, isSlotRun, fmtMS, table, title, errorBox, uid, notNow, notNowText, retryDelay, serverNow, sinceMS } from './lib.js';
import { timeEl, zonedTimeEl } from './time.js';

const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted', 'skipped', 'missed'];
const TRIGGERS = ['api', 'cli', 'schedule'];
const REFRESH_MS = 2000;
// SHOWN are the statuses the list offers at one click above its filters,
// each an address of its own to share: what an on-call engineer looks
// for first, the runs that did not finish well together among them.
const SHOWN = [['', 'All'], ['failed', 'Failed'], ['running', 'Running'], ['queued', 'Queued'], ['cancelled', 'Cancelled'],
  ['failed,cancelled', 'Failed or cancelled']];
// SEVERAL are the lists of several statuses the status filter offers
// after the single ones; another one the address asks for is offered too.
const SEVERAL = ['failed,cancelled', 'failed,cancelled,interrupted', 'queued,running'];

// statusesOf is a status filter as the list asks for it: its statuses in
// the order of STATUSES, each once (cancelled,failed is failed,cancelled,
// and one tab), or the value as it is when it holds what is no status,
// for the server to refuse by its field.
export function statusesOf(v) {
  const items = v.split(',');
  if (!v || items.some((s) => !STATUSES.includes(s))) return v;
  return STATUSES.filter((s) => items.includes(s)).join(',');
}

// statusWords names a status filter in words: failed or cancelled.
function statusWords(v) {
  const items = v.split(',');
  return items.length < 2 ? v : items.slice(0, -1).join(', ') + ' or ' + items[items.length - 1];
}

// runRows turns runs into table rows: status, playbook (a link to the
// run, marked when it is a dry run; for a scheduled slot that did not
// run, its slot and why), trigger, who, start (in the browser's zone,
// named, as the slot under the playbook is) and duration. zoneOf gives
// the time zone of a playbook's schedule ('' when not known), in which a
// slot is shown, as on the slot's own page and on Schedules.
export function runRows(runs, zoneOf = () => '') {
  const now = serverNow();
  return runs.map((r) => {
    const live = r.status === 'running' || r.status === 'queued';
    const started = Date.parse(r.started_at);
    // A queued run has no duration yet: its started_at is when it was
    // queued, and the time it has waited is not the run's. A running
    // one's counts by the server's clock. A slot that never became a run
    // has none either, not the 0 ms of its history row.
    const dur = isSlotRun(r) || r.status === 'queued' ? NaN : !live ? r.duration_ms : started > 0 ? sinceMS(r.started_at, now) : NaN;
    return {
      attrs: { 'data-run': r.id, 'data-key': r.id, 'data-status': shownStatus(r) },
      cells: [
        badge(shownStatus(r)),
        h('span', { class: 'run-name' }, h('a', { href: '/runs/' + encodeURIComponent(r.id) }, r.playbook),
          r.dry_run ? h('span', { class: 'dry-run', title: 'only read operations were executed' }, 'dry run') : null,
          h('span', { class: 'muted id' }, r.id), notRun(r, zoneOf(r.playbook)) || whyEnded(r),
          // What a queued run waits for: a run slot under --max-running
          // (and how many runs are ahead), or its concurrency group.
          r.status === 'queued' && r.waiting ? h('span', { class: 'muted block slot-why waits' }, r.waiting.message) : null),
        r.trigger || 'cli',
        r.started_by || (r.trigger === 'schedule' ? 'scheduler' : h('span', { class: 'muted' }, '—')),
        timeEl(r.started_at, true),
        h('span', { class: 'num' }, fmtMS(dur)),
      ],
    };
  });
}

// notRun says, for a scheduled slot that did not run (skipped, missed,
// failed to start), its slot in its schedule's zone and why (the message
// of its row), with a link to the run it was skipped behind; null for any
// other run.
function notRun(r, zone) {
  if (!isSlotRun(r)) return null;
  const why = r.error && r.error.message;
  if (!r.slot && !why) return null;
  return h('span', { class: 'muted block slot-why' },
    r.slot ? ['slot ', zonedTimeEl(r.slot, zone), why ? ': ' : ''] : null, why || null,
    r.blocked_by ? h('span', { class: 'block' }, 'behind run ', h('a', { href: '/runs/' + encodeURIComponent(r.blocked_by) }, r.blocked_by)) : null);
}

// whyEnded is the error of a run that failed or was interrupted, under
// its name, so that a list of failed runs says what went wrong without
// opening each: its first two lines, the whole in its title and on the
// run's page.
function whyEnded(r) {
  const msg = r.error && r.error.message;
  if (!msg || (r.status !== 'failed' && r.status !== 'interrupted')) return null;
  return h('span', { class: 'block run-error', title: msg }, msg);
}

// pageText says which runs a page of the list holds: the latest, or older
// ones, and whether there are older runs still (Older runs, under it).
function pageText(n, older, more) {
  const runs = n + (n === 1 ? ' run' : ' runs');
  // An empty list says so itself, naming the filters.
  if (!older && !n) return '';
  if (!older) return more ? 'The latest ' + runs + '; Older runs, under the list, shows the ones before them.' : runs;
  if (!n) return 'No older runs.';
  return more ? runs + ', older; Older runs, under the list, shows the ones before them.' : runs + ', older: the oldest there are.';
}

// noneText says that no run matches the filters, naming them: "No
// failed runs of deploy." rather than a bare "No runs match.", so that a
// filter left set is seen for what it is.
function noneText(f) {
  return 'No ' + (f.status ? statusWords(f.status) + ' ' : '') + 'runs' + (f.playbook ? ' of ' + f.playbook : '') +
    (f.trigger ? ' started through ' + f.trigger : '') + (f.before ? ' before these' : '') + '.';
}

export const RUN_COLUMNS = ['Status', 'Playbook', 'Trigger', 'Who', 'Started', 'Duration'];

export async function runsPage(ctx) {
  const q = ctx.query;
  const filters = {
    playbook: q.get('playbook') || '', status: statusesOf(q.get('status') || ''), trigger: q.get('trigger') || '', limit: q.get('limit') || '50',
    before: q.get('before') || '',
  };
  const select = (name, label, values, words = (v) => v) => {
    const id = uid('filter');
    const el = h('select', { id, name }, h('option', { value: '' }, 'any'), values.map((v) => h('option', { value: v, selected: v === filters[name] }, words(v))));
    return [h('div', { class: 'field inline' }, h('label', { for: id }, label), el), el];
  };
  let playbooks = [];
  // zones are the time zones of the served playbooks' schedules.
  const zones = new Map();
  try {
    const served = (await ctx.get('/api/v1/playbooks')).playbooks;
    playbooks = served.map((p) => p.name);
    for (const p of served) if (p.schedule) zones.set(p.name, p.schedule.timezone);
  } catch (err) {
    if (err.status === 401) return;
  }
  if (!ctx.current()) return;
  if (filters.playbook && !playbooks.includes(filters.playbook)) playbooks.push(filters.playbook);
  const [pbField] = select('playbook', 'Playbook', playbooks);
  const statusValues = [...STATUSES, ...SEVERAL];
  if (filters.status && !statusValues.includes(filters.status)) statusValues.push(filters.status);
  const [stField] = select('status', 'Status', statusValues, statusWords);
  const [trField] = select('trigger', 'Trigger', TRIGGERS);
  const limitID = uid('filter');
  const limit = h('input', { id: limitID, name: 'limit', type: 'number', min: 1, max: 1000, value: filters.limit, inputmode: 'numeric' });
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter runs' },
    pbField, stField, trField, h('div', { class: 'field inline' }, h('label', { for: limitID }, 'At most'), limit));
  // markFilter shows the server's refusal of a filter under its field
  // (or none, with no error): the list is empty for want of a right one.
  const markFilter = (err) => {
    for (const c of form.querySelectorAll('[aria-invalid]')) {
      c.removeAttribute('aria-invalid');
      c.removeAttribute('aria-describedby');
      c.parentElement.querySelector('.field-error').remove();
    }
    const c = err && err.class === 'validation' && err.field && form.querySelector('[name="' + CSS.escape(err.field) + '"]');
    if (!c) return false;
    const msg = h('p', { class: 'field-error', id: c.id + '-err' }, err.message);
    c.after(msg);
    c.setAttribute('aria-invalid', 'true');
    c.setAttribute('aria-describedby', msg.id);
    return true;
  };
  const list = h('div', { id: 'runs-list' });
  const status = h('p', { class: 'muted small', 'aria-live': 'polite' });
  // pager links to the runs older than the list (the answer's next) and,
  // on an older page, back to the newest: the filters go with both.
  const arrow = (text) => h('span', { 'aria-hidden': 'true' }, text);
  const newest = h('a', { class: 'button' }, arrow('«'), 'Newest runs');
  const older = h('a', { class: 'button', rel: 'next' }, 'Older runs', arrow('»'));
  const pager = h('nav', { class: 'actions', 'aria-label': 'Pages of runs', hidden: true }, newest, older);
  const heading = title(filters.before ? 'Runs, older' : 'Runs');
  // tabs link to the list of one status, the other filters kept; the
  // status select offers every status.
  const tabs = h('nav', { class: 'status-tabs', 'aria-label': 'Runs by status' });
  const showTabs = () => clear(tabs, SHOWN.map(([value, label]) => h('a', {
    href: runsURL('', { status: value }), 'data-status': value || 'any', 'aria-current': value === filters.status ? 'page' : null }, label)));
  clear(ctx.main, heading, tabs, form, status, list, pager);

  let timer = 0;
  let stopped = false;
  ctx.onLeave(() => { stopped = true; clearTimeout(timer); });

  const queryString = (before = filters.before, other = {}) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...filters, before, ...other })) {
      if (v && !(k === 'limit' && v === '50')) p.set(k, v);
    }
    // A comma is a comma in a query: status=failed,cancelled reads
    // better in an address to share than its %2C.
    return p.toString().replaceAll('%2C', ',');
  };
  const runsURL = (before, other) => {
    const qs = queryString(before, other);
    return '/runs' + (qs ? '?' + qs : '');
  };
  // showPager shows the links that go somewhere; Older runs follows the
  // list as it is refreshed (its last run), and keeps the focus.
  const showPager = (next) => {
    newest.hidden = !filters.before;
    newest.href = runsURL('');
    older.hidden = !next;
    if (next) older.href = runsURL(next);
    pager.hidden = newest.hidden && older.hidden;
  };
  let lastCount = null;
  // drawn says whether the list shows the runs of the filters as set.
  let drawn = false;
  // reads counts the list's reads: one under way when a filter changes
  // answers for the filters before, and the newer read draws instead
  // (and goes on every few seconds).
  let reads = 0;
  const refresh = async () => {
    clearTimeout(timer);
    const mine = ++reads;
    const qs = queryString();
    let wait = document.hidden ? REFRESH_MS * 5 : REFRESH_MS;
    try {
      const { runs, next } = await ctx.get('/api/v1/runs' + (qs ? '?' + qs : ''));
      if (stopped || mine !== reads) return;
      // The list shows the filters last applied; a limit still holding
      // what is no number keeps its mark until it is corrected.
      if (!form.elements.limit.validity.badInput) markFilter(null);
      // Only what changed is drawn again: a run id selected to be
      // copied stays selected, the focus stays where it is, and the
      // durations of running runs go on.
      update(list, () => null, runs.length
        ? table({ text: 'Runs, newest first', hidden: true }, RUN_COLUMNS, runRows(runs, (name) => zones.get(name) || ''), 'runs')
        : h('p', { class: 'empty' }, noneText(filters), filters.status || filters.playbook || filters.trigger
          ? [' ', h('a', { href: '/runs' }, 'Show all runs.')] : null));
      // An answer with next has older runs left: say so, as
      // a count alone would read as all there are.
      const count = (next ? 'more ' : '') + runs.length;
      if (count !== lastCount) {
        clear(status, pageText(runs.length, !!filters.before, !!next));
      }
      showPager(next);
      lastCount = count;
      drawn = true;
    } catch (err) {
      if (err.status === 401 || stopped || mine !== reads) return;
      if (notNow(err) && drawn) {
        // Refused for now: the list stays as last read, said to be so,
        // and is read again after the answer's Retry-After.
        wait = Math.max(wait, retryDelay(err, REFRESH_MS));
        clear(status, h('span', { class: 'busy' }, notNowText(err) + ': the list is as last read; asking again in ' + Math.round(wait / 1000) + ' s.'));
        lastCount = null;
      } else if (markFilter(err)) {
        clear(list, h('p', { class: 'empty' }, 'No runs shown: correct the filter marked above.'));
        clear(status);
        showPager('');
        lastCount = null;
        drawn = false;
      } else {
        clear(list, errorBox(err));
        showPager('');
        lastCount = null;
        drawn = false;
      }
    }
    if (!stopped) timer = setTimeout(refresh, wait);
  };
  form.addEventListener('change', () => {
    // A number field holding what is no number (1e, -) reads as empty,
    // which would quietly list the default 50: say so by the field.
    if (form.elements.limit.validity.badInput) {
      markFilter({ class: 'validation', field: 'limit', message: 'not a number: give a whole number from 1 to 1000' });
      return;
    }
    filters.playbook = form.elements.playbook.value;
    filters.status = form.elements.status.value;
    filters.trigger = form.elements.trigger.value;
    filters.limit = form.elements.limit.value || '50';
    // Other filters list other runs: from the newest again.
    if (filters.before) {
      filters.before = '';
      heading.textContent = 'Runs';
      document.title = 'Runs · arsenal-run';
    }
    history.replaceState(null, '', runsURL(''));
    showTabs();
    lastCount = null;
    drawn = false;
    refresh();
  });
  form.addEventListener('submit', (e) => e.preventDefault());
  showTabs();
  await refresh();
}
