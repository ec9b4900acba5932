// The playbooks page, and each playbook's page with its start form: fields
// made from the playbook's typed inputs, the server's authorization
// preflight for the caller (each step allowed or denied, with the rule)
// before Run can be pressed, and the server's validation messages by the
// field they are about.

import { h, clear, add, on, api, badge, shownStatus, table, title, errorBox, debounce, text, plural, session, notNow, notNowPage,
  update, retryDelay } from './lib.js';
import { timeEl, zonedTimeEl } from './time.js';
import { field } from './form.js';
import { runRows, RUN_COLUMNS } from './runs.js';
import { keepDraft, takeDraft, draftOf, fillDraft } from './draft.js';

export async function playbooksPage(ctx) {
  const { playbooks } = await ctx.get('/api/v1/playbooks');
  if (!ctx.current()) return;
  const lastEls = new Map(playbooks.map((p) => [p.name, h('dd', null, h('span', { class: 'muted pending' }, 'looking…'))]));
  const nextEls = new Map(playbooks.filter((p) => p.next_run).map((p) => [p.name, nextRunEl(p)]));
  clear(ctx.main, title('Playbooks'),
    playbooks.length ? h('ul', { class: 'cards' }, playbooks.map((p) => h('li', { class: 'card playbook', 'data-playbook': p.name },
      h('h2', null, h('a', { href: '/playbooks/' + encodeURIComponent(p.name) }, p.name)),
      p.description ? h('p', null, p.description) : null,
      fileChanged(p),
      h('dl', { class: 'facts' },
        h('dt', null, 'Inputs'), h('dd', null, p.inputs.length ? p.inputs.map((i, n) => [n ? ', ' : '', h('code', null, i.name), i.required ? '*' : '']) : 'none'),
        p.schedule ? [h('dt', null, 'Schedule'), h('dd', null, h('code', null, p.schedule.cron), ' ', p.schedule.timezone)] : null,
        p.next_run ? [h('dt', null, 'Next run'), nextEls.get(p.name)] : null,
        h('dt', null, 'Last run'), lastEls.get(p.name)))))
      : h('p', { class: 'empty' }, 'This server has no playbooks: start it with --playbooks DIR.'));
  await Promise.all([showPauses(ctx, nextEls), showLastRuns(ctx, lastEls)]);
  followLastRuns(ctx, lastEls);
}

// fileChanged says that the playbook's file changed, or is gone, since
// the server loaded it: its runs run the text loaded then until SIGHUP.
function fileChanged(p) {
  return p.file_changed ? h('p', { class: 'file-changed' }, p.file_changed) : null;
}

// nextRunEl shows a scheduled playbook's next fire time, in the
// schedule's zone, named, as its cron is and as the schedules page shows
// it. Until the schedules are read, it is the time alone; a paused
// schedule's slot is skipped, and so is not shown as a run to come.
function nextRunEl(p) {
  return h('dd', { class: 'next-run' }, zonedTimeEl(p.next_run, p.schedule && p.schedule.timezone));
}

// showPauses marks the next run of each paused schedule as skipped while
// paused, and by whom, as the schedules page does. The pauses are the
// schedules' (GET /api/v1/schedules); a read that failed leaves the time
// and says that whether it is paused is unknown.
async function showPauses(ctx, nextEls) {
  if (!nextEls.size) return;
  let schedules;
  try {
    ({ schedules } = await ctx.get('/api/v1/schedules'));
  } catch (err) {
    if (err.status === 401 || !ctx.current()) return;
    for (const el of nextEls.values()) el.append(h('span', { class: 'muted block', title: err.message }, 'paused or not: unknown: ' + err.message));
    return;
  }
  if (!ctx.current()) return;
  for (const s of schedules) {
    const el = nextEls.get(s.playbook);
    if (el && s.paused) markPaused(el, s.paused, s.schedule.timezone);
  }
}

// markPaused says in a next run's element that its slot is skipped: the
// schedule is paused (since when, in the schedule's zone).
function markPaused(el, paused, zone) {
  const time = el.querySelector('time');
  clear(el, h('span', { class: 'paused block' }, 'skipped while paused:'),
    time ? h('span', { class: 'muted' }, time) : null,
    h('span', { class: 'muted block' }, 'paused by ', h('strong', null, paused.by), ' since ', zonedTimeEl(paused.at, zone),
      '; ', h('a', { href: '/schedules' }, 'resume it on Schedules')));
}

