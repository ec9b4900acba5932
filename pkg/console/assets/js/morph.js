// morph changes what an element shows into what was drawn anew, touching
// only what differs: a list that refreshes itself (the runs, every two
// seconds; the schedules, every ten) keeps the nodes whose text and
// attributes are the same, so that the text a reader selected in a row
// (a run's id, to copy), the keyboard focus and the scroll position
// survive, and the browser lays out again only what changed.

// listened holds the elements that h() gave an event listener. A handler
// is no attribute, so that two such elements that look the same may
// still do different things: one is kept only when it is equal to the
// one drawn anew, attributes and contents, and a handler of it must do
// only what its attributes, its contents and its row's data-key say.
export const listened = new WeakSet();

// morph makes el's children those of children (nodes, strings and arrays,
// as clear() takes them), reusing el's own nodes where they match. What
// is no attribute (a control's value, a details' open state set by
// script) is not compared: morph is for what a page draws from data.
// Children with a data-key are matched by it, wherever they moved; others
// by their place.
export function morph(el, children) {
  const to = document.createDocumentFragment();
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    to.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  morphChildren(el, to);
  return el;
}

const keyOf = (n) => (n.nodeType === Node.ELEMENT_NODE ? n.getAttribute('data-key') : null);

// morphChildren makes the children of old those of neu, neu's own nodes
// going over to old where old has none to keep.
function morphChildren(old, neu) {
  const want = [...neu.childNodes];
  const keys = want.map(keyOf);
  const keyed = want.length > 0 && !keys.includes(null) && new Set(keys).size === keys.length;
  if (!keyed) {
    const have = [...old.childNodes];
    want.forEach((n, i) => {
      if (i < have.length) morphNode(have[i], n);
      else old.append(n);
    });
    for (const n of have.slice(want.length)) n.remove();
    return;
  }
  const wanted = new Set(keys);
  const byKey = new Map();
  for (const n of [...old.childNodes]) {
    const k = keyOf(n);
    if (k === null || byKey.has(k) || !wanted.has(k)) n.remove();
    else byKey.set(k, n);
  }
  // Rows that stay in order stay where they are (a node moved is taken
  // out of the page first, and a selection in it is lost): a new run at
  // the top, or an old one gone from the bottom, moves none of them.
  let at = old.firstChild;
  for (const n of want) {
    const o = byKey.get(keyOf(n));
    if (!o) {
      old.insertBefore(n, at);
      continue;
    }
    if (o === at) at = at.nextSibling;
    else old.insertBefore(o, at);
    morphNode(o, n);
  }
}

// morphNode makes old show what neu does: the same node kept, with its
// attributes and children changed, or neu in its place.
function morphNode(old, neu) {
  if (old === neu) return;
  if (old.nodeType !== neu.nodeType || old.nodeName !== neu.nodeName) {
    old.replaceWith(neu);
    return;
  }
  if (old.nodeType !== Node.ELEMENT_NODE) {
    if (old.nodeValue !== neu.nodeValue) old.nodeValue = neu.nodeValue;
    return;
  }
  if (listened.has(old) || listened.has(neu)) {
    if (!old.isEqualNode(neu)) old.replaceWith(neu);
    return;
  }
  for (const a of [...old.attributes]) {
    if (!neu.hasAttribute(a.name)) old.removeAttribute(a.name);
  }
  for (const a of neu.attributes) {
    if (old.getAttribute(a.name) !== a.value) old.setAttribute(a.name, a.value);
  }
  morphChildren(old, neu);
}
