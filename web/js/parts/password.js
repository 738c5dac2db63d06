// Changing one's password (`POST /me/password`): on /me, and in place of any page while
// the account must change it first (an account an admin created so).

import { api } from '../api.js';
import { el } from '../dom.js';
import { t } from '../i18n.js';
import { InputProblem, field, onSubmit, submitButton } from './form.js';
import { saveSession, session } from '../session.js';

const MIN_CHARS = 8;
const MAX_CHARS = 256;

/**
 * A card with the password form.
 * @param {object} spec
 * @param {boolean} spec.required whether the change is required before anything else
 * @param {() => void} [spec.changed] called once the password is changed
 */
export function passwordCard({ required, changed }) {
  const title = required ? 'parts.password.required_title' : 'parts.password.title';
  const form = el(
    'form',
    { class: 'narrow-form', 'aria-labelledby': 'password-title' },
    field({ name: 'current', label: 'parts.password.current', attrs: { type: 'password', autocomplete: 'current-password', required: true } }),
    field({
      name: 'new',
      label: 'parts.password.new',
      hint: 'parts.password.hint',
      attrs: { type: 'password', autocomplete: 'new-password', required: true },
    }),
    field({ name: 'confirm', label: 'parts.password.confirm', attrs: { type: 'password', autocomplete: 'new-password', required: true } }),
    el('div', { class: 'form-actions' }, submitButton('parts.password.submit')),
  );
  const message = onSubmit(form, async () => {
    // Passwords are kept as typed: no trimming.
    const raw = (name) => String(form.elements.namedItem(name).value);
    if (!raw('current')) throw new InputProblem('current', 'parts.password.current_required');
    const chars = [...raw('new')].length;
    if (chars < MIN_CHARS || chars > MAX_CHARS) {
      throw new InputProblem('new', 'parts.password.length', { min: MIN_CHARS, max: MAX_CHARS });
    }
    if (raw('new') !== raw('confirm')) throw new InputProblem('confirm', 'parts.password.mismatch');
    try {
      await api('POST', '/me/password', { body: { current: raw('current'), new: raw('new') } });
    } catch (error) {
      if (error.code === 'wrong_password') throw new InputProblem('current', 'parts.password.wrong');
      throw error;
    }
    form.reset();
    const current = session();
    if (current) saveSession(current.token, { ...current.account, must_change_password: false });
    message.done('parts.password.done');
    changed?.();
  });
  const explain = required
    ? el('p', { 'data-i18n': 'parts.password.required_explain' }, t('parts.password.required_explain'))
    : null;
  return el(
    'section',
    { class: 'card', id: 'password', 'aria-labelledby': 'password-title' },
    el('h2', { id: 'password-title', 'data-i18n': title }, t(title)),
    explain,
    form,
  );
}
