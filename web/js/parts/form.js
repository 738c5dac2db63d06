// Form fields with their labels and hints looked up by key (so a language switch
// re-labels them and keeps what was typed), and a submit that shows every failure next
// to its form and leaves the input as it was.

import { el } from '../dom.js';
import { t } from '../i18n.js';
import { Message } from './message.js';

let fieldCount = 0;

/**
 * A labelled control.
 * @param {object} spec
 * @param {string} spec.name the control's name (and the FormData key)
 * @param {string} spec.label the label's string key
 * @param {string} [spec.hint] a hint's string key, read out with the control
 * @param {Record<string, string>} [spec.hintParams]
 * @param {HTMLElement} [spec.control] a ready control (a select, a textarea)
 * @param {Record<string, unknown>} [spec.attrs] attributes of the `<input>` made otherwise
 */
export function field({ name, label, hint, hintParams, control, attrs = {} }) {
  fieldCount += 1;
  const id = `field-${name}-${fieldCount}`;
  const hintId = hint ? `${id}-hint` : null;
  const input = control ?? el('input', { type: 'text', ...attrs });
  input.id = id;
  input.name = name;
  if (hintId) input.setAttribute('aria-describedby', hintId);
  const hintNode = hint
    ? el('div', { class: 'hint', id: hintId, 'data-i18n': hintParams ? null : hint }, t(hint, hintParams))
    : null;
  return el(
    'div',
    { class: 'field' },
    el('label', { for: id, 'data-i18n': label }, t(label)),
    input,
    hintNode,
  );
}

/** A `<select>` whose options are labelled by key: `[[value, key], ...]`. */
export function select(options, attrs = {}) {
  return el(
    'select',
    attrs,
    options.map(([value, key]) => el('option', { value, 'data-i18n': key }, t(key))),
  );
}

/** A submit button labelled by key. */
export function submitButton(key, attrs = {}) {
  return el('button', { type: 'submit', 'data-i18n': key, ...attrs }, t(key));
}

/** Thrown by a form's own checks: the field at fault and the sentence to show. */
export class InputProblem extends Error {
  /**
   * @param {string} name the control's name
   * @param {string} key the sentence's key
   * @param {Record<string, unknown>} [params]
   */
  constructor(name, key, params) {
    super(key);
    this.field = name;
    this.key = key;
    this.params = params;
  }
}

/**
 * Wires a form's submit: `action(form)` checks the input (throwing InputProblem) and
 * sends it. While it runs the submit buttons are disabled; a failure is shown in the
 * form's message region, with the field at fault marked and focused; nothing typed is
 * cleared. Returns the form's Message (for a success sentence).
 * @param {HTMLFormElement} form
 * @param {(form: HTMLFormElement) => Promise<void>} action
 */
export function onSubmit(form, action) {
  const message = new Message();
  form.append(message.node);
  form.noValidate = true;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    for (const marked of form.querySelectorAll('[aria-invalid="true"]')) {
      marked.removeAttribute('aria-invalid');
    }
    message.clear();
    const buttons = [...form.querySelectorAll('button[type="submit"]')];
    for (const button of buttons) button.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      await action(form);
    } catch (error) {
      if (error instanceof InputProblem) {
        const control = form.elements.namedItem(error.field);
        const label = control instanceof HTMLElement && control.id
          ? form.querySelector(`label[for="${control.id}"]`)
          : null;
        message.problem(error.key, error.params, label?.dataset.i18n);
        if (control instanceof HTMLElement) {
          control.setAttribute('aria-invalid', 'true');
          control.focus();
        }
      } else {
        message.error(error);
      }
    } finally {
      for (const button of buttons) button.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
  return message;
}

/** The trimmed text of a named control. */
export function value(form, name) {
  const control = form.elements.namedItem(name);
  return control && 'value' in control ? String(control.value).trim() : '';
}
