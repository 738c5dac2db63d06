// A native <dialog> that asks a yes/no question and, optionally, for a text (a reason).

import { el } from '../dom.js';
import { t } from '../i18n.js';

/**
 * @param {{title: string, body: string, confirmLabel: string, danger?: boolean,
 *          input?: {label: string, required?: boolean, maxlength?: number}}} options
 * @returns {Promise<{confirmed: boolean, text?: string}>}
 */
export function confirmDialog({ title, body, confirmLabel, danger = false, input }) {
  return new Promise((resolve) => {
    const textInput = input
      ? el('textarea', { id: 'dialog-text', required: input.required ?? false, maxlength: input.maxlength ?? 500, rows: 3 })
      : null;
    const problem = el('p', { class: 'message error', role: 'alert' });
    const confirm = el('button', { type: 'submit', value: 'confirm', class: danger ? 'danger' : null }, confirmLabel);
    const form = el(
      'form',
      { method: 'dialog' },
      el('h2', { id: 'dialog-title' }, title),
      el('p', { id: 'dialog-body' }, body),
      textInput ? el('div', { class: 'field' }, el('label', { for: 'dialog-text' }, input.label), textInput) : null,
      problem,
      el(
        'div',
        { class: 'form-actions' },
        confirm,
        el('button', { type: 'submit', value: 'cancel', class: 'secondary', formnovalidate: true }, t('common.cancel')),
      ),
    );
    const dialog = el('dialog', { 'aria-labelledby': 'dialog-title', 'aria-describedby': 'dialog-body' }, form);
    form.addEventListener('submit', (event) => {
      if (event.submitter?.value === 'confirm' && textInput && input.required && !textInput.value.trim()) {
        event.preventDefault();
        problem.textContent = t('room.dialog.text_required');
        textInput.focus();
      }
    });
    dialog.addEventListener('close', () => {
      const confirmed = dialog.returnValue === 'confirm';
      dialog.remove();
      resolve({ confirmed, text: textInput?.value.trim() });
    });
    document.body.append(dialog);
    dialog.showModal();
    (textInput ?? confirm).focus();
  });
}
