// The playbooks page, and each playbook's page with its start form: fields
// made from the playbook's typed inputs, the server's authorization
// preflight for the caller (each step allowed or denied, with the rule)
// before Run can be pressed, and the server's validation messages by the
// field they are about.

import { h, clear, add, on, api, badge, timeEl, table, title, errorBox, field, debounce, text, plural, session } from './lib.js';
import { runRows, RUN_COLUMNS } from './runs.js';

export async function playbooksPage(ctx) {
  const [{ playbooks }, { runs }] = await Promise.all([api('GET', '/api/v1/playbooks'), api('GET', '/api/v1/runs?limit=200')]);
  const last = {};
  for (const r of runs) {
    if (!last[r.playbook]) last[r.playbook] = r;
  }
  clear(ctx.main, title('Playbooks'),
    playbooks.length ? h('ul', { class: 'cards' }, playbooks.map((p) => h('li', { class: 'card playbook', 'data-playbook': p.name },
      h('h2', null, h('a', { href: '/playbooks/' + encodeURIComponent(p.name) }, p.name)),
      p.description ? h('p', null, p.description) : null,
      h('dl', { class: 'facts' },
        h('dt', null, 'Inputs'), h('dd', null, p.inputs.length ? p.inputs.map((i, n) => [n ? ', ' : '', h('code', null, i.name), i.required ? '*' : '']) : 'none'),
        p.schedule ? [h('dt', null, 'Schedule'), h('dd', null, h('code', null, p.schedule.cron), ' ', p.schedule.timezone)] : null,
        p.next_run ? [h('dt', null, 'Next run'), h('dd', null, timeEl(p.next_run))] : null,
        h('dt', null, 'Last run'), h('dd', null, last[p.name]
          ? [badge(last[p.name].status), ' ', h('a', { href: '/runs/' + encodeURIComponent(last[p.name].id) }, timeEl(last[p.name].started_at))]
          : h('span', { class: 'muted' }, 'never'))))))
      : h('p', { class: 'empty' }, 'This server has no playbooks: start it with --playbooks DIR.'));
}

