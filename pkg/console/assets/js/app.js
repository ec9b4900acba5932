// The console's entry: who is signed in, the sign-in form, the navigation
// and the router. Pages are modules; each renders into <main> and gives
// back what to stop when the user leaves it (event streams, timers).
//
// A page awaits the server before it renders, and the user may have gone
// on to another page meanwhile: each page shown is one generation of the
// router, and a page that is no longer current draws nothing (ctx.current)
// and its reads are abandoned (ctx.get, ctx.signal), so that a late answer
// never covers the page the address names, nor arms its buttons.

import { h, on, clear, api, setSession, session, sameSession, onUnauthorized, onCSRFRefused, errorBox, toast, notNow, notNowPage } from './lib.js';

import { runsPage } from './runs.js';
import { runPage } from './run.js';
import { revealSubRun } from './subrun.js';
import { playbooksPage, playbookPage } from './playbooks.js';
import { operationsPage } from './operations.js';
import { schedulesPage } from './schedules.js';
import { statsPage } from './stats.js';
import { whileSessionEnds, settleDraft } from './draft.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');

// On a phone the navigation scrolls sideways, and the browser scrolls a
// link that the focus reaches into it only when the link is out of sight:
// one half in sight would keep its focus ring cut at the edge.
on(nav, 'focusin', (e) => e.target.scrollIntoView({ block: 'nearest', inline: 'nearest' }));

const routes = [
  [/^\/$/, () => go('/runs', true)],
  [/^\/signin$/, signInPage],
  [/^\/runs$/, runsPage],
  [/^\/runs\/([^/]+)$/, runPage],
  [/^\/playbooks$/, playbooksPage],
  [/^\/playbooks\/([^/]+)$/, playbookPage],
  [/^\/operations$/, operationsPage],
  [/^\/schedules$/, schedulesPage],
  [/^\/stats$/, statsPage],
];

// leaving holds what the current page stops when the user leaves it.
let leaving = [];
// generation counts the pages shown; abort abandons the current one's
// reads.
let generation = 0;
let abort = new AbortController();
// shown is the path and query of the page shown, and onHash what it does
// when only the address's "#" part changes (typed, or back and forward):
// the page stays, with what was opened and typed in it.
let shown = '';
let onHash = null;
let afterSignIn = '/runs';
// ended is the server's reason why the last session ended, under the
// open page or before it loaded; '' after a sign-in or a sign-out.
let ended = '';

// go shows the page of path, adding it to the history unless replace.
function go(path, replace) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  route();
}

// leave ends the current page: what it asked to stop is stopped, its reads
// under way are abandoned, and whatever it still awaits finds it is no
// longer current.
function leave() {
  for (const fn of leaving) {
    try { fn(); } catch (e) { /* a page's clean-up must not stop the next page */ }
  }
  leaving = [];
  shown = '';
  onHash = null;
  abort.abort();
  abort = new AbortController();
  generation += 1;
}

function route() {
  leave();
  const url = new URL(location.href);
  // A page's address with a trailing slash (typed, or from a link that
  // added one) is the page's own: the address loses the slash, so that
  // links, the navigation's mark and a bookmark made now are the page's.
  if (url.pathname.length > 1 && url.pathname.endsWith('/')) {
    history.replaceState(null, '', (url.pathname.replace(/\/+$/, '') || '/') + url.search + url.hash);
    route();
    return;
  }
  const path = url.pathname;
  if (!session.me && path !== '/signin') {
    afterSignIn = path + url.search;
    signInPage();
    return;
  }
  settleDraft(path + url.search);
  for (const [re, page] of routes) {
    const m = path.match(re);
    if (!m) continue;
    markNav(path);
    shown = path + url.search;
    const mine = generation;
    const signal = abort.signal;
    const ctx = {
      query: url.searchParams, onLeave: (fn) => leaving.push(fn), go, main, signal,
      onHash: (fn) => { if (mine === generation) onHash = fn; },
      // current says whether this page is still the one shown: after each
      // await, a page draws only if it is.
      current: () => mine === generation,
      // get reads the API for this page: leaving the page abandons it.
      get: (path) => api('GET', path, undefined, signal),
    };
    const args = m.slice(1).map(decodeURIComponent);
    // A read the server refused for now (rate limited, not available) is
    // asked again after its Retry-After, the page kept.
    const show = () => Promise.resolve(page(ctx, ...args)).catch((err) => {
      if ((err && err.status === 401) || !ctx.current()) return;
      if (notNow(err)) {
        notNowPage(ctx, 'Waiting for the server', err, show);
        return;
      }
      clear(main, h('h1', { tabindex: '-1' }, 'Something went wrong'), errorBox(err));
    });
    show();
    return;
  }
  clear(main, h('h1', { tabindex: '-1' }, 'Not found'), h('p', null, 'No page at ', h('code', null, path), '. ', h('a', { href: '/runs' }, 'Go to the runs.')));
}