// LAST_RUN_READS is how many playbooks' last runs are asked for at once.
const LAST_RUN_READS = 4;

// showLastRuns fills in each playbook's last run. The newest runs of all
// playbooks, one read, give those that ran lately; a full page of them
// (it has a next) leaves out older runs, so each playbook it does not name
// is asked for its own newest run. A playbook is said never to have run
// only when the server says it has no run; a read that failed says so.
async function showLastRuns(ctx, lastEls) {
  const show = (name, run) => showLastRun(lastEls.get(name), run);
  const unknown = (name, err) => clear(lastEls.get(name), h('span', { class: 'muted', title: err.message }, 'unknown: ' + err.message));
  let todo = [...lastEls.keys()];
  try {
    const { runs, next } = await ctx.get('/api/v1/runs?limit=200');
    if (!ctx.current()) return;
    const seen = new Set();
    for (const r of runs) {
      if (!lastEls.has(r.playbook) || seen.has(r.playbook)) continue;
      seen.add(r.playbook);
      show(r.playbook, r);
    }
    todo = todo.filter((name) => !seen.has(name));
    // Not a full page: every run is in it, and the rest never ran.
    if (!next) {
      for (const name of todo) show(name, null);
      return;
    }
  } catch (err) {
    if (err.status === 401 || !ctx.current()) return;
  }
  const one = async () => {
    for (let name = todo.shift(); name !== undefined; name = todo.shift()) {
      try {
        const { runs } = await ctx.get('/api/v1/runs?limit=1&playbook=' + encodeURIComponent(name));
        if (!ctx.current()) return;
        show(name, runs[0] || null);
      } catch (err) {
        if (err.status === 401 || !ctx.current()) return;
        unknown(name, err);
      }
    }
  };
  await Promise.all(Array.from({ length: LAST_RUN_READS }, one));
}

// showLastRun shows a playbook's last run, or that it never ran. Only
// what changed is drawn again: its link keeps the focus.
function showLastRun(el, run) {
  update(el, () => null, run
    ? [badge(shownStatus(run)), ' ', h('a', { href: '/runs/' + encodeURIComponent(run.id) }, timeEl(run.started_at))]
    : h('span', { class: 'muted' }, 'never'));
}

// followLastRuns reads the newest runs again every few seconds while the
// playbooks page is shown, and shows each playbook's newest among them as
// its last run: a run started meanwhile, and the end of one shown as
// running, show without a reload. A playbook none of them names keeps
// the last run read first. A read that fails is tried again later.
function followLastRuns(ctx, lastEls) {
  let timer = null;
  let left = false;
  ctx.onLeave(() => { left = true; clearTimeout(timer); });
  const read = async () => {
    let wait = document.hidden ? RUNS_MS * 5 : RUNS_MS;
    try {
      const { runs } = await ctx.get('/api/v1/runs?limit=200');
      if (left || !ctx.current()) return;
      const seen = new Set();
      for (const r of runs) {
        if (!lastEls.has(r.playbook) || seen.has(r.playbook)) continue;
        seen.add(r.playbook);
        showLastRun(lastEls.get(r.playbook), r);
      }
    } catch (err) {
      if (err.status === 401 || left || !ctx.current()) return;
      if (notNow(err)) wait = Math.max(wait, retryDelay(err, RUNS_MS));
    }
    timer = setTimeout(read, wait);
  };
  if (ctx.current()) timer = setTimeout(read, RUNS_MS);
}

