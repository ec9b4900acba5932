// Times as the console shows them: in the browser's zone or a
// schedule's, named where a reader could take them for another's.

import { h, serverNow } from './lib.js';

// timeEl shows a time in the browser's zone, with the date when it is not
// today; the full UTC time is in the element's title. named adds the
// zone's short name, for a time shown beside one of a schedule's zone.
export function timeEl(iso, named = false) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  const t = new Date(iso);
  if (isNaN(t)) return h('span', null, String(iso));
  // The zero time (year 1) is what the API gives for a time that has not
  // come yet, such as the start of a queued run.
  if (t.getUTCFullYear() <= 1) return h('span', { class: 'muted' }, '—');
  const today = new Date(serverNow()).toDateString() === t.toDateString();
  const zone = named ? { timeZoneName: 'short' } : {};
  const opts = today
    ? { hour: '2-digit', minute: '2-digit', second: '2-digit', ...zone }
    : { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', ...zone };
  return h('time', { datetime: t.toISOString(), title: t.toISOString() }, timeText(t, opts));
}

// timeText is a time as the browser's locale writes it, in pieces that
// each stay on one line: its date, its clock from the hour on (with its
// AM/PM), and its zone. A time wider than its line breaks between them,
// never between the hour and its AM/PM ("07:19" on one line, "PM GMT-3"
// on the next), and a table column is never narrower than the clock; the
// clock and its zone stay together too, but on a tablet, whose schedules
// table has no room for it (style.css). The text is toLocaleString's.
function timeText(t, opts) {
  const parts = dateFormat(opts).formatToParts(t);
  const join = (ps) => ps.map((p) => p.value).join('');
  // piece is one piece and the space after it, where a line may break.
  const piece = (ps, cls) => {
    const [, text, gap] = join(ps).match(/^([\s\S]*?)(\s*)$/);
    return text ? [h('span', { class: cls }, text), gap] : gap;
  };
  const at = parts.findIndex((p) => p.type === 'hour' || p.type === 'dayPeriod');
  if (at < 0) return piece(parts, 'nw');
  let zone = parts.findIndex((p, i) => i > at && p.type === 'timeZoneName');
  if (zone < 0) zone = parts.length;
  return [piece(parts.slice(0, at), 'nw'),
    h('span', { class: 'clock' }, piece(parts.slice(at, zone), 'nw'), piece(parts.slice(zone), 'nw'))];
}

// zonedTimeEl shows a time in a named zone (a schedule's), with the zone's
// short name, so that it reads beside a cron of that zone; the full UTC
// time is in the element's title. Without a zone (a schedule no longer
// served), or with one the browser does not know, it is the browser's
// own zone, named too: never UTC unsaid.
export function zonedTimeEl(iso, zone) {
  const t = new Date(iso);
  if (!iso || isNaN(t)) return timeEl(iso);
  const opts = { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' };
  let text;
  try {
    text = timeText(t, zone ? { ...opts, timeZone: zone } : opts);
  } catch (e) {
    text = timeText(t, opts);
  }
  return h('time', { datetime: t.toISOString(), title: t.toISOString() }, text);
}

// formats holds the DateTimeFormats of the drawing under way, by their
// options: making one takes milliseconds, and a run of 2,000 steps shows
// 2,000 times at once. They are dropped once that drawing is done, so
// that the next one follows a change of the browser's time zone.
let formats = null;

function dateFormat(opts) {
  if (!formats) {
    formats = new Map();
    setTimeout(() => { formats = null; }, 0);
  }
  const key = JSON.stringify(opts);
  let f = formats.get(key);
  if (!f) formats.set(key, f = new Intl.DateTimeFormat([], opts));
  return f;
}
