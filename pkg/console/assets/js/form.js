// The labelled form controls of the start forms: a playbook's inputs
// and an operation's params, each read back as its typed value.

import { h, clear, text, uid } from './lib.js';

// field builds a labelled form control for a typed value (a playbook's
// input, an operation's param): selects for enums, checkboxes for booleans,
// password fields for secrets, numbers for numbers, JSON text for lists and
// maps. It returns the wrapper, and read() gives the value (undefined when
// empty), or throws with what is wrong.
export function field(spec) {
  const id = uid('f');
  const hintID = id + '-hint', errID = id + '-err';
  const err = h('p', { class: 'field-error', id: errID, hidden: true });
  const described = [spec.description || spec.hint ? hintID : null, errID].filter(Boolean).join(' ');
  const label = h('label', { for: id }, spec.label || spec.name, spec.required ? h('span', { class: 'req' }, ' (required)') : null);
  const hint = spec.description || spec.hint
    ? h('p', { class: 'hint', id: hintID }, [spec.description, spec.hint].filter(Boolean).join(' · ')) : null;
  let control, read;
  const common = { id, name: spec.name, 'aria-describedby': described, required: !!spec.required };
  const def = spec.value !== undefined ? spec.value : spec.default;
  if (Array.isArray(spec.enum) && spec.enum.length) {
    control = h('select', common,
      spec.required || def !== undefined ? null : h('option', { value: '' }, '—'),
      spec.enum.map((v, i) => h('option', { value: String(i), selected: JSON.stringify(v) === JSON.stringify(def) }, text(v))));
    read = () => (control.value === '' ? undefined : spec.enum[Number(control.value)]);
  } else if (spec.type === 'bool' || spec.type === 'boolean') {
    control = h('input', { ...common, type: 'checkbox', required: false, checked: def === true });
    read = () => control.checked;
    const box = h('div', { class: 'field check' }, control, label, hint, err);
    return { el: box, read, control, showError: showErr(control, err), name: spec.name };
  } else if (spec.type === 'list' || spec.type === 'map' || spec.type === 'array' || spec.type === 'object') {
    control = h('textarea', { ...common, rows: 3, spellcheck: 'false', placeholder: spec.type === 'list' || spec.type === 'array' ? '["a", "b"]' : '{"key": "value"}' },
      def === undefined ? '' : JSON.stringify(def));
    read = () => {
      const v = control.value.trim();
      if (v === '') return undefined;
      try {
        return JSON.parse(v);
      } catch (e) {
        // The parser's own words differ by browser; say where, if it
        // does, and what is expected.
        const at = /line (\d+) column (\d+)/.exec(e.message);
        throw new Error('not valid JSON' + (at ? ' (line ' + at[1] + ', column ' + at[2] + ')' : '') + ': write ' +
          (spec.type === 'list' || spec.type === 'array' ? 'a list, like ["a", "b"]' : 'a map, like {"key": "value"}'));
      }
    };
  } else if (spec.type === 'number' || spec.type === 'integer') {
    control = h('input', { ...common, type: 'number', inputmode: spec.type === 'integer' ? 'numeric' : 'decimal',
      step: spec.type === 'integer' ? '1' : 'any', min: spec.min, max: spec.max, value: def === undefined ? null : String(def) });
    // Text the browser cannot read as a number leaves the field's value
    // empty, which would otherwise mean the default.
    read = () => {
      if (control.validity.badInput) throw new Error('not a number');
      return control.value === '' ? undefined : Number(control.value);
    };
  } else {
    control = h('input', { ...common, type: spec.secret ? 'password' : 'text', autocomplete: spec.secret ? 'new-password' : 'off',
      spellcheck: 'false', placeholder: spec.type === 'duration' ? 'like 30s or 5m' : null,
      value: def === undefined || def === null ? null : text(def) });
    read = () => (control.value === '' ? undefined : control.value);
  }
  return { el: h('div', { class: 'field' }, label, control, hint, err), read, control, showError: showErr(control, err), name: spec.name };
}

function showErr(control, err) {
  return (msg) => {
    if (msg) {
      clear(err, msg);
      err.hidden = false;
      control.setAttribute('aria-invalid', 'true');
    } else {
      err.hidden = true;
      control.removeAttribute('aria-invalid');
    }
  };
}