function markNav(path) {
  for (const a of nav.querySelectorAll('a')) {
    if (path === a.getAttribute('href') || path.startsWith(a.getAttribute('href') + '/')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function showWho() {
  const me = session.me;
  nav.hidden = !me;
  who.hidden = !me;
  if (!me) return;
  clear(document.getElementById('who-name'), me.name, ' ', h('span', { class: 'muted' }, '(' + me.roles.join(', ') + ')'));
}

// signInPage asks for an API key once. The key goes to the server in the
// sign-in request and is then dropped: the field is emptied and the page
// keeps only the session's CSRF token; the session itself is an HttpOnly
// cookie no script can read. When a session has ended, the server's
// reason is shown above the key field until the next sign-in, so that
// whoever comes back to the tab later still reads why.
function signInPage() {
  setSession(null);
  showWho();
  history.replaceState(null, '', '/signin');
  document.title = 'Sign in · arsenal-run';
  const described = ended ? 'signin-ended key-hint' : 'key-hint';
  const key = h('input', { id: 'key', name: 'key', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true,
    'aria-describedby': described });
  // A key the server refused marks the field invalid, described by why,
  // until the user types in it again.
  const valid = () => {
    key.removeAttribute('aria-invalid');
    key.setAttribute('aria-describedby', described);
  };
  on(key, 'input', valid);
  const status = h('div', { id: 'signin-status', 'aria-live': 'polite' });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h('form', { id: 'signin', class: 'card narrow', onsubmit: async (e) => {
    e.preventDefault();
    button.disabled = true;
    clear(status);
    valid();
    const value = key.value;
    key.value = '';
    try {
      const me = await api('POST', '/api/v1/session', { key: value });
      setSession(me);
      ended = '';
      showWho();
      go(afterSignIn === '/signin' ? '/runs' : afterSignIn, true);
    } catch (err) {
      const box = errorBox(err);
      box.id = 'signin-error';
      clear(status, box);
      // The key's own fault (unknown, expired, empty), not the server's
      // being busy or out of reach.
      if (err.status === 401 || err.field === 'key') {
        key.setAttribute('aria-invalid', 'true');
        key.setAttribute('aria-describedby', 'signin-error ' + described);
      }
      key.focus();
    } finally {
      button.disabled = false;
    }
  } },
  h('h1', { tabindex: '-1' }, 'Sign in'),
  h('p', null, 'Paste an API key of this server. It is sent once; the console keeps a session that ends when you sign out or after its lifetime.'),
  ended ? h('p', { id: 'signin-ended', class: 'ended' }, h('strong', null, 'Your session ended: '), ended) : null,
  h('div', { class: 'field' }, h('label', { for: 'key' }, 'API key'), key,
    h('p', { class: 'hint', id: 'key-hint' }, 'Like ak_3q7z…, from arsenal-run keys new.')),
  button, status);
  clear(main, form);
  key.focus();
}

// signOut revokes the page's session. A session another tab replaced
// cannot be: the page has gone back to the sign-in form all the same (see
// onCSRFRefused), signed out.
async function signOut() {
  try {
    await api('DELETE', '/api/v1/session');
  } catch (err) {
    if (err.replaced) return;
    if (err.status !== 401) {
      toast('Sign-out failed: ' + err.message);
      return;
    }
  }
  afterSignIn = '/runs';
  ended = '';
  leave();
  signInPage();
  toast('Signed out.');
}

onUnauthorized((err) => {
  if (!session.me) return;
  toast('Your session ended; sign in again.');
  const url = new URL(location.href);
  afterSignIn = url.pathname + url.search;
  whileSessionEnds(leave);
  ended = whyEnded(err, false);
  signInPage();
});

// A refused CSRF token means, in practice, that the page's session is no
// longer the browser's: another tab signed in (with another key, or the
// same) and its cookie replaced this one's. The page asks who the browser
// is now; if it is another session, the page's is over: it goes back to
// the sign-in form, saying so, as when another tab signs out. A 401 there
// is handled as any.
onCSRFRefused(async () => {
  if (!session.me) return false;
  let me;
  try {
    me = await api('GET', '/api/v1/session');
  } catch (err) {
    return err.status === 401;
  }
  if (!session.me || sameSession(me)) return false;
  const url = new URL(location.href);
  afterSignIn = url.pathname + url.search;
  whileSessionEnds(leave);
  ended = 'this browser signed in ' + (me.name === session.me.name ? 'again' : 'as ' + me.name) +
    ' in another tab or window, which replaced this page\'s session';
  toast('Your session was replaced by a sign-in in another tab; sign in again.');
  signInPage();
  return true;
});

// whyEnded is the reason a session ended, as the server gave it when it
// refused the session's cookie. A request without credentials (its
// message begins "no credentials") carried no cookie: under an open page
// that means this browser dropped it, as a sign-out in another tab does,
// which is said in the console's words (the server's advice, a key
// header, is not the console's way); at a page's load it is a first visit,
// or one after signing out, with nothing to say.
function whyEnded(err, atLoad) {
  const msg = (err && err.message) || '';
  if (msg.startsWith('no credentials')) {
    return atLoad ? '' : 'this browser no longer holds its cookie: it was signed out in another tab or window, or the cookie was deleted';
  }
  return msg || 'the server refused it';
}

// Links inside the console change the page without reloading it.
document.addEventListener('click', (e) => {
  const a = e.target.closest && e.target.closest('a[href]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey || a.target) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/assets/')) return;
  e.preventDefault();
  // A link within the page (the skip link, #main) moves the focus there;
  // it is no new page, and routing it would draw the page again, losing
  // what was typed into its form.
  if (url.hash && url.pathname === location.pathname && url.search === location.search) {
    // A sub-run's link goes in the address, to be copied.
    if (revealSubRun(url.hash)) {
      history.replaceState(null, '', url.pathname + url.search + url.hash);
      return;
    }
    const target = document.getElementById(decodeURIComponent(url.hash.slice(1)));
    if (target) target.focus();
    return;
  }
  go(url.pathname + url.search);
});
// A change of the "#" part alone keeps the page: it shows what the "#"
// names, as a link within the page does, once the browser has done its
// own part of it (hashchange comes after the browser's scroll and focus).
window.addEventListener('popstate', () => {
  if (!shown || location.pathname + location.search !== shown) route();
});
window.addEventListener('hashchange', () => {
  if (!shown || location.pathname + location.search !== shown) return;
  if (onHash) onHash(location.hash);
  else if (!revealSubRun(location.hash)) {
    const target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target) target.focus();
  }
});
document.getElementById('signout').addEventListener('click', signOut);

// bootFailure is the heading of a page that could not ask who is signed
// in: only an answer that never came means the server cannot be reached.
function bootFailure(err) {
  switch (err.status) {
    case 0: return 'The server cannot be reached';
    case 429: return 'Too many failed authentications from this address';
    case 503: return 'The server is not available now';
    default: return 'The console could not start';
  }
}

async function boot() {
  try {
    setSession(await api('GET', '/api/v1/session'));
  } catch (err) {
    if (err.status !== 401) {
      clear(main, h('h1', { tabindex: '-1' }, bootFailure(err)), errorBox(err));
      return;
    }
    // A page opened (reloaded, or from a bookmark) with a cookie the
    // server refuses, expired or no longer valid, says why on the
    // sign-in form, as a page whose session ends while it is open does.
    setSession(null);
    ended = whyEnded(err, true);
  }
  showWho();
  route();
}

boot();