export async function playbookPage(ctx, name) {
  const path = '/api/v1/playbooks/' + encodeURIComponent(name);
  let pb;
  try {
    pb = await ctx.get(path);
  } catch (err) {
    if (err.status === 401 || !ctx.current()) return;
    if (notNow(err)) {
      notNowPage(ctx, name, err, () => playbookPage(ctx, name));
      return;
    }
    clear(ctx.main, title(err.status === 404 ? 'Playbook not found' : 'The playbook could not be read'), errorBox(err),
      h('p', null, h('a', { href: '/playbooks' }, 'All playbooks')));
    return;
  }
  // Run again: the inputs of an earlier run fill the form. Secrets are
  // masked in a report, and so is a secret's value wherever it occurs in
  // another input ("bonobo" holding the secret "on" reads "b***obo"): such
  // an input is left empty and flagged, to be given again, never sent as
  // the masked text.
  let prefill = {};
  let rerunNote = null;
  const rerun = ctx.query.get('rerun');
  if (rerun) {
    try {
      const rep = await ctx.get('/api/v1/runs/' + encodeURIComponent(rerun));
      prefill = rep.inputs || {};
    } catch (err) {
      if (err.status === 401) return;
      rerunNote = errorBox(err);
    }
  }
  if (!ctx.current()) return;
  // masked holds the inputs left empty because the report masked them,
  // until the user types in them.
  const masked = new Set();
  const fields = pb.inputs.map((i) => {
    const spec = { ...i, hint: hintOf(i) };
    if (Object.hasOwn(prefill, i.name) && !i.secret) {
      if (hasMask(prefill[i.name])) masked.add(i.name);
      else spec.value = prefill[i.name];
    }
    const f = field(spec);
    // Empty, not its default: the run had another value.
    if (masked.has(i.name)) f.control.value = '';
    return f;
  });
  if (rerun && !rerunNote) {
    const names = [...masked];
    rerunNote = h('p', { class: 'note', id: 'rerun-note' }, 'The form holds the inputs of run ', h('a', { href: '/runs/' + encodeURIComponent(rerun) }, rerun),
      pb.inputs.some((i) => i.secret) ? '; secrets are not kept, give them again' : '',
      names.length ? ['; ', names.map((n, k) => [k ? ', ' : '', h('code', null, n)]),
        names.length === 1 ? ' was masked in its report (it contains a secret\'s value) and is left empty: give it again.'
          : ' were masked in its report (they contain a secret\'s value) and are left empty: give them again.'] : '.');
  }
  const maskedMsg = 'masked in the report of run ' + rerun + ' (it contains a secret\'s value): give it again';
  const dry = field({ name: 'dry_run', label: 'Dry run', type: 'bool', description: 'evaluate conditions and check authorization, execute only read operations' });
  const run = h('button', { type: 'submit', class: 'primary', id: 'run', disabled: true }, 'Run');
  const preflight = h('section', { id: 'preflight', class: 'preflight', 'aria-label': 'Authorization preflight' },
    h('p', { class: 'muted' }, 'Checking what your roles may run…'));
  // Only the verdict is announced, once per change, not the list of steps
  // on every keystroke.
  const said = h('p', { class: 'sr-only', 'aria-live': 'polite' });
  const formStatus = h('div', { id: 'form-status', 'aria-live': 'polite' });
  // A session that ended under the form keeps what was typed (not its
  // secrets) for the sign-in that follows.
  const here = location.pathname + location.search;
  const controls = [...fields.map((f) => f.control), dry.control];
  const draft = takeDraft(here, session.me.name);
  if (draft) {
    fillDraft(controls, draft);
    for (const n of [...masked]) if (draft[n]) masked.delete(n);
  }
  const draftNote = draft ? h('p', { class: 'note', id: 'draft-note' }, 'The form holds what you typed before your session ended',
    pb.inputs.some((i) => i.secret) ? '; secrets are not kept, give them again.' : '.') : null;
  const form = h('form', { id: 'start', class: 'card', novalidate: true },
    h('h2', null, 'Start a run'), draftNote, rerunNote,
    fields.length ? fields.map((f) => f.el) : h('p', { class: 'muted' }, 'This playbook takes no inputs.'),
    dry.el,
    h('h3', null, 'Preflight'), preflight, said,
    h('div', { class: 'actions' }, run), formStatus);
  const lastRuns = h('section', null);
  const nextEl = pb.schedule ? nextRunEl(pb) : null;
  clear(ctx.main, title(pb.name),
    pb.description ? h('p', { class: 'lead' }, pb.description) : null,
    fileChanged(pb),
    pb.schedule ? h('dl', { class: 'facts' },
      h('dt', null, 'Schedule'), h('dd', null, h('code', null, pb.schedule.cron), ' in ', pb.schedule.timezone,
        pb.schedule.overlap ? ' · overlap ' + pb.schedule.overlap : null),
      h('dt', null, 'Next run'), nextEl) : null,
    form, lastRuns);
  ctx.onLeave(() => keepDraft(here, session.me && session.me.name, draftOf(controls)));
  if (nextEl) showPauses(ctx, new Map([[pb.name, nextEl]]));

  // collect reads the form: the request with the values of the fields
  // that can be read, and the names of those that cannot (text in a number
  // field, bad JSON), each marked with what is wrong. The values are read
  // from the fields, never through the form's properties, which its
  // controls' names would shadow.
  const collect = () => {
    const inputs = {};
    const bad = [];
    for (const f of fields) {
      f.showError('');
      if (masked.has(f.name)) {
        f.showError(maskedMsg);
        bad.push(f.name);
        continue;
      }
      try {
        const v = f.read();
        if (v !== undefined) inputs[f.name] = v;
      } catch (e) {
        f.showError(e.message);
        bad.push(f.name);
      }
    }
    return { body: { inputs, dry_run: dry.read() }, bad };
  };
  const byField = new Map(fields.map((f) => ['inputs.' + f.name, f]));
  // A required input left empty is not an error until the user has been
  // in its field or pressed Run: the verdict names it meanwhile.
  const touched = new Set();
  // showProblems shows each of the server's problems under its field
  // (without the advice to fill it in, the field being right there), all of a field's
  // problems together. It returns the fields it marked, the required ones
  // still to fill in, and the problems of no one field.
  const showProblems = (problems, bad) => {
    const other = [], missing = [], byName = new Map();
    for (const p of problems) {
      const f = byField.get(p.field);
      // A field the page could not read was left out of the request; its
      // own message stands.
      if (f && bad.includes(f.name)) continue;
      const name = p.field.slice('inputs.'.length);
      let msg = p.message.startsWith(name + ':') ? p.message.slice(name.length + 1).trim() : p.message;
      msg = withoutFieldAdvice(msg);
      if (f && / is required$/.test(msg) && !touched.has(f.name)) {
        if (!missing.includes(f.name)) missing.push(f.name);
        continue;
      }
      // The form has a field for every input the playbook had when the
      // page was drawn: a field it no longer takes, or an input the form
      // has no field for, means the playbook changed on the server since.
      if (f && /^(unknown input|the playbook declares no inputs)/.test(msg)) msg = 'the playbook no longer takes this input: ' + CHANGED;
      if (f) byName.set(f.name, [...(byName.get(f.name) || []), msg]);
      else if (name && p.field.startsWith('inputs.')) other.push(p.message + ': the playbook has an input this form has no field for; ' + CHANGED);
      else other.push(p.message);
    }
    for (const [name, msgs] of byName) fieldNamed(name).showError(msgs.join('; '));
    return { other, missing, marked: [...byName.keys()] };
  };
  const fieldNamed = (name) => fields.find((f) => f.name === name);
  // showTooLarge marks the fields whose values take the request over the
  // server's bound on a body: each that is over it alone, else the
  // largest. It returns their names.
  const showTooLarge = (limit, body) => {
    const sizes = Object.entries(body.inputs).map(([name, v]) => [name, bytesOf(v)]);
    let over = sizes.filter(([, n]) => limit && n > limit);
    if (!over.length && sizes.length) over = [sizes.reduce((a, b) => (b[1] > a[1] ? b : a))];
    for (const [name, n] of over) {
      fieldNamed(name).showError('too long: this value takes ' + n.toLocaleString('en') + ' bytes, and the server takes at most ' +
        (limit ? limit.toLocaleString('en') + ' bytes' : 'less') + ' in a whole request; shorten it');
    }
    return over.map(([name]) => name);
  };
  // summary says which fields stand between the form and a run, every one
  // marked, in the form's order: those to fill in, those to give again
  // (masked in a report), and those to correct.
  const summary = (missing, bad, marked) => {
    const order = (names) => fields.map((f) => f.name).filter((n) => names.includes(n));
    const again = order(bad.filter((n) => masked.has(n)));
    const wrong = order([...bad.filter((n) => !masked.has(n)), ...marked]);
    return [
      missing.length ? h('p', { class: 'verdict' }, 'To run it, fill in: ', order(missing).join(', '), '.') : null,
      again.length ? h('p', { class: 'verdict' }, 'To run it, give again: ', again.join(', '), ' (masked in the report).') : null,
      wrong.length ? h('p', { class: 'verdict' }, 'To run it, correct: ', wrong.join(', '), '.') : null,
    ];
  };
  const say = (verdict) => { if (said.textContent !== verdict) clear(said, verdict); };

  let seq = 0;
  // check asks the server for the preflight of what the form holds. A
  // field the page cannot read keeps Run disabled, and the others are
  // still checked. The preflight is the page's: a form left (its session
  // ended, or the user went on) asks nothing more, and its answer under
  // way is abandoned. (Removing the form fires a change event on the
  // field being typed in, after the page was left.)
  const check = async () => {
    if (!ctx.current()) return;
    const { body, bad } = collect();
    const mine = ++seq;
    if (bad.length) run.disabled = true;
    let pf;
    try {
      pf = await api('POST', path + '/preflight', body, ctx.signal);
    } catch (err) {
      if (mine !== seq || err.status === 401 || !ctx.current()) return;
      run.disabled = true;
      const limit = bodyLimit(err);
      if (limit === null) {
        clear(preflight, errorBox(err));
        return;
      }
      // Too large a request to check: the field that makes it so says it.
      const long = showTooLarge(limit, body);
      say('Run is disabled until the inputs are right.');
      clear(preflight, summary([], bad, long), h('p', { class: 'error' }, 'The form is too large for the server to check; nothing was checked.'));
      return;
    }
    if (mine !== seq) return;
    const { other, missing, marked } = showProblems(pf.problems, bad);
    const allowed = pf.allowed && !bad.length;
    run.disabled = !allowed;
    const denied = pf.steps.filter((s) => !s.allowed);
    say(allowed ? 'Run is enabled.' : denied.length ? plural(denied.length, 'step') + ' denied; Run is disabled.' : 'Run is disabled until the inputs are right.');
    const roles = ' for your roles (' + session.me.roles.join(', ') + ')';
    clear(preflight,
      h('p', { class: denied.length ? 'verdict denied' : 'verdict allowed' },
        denied.length
          ? (pf.steps.length === 1 ? 'Its one step would be denied' : denied.length + ' of ' + pf.steps.length + ' steps would be denied') + roles + ', so this run cannot start.'
          : pf.steps.length === 1 ? 'Its one step is allowed for your roles.' : 'All ' + pf.steps.length + ' steps are allowed for your roles.'),
      summary(missing, bad, marked),
      pf.refusal ? h('p', { class: 'error' }, pf.refusal) : null,
      other.length ? h('p', { class: 'error' }, other.join('; ')) : null,
      h('ul', { class: 'decisions' }, pf.steps.map((s) => h('li', { class: s.allowed ? 'allowed' : 'denied', 'data-step': s.step },
        h('span', { class: s.allowed ? 't-succeeded' : 't-denied', 'aria-hidden': 'true' }, s.allowed ? '✓ ' : '✗ '),
        h('strong', null, s.allowed ? 'allowed' : 'denied'), ' ', h('code', null, s.step), ' · ', h('code', null, s.op), ' (' + s.risk + ')',
        s.section !== 'steps' ? ' · ' + s.section : null,
        h('span', { class: 'rule' }, ' — ', s.rule, s.via && s.via !== 'direct' ? ' via ' + s.via : null)))));
  };
  const recheck = debounce(check, 300);
  ctx.onLeave(recheck.cancel);
  on(form, 'focusout', (e) => {
    if (e.target.name && !touched.has(e.target.name)) {
      touched.add(e.target.name);
      recheck();
    }
  });
  on(form, 'input', (e) => {
    // Typed in, a field masked in the report holds what the user gave.
    if (e.target.name) masked.delete(e.target.name);
    recheck();
  });
  on(form, 'change', recheck);
  on(form, 'submit', async (e) => {
    e.preventDefault();
    if (run.disabled) return;
    const { body, bad } = collect();
    if (bad.length) {
      run.disabled = true;
      fieldNamed(bad[0]).control.focus();
      return;
    }
    run.disabled = true;
    clear(formStatus, h('p', { class: 'muted' }, 'Starting…'));
    try {
      const started = await api('POST', path + '/runs', { ...body, ask: true });
      // Gone to another page meanwhile, the user stays there.
      if (ctx.current()) ctx.go('/runs/' + encodeURIComponent(started.run_id));
    } catch (err) {
      if (err.status === 401) return;
      if (bodyLimit(err) !== null || (err.class === 'validation' && err.field && err.field.startsWith('inputs'))) {
        // Run was pressed before the preflight caught up with the form:
        // the preflight of what was sent shows each problem under its
        // field, as it does while the user types; Run counts as having
        // been in every field.
        for (const f of fields) touched.add(f.name);
        clear(formStatus);
        await check();
        const marked = fields.find((f) => f.control.getAttribute('aria-invalid') === 'true');
        if (marked) marked.control.focus();
        else clear(formStatus, errorBox({ class: err.class, message: err.message }));
        return;
      }
      run.disabled = false;
      clear(formStatus, errorBox(err));
      if (err.run_id) add(formStatus, h('p', null, h('a', { href: '/runs/' + encodeURIComponent(err.run_id) }, 'The refused run')));
    }
  });
  check();

  await showRuns(ctx, pb, lastRuns);
}

