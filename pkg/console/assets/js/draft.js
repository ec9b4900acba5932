// The draft of a start form whose session ended under it: what the user
// had typed, kept in the page's memory (never in storage) while they sign
// in again, and given back to the same form for the same key's name. It
// is dropped as soon as any other page is shown, or another key signs in.

let draft = null;
let ending = false;

// whileSessionEnds runs fn, the leaving of the page whose session ended:
// a form left then keeps its draft.
export function whileSessionEnds(fn) {
  ending = true;
  try {
    fn();
  } finally {
    ending = false;
  }
}

// keepDraft keeps a form's values for the page at path, signed in as who,
// if the page is being left because its session ended.
export function keepDraft(path, who, values) {
  if (ending) draft = { path, who, values };
}

// takeDraft gives the draft kept for the page at path, signed in as who,
// once, or null.
export function takeDraft(path, who) {
  const d = draft;
  if (!d || d.path !== path) return null;
  draft = null;
  return d.who === who ? d.values : null;
}

// settleDraft drops a draft kept for another page than path: the user
// went elsewhere after signing in.
export function settleDraft(path) {
  if (draft && draft.path !== path) draft = null;
}

// draftOf reads form controls as typed, a secret's (a password field's)
// left out.
export function draftOf(controls) {
  const values = {};
  for (const c of controls) {
    if (c.type !== 'password') values[c.name] = c.type === 'checkbox' ? c.checked : c.value;
  }
  return values;
}

// fillDraft puts a draft's values back into form controls.
export function fillDraft(controls, values) {
  for (const c of controls) {
    if (!Object.hasOwn(values, c.name)) continue;
    if (c.type === 'checkbox') c.checked = values[c.name];
    else c.value = values[c.name];
  }
}
