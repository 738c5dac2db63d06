// Who may use a page: a signed-out visitor, or an account of another role, sees a clear
// message with a link to sign in instead of the page.

import { el } from '../dom.js';
import { t } from '../i18n.js';
import { clearSession, session } from '../session.js';
import { passwordCard } from './password.js';

/**
 * @param {HTMLElement} main the page's `<main>`
 * @param {string[]} roles the roles the page is for
 * @param {string} needKey the sentence that says who the page is for
 * @returns {object | null} the signed-in account, or null when the gate was shown
 */
export function passGate(main, roles, needKey) {
  const current = session();
  if (current?.account.must_change_password) {
    // Nothing else answers until the password is changed: the page comes after.
    main.replaceChildren(passwordCard({ required: true, changed: () => window.location.reload() }));
    return null;
  }
  if (current && roles.includes(current.account.role)) return current.account;
  showGate(main, current ? 'parts.gate.wrong_role' : 'parts.gate.signed_out', needKey);
  return null;
}

/** The session's token was refused (expired, signed out elsewhere): forget it. */
export function sessionExpired(main, needKey) {
  clearSession();
  showGate(main, 'parts.gate.expired', needKey);
}

function showGate(main, reasonKey, needKey) {
  const status = document.getElementById('page-status');
  main.replaceChildren(
    ...(status ? [status] : []),
    el(
      'section',
      { class: 'card gate', 'aria-labelledby': 'gate-title' },
      el('h1', { id: 'gate-title', 'data-i18n': reasonKey }, t(reasonKey)),
      el('p', { 'data-i18n': needKey }, t(needKey)),
      el(
        'p',
        null,
        el('a', { class: 'button', href: '/#sign-in', 'data-i18n': 'parts.gate.sign_in' },
          t('parts.gate.sign_in')),
      ),
    ),
  );
}