// RUNS_MS is how often a playbook's page reads its last runs again while
// it is shown (five times as long in a tab that is not).
const RUNS_MS = 3000;

// showRuns shows the playbook's last runs and reads them again every few
// seconds, as the runs page does its list: a run that ends, one started
// meanwhile from elsewhere or by its schedule, show without a reload.
// Only what changed is drawn again. A read refused for now, or failing
// once the list is shown, leaves the list as last read.
async function showRuns(ctx, pb, el) {
  let timer = null;
  let left = false;
  let drawn = false;
  ctx.onLeave(() => { left = true; clearTimeout(timer); });
  const read = async () => {
    let wait = document.hidden ? RUNS_MS * 5 : RUNS_MS;
    try {
      const { runs } = await ctx.get('/api/v1/runs?limit=10&playbook=' + encodeURIComponent(pb.name));
      if (left || !ctx.current()) return;
      update(el, () => null, h('h2', null, 'Last runs'), runs.length
        ? table({ text: 'Last runs of ' + pb.name, hidden: true }, RUN_COLUMNS, runRows(runs, () => (pb.schedule && pb.schedule.timezone) || ''), 'runs')
        : h('p', { class: 'empty' }, 'No runs yet.'));
      drawn = true;
    } catch (err) {
      if (err.status === 401 || left || !ctx.current()) return;
      if (notNow(err)) wait = Math.max(wait, retryDelay(err, RUNS_MS));
      else if (!drawn) clear(el, errorBox(err));
    }
    timer = setTimeout(read, wait);
  };
  await read();
}


