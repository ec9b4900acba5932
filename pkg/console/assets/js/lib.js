// Shared pieces of the console: building the DOM, calling the API, and
// formatting. Every piece of text from the server (outputs, errors, names)
// goes into the page as a text node: h() turns strings into text nodes and
// nothing here assigns markup. The page's Content-Security-Policy enforces
// it too (require-trusted-types-for 'script').

import { morph, listened } from './morph.js';

// h builds an element. attrs: class, on<event> handlers, booleans (true
// sets the attribute, false/null/undefined leaves it out), anything else
// as a string attribute. Children: nodes, strings (as text), arrays.
export function h(tag, attrs, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

const SVG = 'http://www.w3.org/2000/svg';

// s builds an SVG element, as h does.
export function s(tag, attrs, ...children) {
  return fill(document.createElementNS(SVG, tag), attrs, children);
}

function fill(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') on(el, k.slice(2), v);
    else if (k === 'class' && el instanceof HTMLElement) el.setAttribute('class', v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  add(el, children);
  return el;
}

// The DOM methods the console calls on elements it builds, taken from
// their prototypes: a <form>'s controls shadow its properties by name
// (a playbook input called append makes form.append that input), and the
// names of inputs and params are the user's, so nothing here reaches a
// method through the element itself.
const append = Element.prototype.append;
const replaceChildren = Element.prototype.replaceChildren;
const contains = Node.prototype.contains;
const querySelector = Element.prototype.querySelector;
const listen = EventTarget.prototype.addEventListener;

// on adds an event listener to el, whatever el's controls are called.
export function on(el, type, fn) {
  listen.call(el, type, fn);
  listened.add(el);
  return el;
}

// add appends children to el; strings become text nodes.
export function add(el, ...children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    append.call(el, c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// refresh replaces what el shows with children, keeping the keyboard
// focus: a control that had it inside el (found again by its row's
// data-key and its own href or data-action) gets it back, so that a list
// that updates itself does not throw a keyboard user out of it.
export function refresh(el, ...children) {
  return redraw(el, () => clear(el, ...children));
}

// update is refresh by morph (see morph.js): what did not change stays,
// with any text selected in it, and focus, so that a list that refreshes
// itself on a timer leaves its reader alone.
export function update(el, fallback, ...children) {
  return redrawOr(el, fallback, () => morph(el, children));
}

function redraw(el, draw) {
  const a = document.activeElement;
  let find = null;
  if (a && a !== document.body && contains.call(el, a)) {
    const row = a.closest('[data-key]');
    const key = row ? row.getAttribute('data-key') : null;
    const sel = a.getAttribute('href') ? 'a[href="' + CSS.escape(a.getAttribute('href')) + '"]'
      : a.getAttribute('data-action') ? '[data-action="' + CSS.escape(a.getAttribute('data-action')) + '"]' : null;
    if (sel) find = () => querySelector.call(el, (key ? '[data-key="' + CSS.escape(key) + '"] ' : '') + sel);
  }
  draw();
  const again = find && find();
  if (again) again.focus({ preventScroll: true });
  return el;
}

// refreshOr is refresh, and when the control that had the focus inside
// el is not there again (gone, or disabled, as Cancel run is once
// pressed), the focus goes to what fallback(key) gives, so that it never
// drops to the page's body, from where a keyboard or screen reader user
// starts again at the top. key is the data-key of the row the control
// was in (null when none), so that the focus can stay in the same row.
export function refreshOr(el, fallback, ...children) {
  return redrawOr(el, fallback, () => clear(el, ...children));
}

function redrawOr(el, fallback, draw) {
  const a = document.activeElement;
  const had = a && a !== document.body && contains.call(el, a);
  const row = had ? a.closest('[data-key]') : null;
  const key = row ? row.getAttribute('data-key') : null;
  redraw(el, draw);
  if (!had || (document.activeElement && document.activeElement !== document.body)) return el;
  const to = fallback(key);
  if (to) to.focus();
  return el;
}

// rowOf is the row of el whose data-key is key, or null.
export function rowOf(el, key) {
  return key === null || key === undefined ? null : querySelector.call(el, '[data-key="' + CSS.escape(key) + '"]');
}

// firstControl is the first control in el that can take the focus, or
// null.
export function firstControl(el) {
  return querySelector.call(el, 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled])');
}

// clear empties el and appends children.
export function clear(el, ...children) {
  replaceChildren.call(el);
  return add(el, ...children);
}

// ApiError is an error answer of the API: its status and body. A read
// that a page abandoned (the user left the page) ends with one of status 0
// and class aborted.
export class ApiError extends Error {
  constructor(status, body, retryAfterMS) {
    super((body && body.message) || 'request failed');
    this.status = status;
    this.class = body && body.class;
    this.field = body && body.field;
    this.rule = body && body.rule;
    this.run_id = body && body.run_id;
    // reason tells a run's 409s apart: being_cancelled or ended.
    this.reason = body && body.reason;
    // retryAfterMS is the answer's Retry-After, in milliseconds, or
    // undefined.
    this.retryAfterMS = retryAfterMS;
  }
}

// errorOf is the ApiError of an error answer with its body's data.
function errorOf(res, data) {
  return new ApiError(res.status, (data && data.error) || { message: res.status + ' ' + res.statusText }, retryAfter(res));
}

// retryAfter reads an answer's Retry-After, seconds or an HTTP date (taken
// against the answer's own Date, so that the browser's clock plays no
// part), in milliseconds; undefined without one.
function retryAfter(res) {
  const v = (res.headers.get('Retry-After') || '').trim();
  if (v === '') return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v), now = Date.parse(res.headers.get('Date') || '');
  return isNaN(at) || isNaN(now) ? undefined : Math.max(0, at - now);
}

// notNow says whether an error answer says nothing of what was asked,
// only that it cannot be answered now: the server limits the caller's
// rate (429) or is not available (503: a full queue, shutting down, its
// database not answering), or it, or a proxy's way to it, cannot be
// reached (0, 502, 504). Asked again later, it may be answered.
export function notNow(err) {
  return !!err && err.class !== 'aborted' && [0, 429, 502, 503, 504].includes(err.status);
}

// notNowText says why, in a sentence's start, for an error notNow is true of.
export function notNowText(err) {
  switch (err.status) {
    case 429: return 'The server is limiting this session\'s requests (429)';
    case 503: return 'The server is not available now (503)';
    case 0: return 'The server cannot be reached';
    default: return 'The server cannot be reached through its proxy (' + err.status + ')';
  }
}

// retryDelay is how long to wait before asking again after err: its
// Retry-After, else fallback milliseconds; at least 1 s, at most 5 minutes.
export function retryDelay(err, fallback) {
  const ms = err && err.retryAfterMS !== undefined ? err.retryAfterMS : fallback;
  return Math.min(300000, Math.max(1000, ms));
}

// notNowPage shows, under heading, that the page's read was refused for
// now (see notNow), and asks again (again()) after the answer's
// Retry-After, or at once with Try now; leaving the page stops it.
export function notNowPage(ctx, heading, err, again) {
  const ms = retryDelay(err, 3000);
  const retry = () => {
    clearTimeout(timer);
    if (ctx.current()) again();
  };
  const timer = setTimeout(retry, ms);
  ctx.onLeave(() => clearTimeout(timer));
  clear(ctx.main, title(heading),
    h('div', { class: 'error busy', role: 'status' },
      h('p', null, h('strong', null, notNowText(err) + ': asking again in ' + Math.round(ms / 1000) + ' s.')),
      h('p', null, 'The server said: ', err.message)),
    h('div', { class: 'actions' }, h('button', { type: 'button', 'data-action': 'retry', onclick: retry }, 'Try now')));
}

// The server's clock. A live duration (a running run's) is the server's
// time now less the server's time the run started: the browser's clock,
// which may be minutes or hours off, plays no part. Each API answer's Date
// header (whole seconds) bounds the server's clock against the browser's
// monotonic one (performance.now): at the answer it was at least Date, and
// when the request left it was before Date and a second. The bounds of
// every answer narrow the estimate; answers that disagree with them (the
// monotonic clock stood still while the machine slept) start it again.
const clock = { lo: -Infinity, hi: Infinity };

// sampleClock takes the bounds an answer's Date header gives: sent and
// received are performance.now() when the request left and the answer
// came.
function sampleClock(res, sent, received) {
  const d = Date.parse(res.headers.get('Date') || '');
  if (isNaN(d)) return;
  const lo = d - received, hi = d + 1000 - sent;
  if (lo > clock.hi || hi < clock.lo) {
    clock.lo = -Infinity;
    clock.hi = Infinity;
  }
  clock.lo = Math.max(clock.lo, lo);
  clock.hi = Math.min(clock.hi, hi);
}

// serverNow is the server's time now, in milliseconds since the epoch, as
// the answers so far tell it; the browser's clock before the first.
export function serverNow() {
  if (clock.lo === -Infinity) return Date.now();
  return performance.now() + (clock.hi === Infinity ? clock.lo : (clock.lo + clock.hi) / 2);
}

// sinceMS is how long ago, by the server's clock, the server's time iso
// was, until the server's time until (now when not given); never less
// than 0. NaN when iso is no time.
export function sinceMS(iso, until) {
  const t = Date.parse(iso);
  if (isNaN(t)) return NaN;
  return Math.max(0, (until === undefined ? serverNow() : until) - t);
}

let csrf = '';
// sessions counts the sessions this page has recorded (setSession): a
// request remembers the one it was sent under.
let sessions = 0;
let unauthorized = () => {};
let csrfRefused = async () => false;

// session holds what the console knows of who is signed in.
export const session = { me: null };

// setSession records the signed-in caller (null when signed out) and its
// CSRF token, which lives only in this page's memory.
export function setSession(me) {
  session.me = me;
  csrf = (me && me.csrf_token) || '';
  sessions += 1;
}

// sameSession says whether me, as GET /api/v1/session answers it now, is
// the session this page signed in with. The browser's cookie is shared by
// its tabs: a sign-in in another one replaces it, and this page's reads
// then run as that session while its CSRF token is still the old one's.
export function sameSession(me) {
  return !!(me && session.me && me.name === session.me.name && (me.csrf_token || '') === csrf);
}

// onUnauthorized sets what happens when the API answers 401: fn gets the
// ApiError, whose message is the server's reason. Only a request sent
// under the page's present session ends it: a late answer to one sent
// before (a page left when its session ended, still checking its form)
// says nothing of the session signed in since.
export function onUnauthorized(fn) { unauthorized = fn; }

// onCSRFRefused sets what happens when the server refuses this page's
// CSRF token: fn gets the ApiError and answers whether the page's session
// was replaced (then the error carries replaced: the page has gone back
// to the sign-in form).
export function onCSRFRefused(fn) { csrfRefused = fn; }

// isCSRFRefusal says whether err is the server's refusal of a missing or
// wrong CSRF token: its deciding rule names the token.
function isCSRFRefusal(err) {
  return err.status === 403 && /CSRF token/.test(err.rule || '');
}

// api calls the API as the signed-in session: the cookie goes by itself,
// and every request that changes something carries the CSRF token. A page
// passes its signal with the reads it makes, so that leaving the page
// abandons them (see ctx.get in app.js).
export async function api(method, path, body, signal) {
  const under = sessions;
  const headers = { Accept: 'application/json' };
  const opts = { method, headers, credentials: 'same-origin', cache: 'no-store', signal };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  let res;
  const sent = performance.now();
  try {
    res = await fetch(path, opts);
  } catch (e) {
    if (signal && signal.aborted) throw abandoned();
    throw new ApiError(0, { class: 'unavailable', message: 'the server cannot be reached: ' + e.message });
  }
  sampleClock(res, sent, performance.now());
  let data = null;
  if ((res.headers.get('Content-Type') || '').startsWith('application/json')) {
    data = await res.json().catch(() => null);
  }
  if (signal && signal.aborted) throw abandoned();
  if (!res.ok) {
    const err = errorOf(res, data);
    if (res.status === 401 && under === sessions) unauthorized(err);
    if (isCSRFRefusal(err)) err.replaced = await csrfRefused(err);
    throw err;
  }
  return data;
}

// abandoned is the error of a read whose page was left.
function abandoned() {
  return new ApiError(0, { class: 'aborted', message: 'the page was left before the answer came' });
}

// blobURL fetches a binary answer (an SVG) as an object URL, abandoned
// with the page as api's reads are. An error answer is JSON, as the API's
// others are.
export async function blobURL(path, signal) {
  const under = sessions;
  let res;
  const sent = performance.now();
  try {
    res = await fetch(path, { credentials: 'same-origin', cache: 'no-store', signal });
  } catch (e) {
    if (signal && signal.aborted) throw abandoned();
    throw new ApiError(0, { class: 'unavailable', message: 'the server cannot be reached: ' + e.message });
  }
  sampleClock(res, sent, performance.now());
  if (!res.ok) {
    const data = (res.headers.get('Content-Type') || '').startsWith('application/json') ? await res.json().catch(() => null) : null;
    const err = errorOf(res, data);
    if (res.status === 401 && under === sessions) unauthorized(err);
    throw err;
  }
  return URL.createObjectURL(await res.blob());
}

// The statuses of runs, steps and slots, with the icon each is shown with
// beside its word (colour is never the only cue).
const ICONS = {
  succeeded: '✓', failed: '✗', denied: '⊘', cancelled: '■', skipped: '↷',
  running: '●', queued: '○', interrupted: '!', missed: '–', pending: '○', waiting: '?',
};

// badge shows a status as a word with an icon.
export function badge(status) {
  const st = status || 'pending';
  return h('span', { class: 'badge b-' + st }, h('span', { 'aria-hidden': 'true' }, ICONS[st] || '•'), ' ', st);
}

// shownStatus is the status a run is shown with: the API's, except that a
// run that authorization refused before anything ran (failed, error class
// authorization, "… nothing ran") is shown as denied, as its steps are,
// and not as a failure of what it did.
export function shownStatus(run) {
  const e = run && run.error;
  if (run && run.status === 'failed' && e && e.class === 'authorization' && /nothing ran\.?$/.test(e.message || '')) return 'denied';
  return run ? run.status : undefined;
}

// isSlotRun says whether a run is a scheduled slot that never became a run:
// skipped, missed, or failed to start (its history row has a slot but
// neither roles nor who started it, and an error of class system: the run
// service refused it, or the playbook could not be read, before anything
// ran).
export function isSlotRun(run) {
  if (!run) return false;
  if (run.status === 'skipped' || run.status === 'missed') return true;
  return run.status === 'failed' && run.trigger === 'schedule' && !!run.slot && !run.started_by &&
    !(run.roles || []).length && !!run.error && run.error.class === 'system';
}

// fmtMS shows a duration in milliseconds for people.
export function fmtMS(ms) {
  if (ms === null || ms === undefined || isNaN(ms)) return '—';
  // No duration is less than nothing, whatever the clocks did.
  if (ms < 0) ms = 0;
  if (ms < 1000) return Math.round(ms) + ' ms';
  const sec = ms / 1000;
  if (sec < 60) return (sec < 10 ? sec.toFixed(1) : Math.round(sec)) + ' s';
  const m = Math.floor(sec / 60), rest = Math.round(sec % 60);
  if (m < 60) return m + 'm ' + rest + 's';
  return Math.floor(m / 60) + 'h ' + (m % 60) + 'm';
}

// text shows any JSON value as text: strings as they are, the rest as
// indented JSON.
export function text(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  try { return JSON.stringify(v, null, 2); } catch (e) { return String(v); }
}

// errorBox shows an API error: its message, and the deciding rule of a
// refusal.
export function errorBox(err) {
  return h('div', { class: 'error', role: 'alert' },
    h('strong', null, (err && err.class) || 'error'), ': ', (err && err.message) || String(err),
    err && err.rule ? h('div', { class: 'rule' }, 'rule: ', h('code', null, err.rule)) : null);
}

let toastTimer = 0;

// toast says something short in the status line, for screen readers too.
// The line is a live region that is always there, empty between
// messages (and then not seen): only its text changes, since a region
// shown and filled in the same step is one some screen readers miss.
export function toast(msg) {
  const el = document.getElementById('toast');
  if (!el) return;
  clear(el, msg);
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { clear(el); }, 5000);
}

// plural counts things: 1 step, 2 steps.
export function plural(n, word) { return n + ' ' + word + (n === 1 ? '' : 's'); }

// uid gives ids for labels and descriptions.
let seq = 0;
export function uid(prefix) { seq += 1; return prefix + '-' + seq; }

// debounce calls fn once calls stop for ms; its cancel drops a call still
// to come.
export function debounce(fn, ms) {
  let t = 0;
  const d = (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
  d.cancel = () => clearTimeout(t);
  return d;
}

// table builds a table with a caption and header cells; on a phone each
// row shows as a card, each cell with its column's name (data-label).
export function table(caption, cols, rows, cls) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'stack ' + (cls || '') },
      h('caption', { class: caption.hidden ? 'sr-only' : null }, caption.text || caption),
      h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, rows.map((r) => h('tr', r.attrs || null,
        (r.cells || r).map((c, i) => h('td', { 'data-label': cols[i] }, c)))))));
}

// title sets the document's title and returns the page's heading; the
// focus moves to it, so that keyboard and screen reader users start at the
// new page.
export function title(text, ...extra) {
  document.title = text + ' · arsenal-run';
  const h1 = h('h1', { tabindex: '-1' }, text, ...extra);
  setTimeout(() => { if (h1.isConnected) h1.focus({ preventScroll: true }); }, 0);
  return h1;
}