export async function playbookPage(ctx, name) {
  const path = '/api/v1/playbooks/' + encodeURIComponent(name);
  let pb;
  try {
    pb = await api('GET', path);
  } catch (err) {
    if (err.status === 401) return;
    clear(ctx.main, title('Playbook not found'), errorBox(err), h('p', null, h('a', { href: '/playbooks' }, 'All playbooks')));
    return;
  }
  // Run again: the inputs of an earlier run fill the form; masked secrets
  // must be given again.
  let prefill = {};
  let rerunNote = null;
  const rerun = ctx.query.get('rerun');
  if (rerun) {
    try {
      const rep = await api('GET', '/api/v1/runs/' + encodeURIComponent(rerun));
      prefill = rep.inputs || {};
      rerunNote = h('p', { class: 'note' }, 'The form holds the inputs of run ', h('a', { href: '/runs/' + encodeURIComponent(rerun) }, rerun),
        pb.inputs.some((i) => i.secret) ? '; secrets are not kept, give them again.' : '.');
    } catch (err) {
      if (err.status === 401) return;
      rerunNote = errorBox(err);
    }
  }
  const fields = pb.inputs.map((i) => {
    const spec = { ...i, hint: hintOf(i) };
    if (Object.hasOwn(prefill, i.name) && prefill[i.name] !== '***') spec.value = prefill[i.name];
    return field(spec);
  });
  const dry = field({ name: 'dry_run', label: 'Dry run', type: 'bool', description: 'evaluate conditions and check authorization, execute only read operations' });
  const run = h('button', { type: 'submit', class: 'primary', id: 'run', disabled: true }, 'Run');
  const preflight = h('section', { id: 'preflight', class: 'preflight', 'aria-label': 'Authorization preflight' },
    h('p', { class: 'muted' }, 'Checking what your roles may run…'));
  // Only the verdict is announced, once per change, not the list of steps
  // on every keystroke.
  const said = h('p', { class: 'sr-only', 'aria-live': 'polite' });
  const formStatus = h('div', { id: 'form-status', 'aria-live': 'polite' });
  const form = h('form', { id: 'start', class: 'card', novalidate: true },
    h('h2', null, 'Start a run'), rerunNote,
    fields.length ? fields.map((f) => f.el) : h('p', { class: 'muted' }, 'This playbook takes no inputs.'),
    dry.el,
    h('h3', null, 'Preflight'), preflight, said,
    h('div', { class: 'actions' }, run), formStatus);
  const lastRuns = h('section', null);
  clear(ctx.main, title(pb.name),
    pb.description ? h('p', { class: 'lead' }, pb.description) : null,
    pb.schedule ? h('dl', { class: 'facts' },
      h('dt', null, 'Schedule'), h('dd', null, h('code', null, pb.schedule.cron), ' in ', pb.schedule.timezone,
        pb.schedule.overlap ? ' · overlap ' + pb.schedule.overlap : null),
      h('dt', null, 'Next run'), h('dd', null, timeEl(pb.next_run))) : null,
    form, lastRuns);

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
  const showProblems = (problems, bad) => {
    const other = [], missing = [];
    for (const p of problems) {
      const f = byField.get(p.field);
      // A field the page could not read was left out of the request; its
      // own message stands.
      if (f && bad.includes(f.name)) continue;
      const name = p.field.slice('inputs.'.length);
      let msg = p.message.startsWith(name + ':') ? p.message.slice(name.length + 1).trim() : p.message;
      msg = msg.replace(/; give it with --input .*$/, '');
      if (f && / is required$/.test(msg) && !touched.has(f.name)) {
        missing.push(f.name);
        continue;
      }
      if (f) f.showError(msg);
      else other.push(p.message);
    }
    return { other, missing };
  };

  let seq = 0;
  // check asks the server for the preflight of what the form holds. A
  // field the page cannot read keeps Run disabled, and the others are
  // still checked.
  const check = async () => {
    const { body, bad } = collect();
    const mine = ++seq;
    if (bad.length) run.disabled = true;
    try {
      const pf = await api('POST', path + '/preflight', body);
      if (mine !== seq) return;
      const { other, missing } = showProblems(pf.problems, bad);
      const allowed = pf.allowed && !bad.length;
      run.disabled = !allowed;
      const denied = pf.steps.filter((s) => !s.allowed);
      const verdict = allowed ? 'Run is enabled.' : denied.length ? plural(denied.length, 'step') + ' denied; Run is disabled.' : 'Run is disabled until the inputs are right.';
      if (said.textContent !== verdict) clear(said, verdict);
      const roles = ' for your roles (' + session.me.roles.join(', ') + ')';
      clear(preflight,
        h('p', { class: denied.length ? 'verdict denied' : 'verdict allowed' },
          denied.length
            ? (pf.steps.length === 1 ? 'Its one step would be denied' : denied.length + ' of ' + pf.steps.length + ' steps would be denied') + roles + ', so this run cannot start.'
            : pf.steps.length === 1 ? 'Its one step is allowed for your roles.' : 'All ' + pf.steps.length + ' steps are allowed for your roles.'),
        missing.length ? h('p', { class: 'verdict' }, 'To run it, fill in: ', missing.join(', '), '.') : null,
        bad.length ? h('p', { class: 'verdict' }, 'To run it, correct: ', bad.join(', '), '.') : null,
        pf.refusal ? h('p', { class: 'error' }, pf.refusal) : null,
        other.length ? h('p', { class: 'error' }, other.join('; ')) : null,
        h('ul', { class: 'decisions' }, pf.steps.map((s) => h('li', { class: s.allowed ? 'allowed' : 'denied', 'data-step': s.step },
          h('span', { class: s.allowed ? 't-succeeded' : 't-denied', 'aria-hidden': 'true' }, s.allowed ? '✓ ' : '✗ '),
          h('strong', null, s.allowed ? 'allowed' : 'denied'), ' ', h('code', null, s.step), ' · ', h('code', null, s.op), ' (' + s.risk + ')',
          s.section !== 'steps' ? ' · ' + s.section : null,
          h('span', { class: 'rule' }, ' — ', s.rule, s.via && s.via !== 'direct' ? ' via ' + s.via : null)))));
    } catch (err) {
      if (mine !== seq || err.status === 401) return;
      run.disabled = true;
      clear(preflight, errorBox(err));
    }
  };
  const recheck = debounce(check, 300);
  on(form, 'focusout', (e) => {
    if (e.target.name && !touched.has(e.target.name)) {
      touched.add(e.target.name);
      recheck();
    }
  });
  on(form, 'input', recheck);
  on(form, 'change', recheck);
  on(form, 'submit', async (e) => {
    e.preventDefault();
    if (run.disabled) return;
    const { body, bad } = collect();
    if (bad.length) {
      run.disabled = true;
      fields.find((f) => f.name === bad[0]).control.focus();
      return;
    }
    run.disabled = true;
    clear(formStatus, h('p', { class: 'muted' }, 'Starting…'));
    try {
      const started = await api('POST', path + '/runs', { ...body, ask: true });
      ctx.go('/runs/' + encodeURIComponent(started.run_id));
    } catch (err) {
      if (err.status === 401) return;
      run.disabled = false;
      const f = err.field && byField.get(err.field);
      if (f) {
        f.showError(err.message);
        f.control.focus();
        clear(formStatus);
      } else {
        clear(formStatus, errorBox(err));
      }
      if (err.run_id) add(formStatus, h('p', null, h('a', { href: '/runs/' + encodeURIComponent(err.run_id) }, 'The refused run')));
    }
  });
  check();

  try {
    const { runs } = await api('GET', '/api/v1/runs?limit=10&playbook=' + encodeURIComponent(pb.name));
    clear(lastRuns, h('h2', null, 'Last runs'), runs.length
      ? table({ text: 'Last runs of ' + pb.name, hidden: true }, RUN_COLUMNS, runRows(runs), 'runs')
      : h('p', { class: 'empty' }, 'No runs yet.'));
  } catch (err) {
    if (err.status !== 401) clear(lastRuns, errorBox(err));
  }
}


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