// CHANGED says what to do about a playbook changed on the server since
// its form was drawn.
const CHANGED = 'it was changed on the server since this page was opened; reload the page for its form as it is now';

// hintOf says what an input accepts, besides its description.
function hintOf(i) {
  const parts = [i.type];
  if (i.min !== undefined) parts.push('at least ' + i.min);
  if (i.max !== undefined) parts.push('at most ' + i.max);
  if (i.pattern) parts.push('matching ' + i.pattern);
  if (i.secret) parts.push(i.required ? 'secret: never shown again' : 'secret: never shown again; leave empty for its default');
  if (i.default !== undefined && !i.secret) parts.push('default ' + text(i.default));
  return parts.join(', ');
}


// hasMask says whether a value from a report holds the mask of a secret
// (***) anywhere: in a string, or in a list's or map's strings.
function hasMask(v) {
  if (typeof v === 'string') return v.includes('***');
  if (Array.isArray(v)) return v.some(hasMask);
  if (v && typeof v === 'object') return Object.entries(v).some(([k, x]) => k.includes('***') || hasMask(x));
  return false;
}

// bodyLimit reads the server's bound on a request's body from its refusal
// ("the body is N bytes, over the limit of M"), or null.
function bodyLimit(err) {
  if (!err || err.status !== 413) return null;
  const m = /limit of (\d+)/.exec(err.message || '');
  return m ? Number(m[1]) : 0;
}

// bytesOf is how many bytes a value takes in the request's JSON.
function bytesOf(v) {
  return new TextEncoder().encode(JSON.stringify(v)).length;
}

// withoutFieldAdvice drops the server's advice to a console user from a
// required input's problem ("; fill in its field"): under the field, or in
// the form's list of those to fill in, it says nothing more.
function withoutFieldAdvice(msg) {
  return msg.replace(/; fill in its field/g, '');
}
