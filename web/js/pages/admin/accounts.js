// Creating staff and other accounts: auctioneers, admins and supervisors (read-only
// staff, 监督) are created by an admin, who may require a password change at first
// sign-in.

import { api } from '../../api.js';
import { el } from '../../dom.js';
import { InputProblem, field, onSubmit, select, submitButton, value } from '../../parts/form.js';
import { t } from '../../i18n.js';

const USERNAME = /^[A-Za-z0-9_.-]{3,64}$/;

export function accountsCard() {
  const form = el(
    'form',
    { class: 'narrow-form', 'aria-labelledby': 'new-account-title' },
    field({ name: 'username', label: 'admin.accounts.username', hint: 'admin.accounts.username_hint', attrs: { autocomplete: 'off', required: true } }),
    field({ name: 'display_name', label: 'admin.identities.display_name', attrs: { autocomplete: 'off', maxlength: 100, required: true } }),
    field({ name: 'password', label: 'admin.accounts.password', hint: 'admin.accounts.password_hint', attrs: { type: 'password', autocomplete: 'new-password', required: true } }),
    field({
      name: 'role',
      label: 'admin.accounts.role',
      control: select([
        ['auctioneer', 'admin.accounts.role_auctioneer'],
        ['supervisor', 'admin.accounts.role_supervisor'],
        ['admin', 'admin.accounts.role_admin'],
        ['bidder', 'admin.accounts.role_bidder'],
      ]),
    }),
    el(
      'div',
      { class: 'field check' },
      el('label', null, el('input', { type: 'checkbox', name: 'must_change_password', checked: true }), ' ',
        el('span', { 'data-i18n': 'admin.accounts.must_change' })),
    ),
    el('div', { class: 'form-actions' }, submitButton('admin.accounts.submit')),
  );
  const message = onSubmit(form, async () => {
    const username = value(form, 'username');
    if (!USERNAME.test(username)) throw new InputProblem('username', 'admin.accounts.username_invalid');
    const displayName = value(form, 'display_name');
    if (!displayName) throw new InputProblem('display_name', 'admin.accounts.name_required');
    const password = String(form.elements.namedItem('password').value);
    const chars = [...password].length;
    if (chars < 8 || chars > 256) throw new InputProblem('password', 'admin.accounts.password_invalid');
    const body = {
      username,
      display_name: displayName,
      password,
      role: value(form, 'role'),
      must_change_password: form.elements.namedItem('must_change_password').checked,
    };
    const account = await api('POST', '/accounts', { body });
    form.reset();
    message.done('admin.accounts.done', { username: account.username });
  });
  return el(
    'section',
    { class: 'card', id: 'new-account', 'aria-labelledby': 'new-account-title' },
    el('h2', { id: 'new-account-title', 'data-i18n': 'admin.accounts.title' }, t('admin.accounts.title')),
    form,
  );
}
