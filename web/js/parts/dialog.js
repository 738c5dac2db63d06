// A modal step in a native <dialog>: a question or a small form, whose action runs before
// it closes, so that a refusal is shown inside it with the input kept.

import { el } from '../dom.js';
import { t } from '../i18n.js';
import { onSubmit, submitButton } from './form.js';

/**
 * Opens a dialog and resolves when it closes: with the action's result, or null when
 * cancelled.
 * @param {object} spec
 * @param {string} spec.title the heading's string key
 * @param {Record<string, unknown>} [spec.titleParams]
 * @param {Array<Node | string>} [spec.body] what the dialog says and asks
 * @param {string} spec.submit the confirming button's string key
 * @param {boolean} [spec.danger] the confirming button marks a step that cannot be undone
 * @param {(form: HTMLFormElement) => Promise<unknown>} spec.action
 */
export function openDialog({ title, titleParams, body = [], submit, danger = false, action }) {
  return new Promise((resolve) => {
    let result = null;
    const titleNode = el('h2', { id: `dialog-title-${Date.now()}` }, t(title, titleParams));
    const redraw = () => {
      titleNode.textContent = t(title, titleParams);
    };
    const cancel = el(
      'button',
      { type: 'button', class: 'secondary', 'data-i18n': 'common.cancel' },
      t('common.cancel'),
    );
    const form = el(
      'form',
      { class: 'dialog-form' },
      ...body,
      el('div', { class: 'form-actions' }, submitButton(submit, { class: danger ? 'danger' : null }), cancel),
    );
    const dialog = el('dialog', { 'aria-labelledby': titleNode.id }, titleNode, form);
    cancel.addEventListener('click', () => dialog.close());
    const message = onSubmit(form, async () => {
      result = (await action(form)) ?? true;
      dialog.close();
    });
    dialog.addEventListener('close', () => {
      document.removeEventListener('languagechange', redraw);
      message.dispose();
      dialog.remove();
      resolve(result);
    });
    document.addEventListener('languagechange', redraw);
    document.body.append(dialog);
    dialog.showModal();
    (form.querySelector('input, select, textarea') ?? form.querySelector('button'))?.focus();
  });
}
