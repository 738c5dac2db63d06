// The header every page shares: brand, the navigation the signed-in role may use, the
// language switch and the sign-in state. It re-renders itself on language and session
// changes.

import { api } from './api.js';
import { el, fill } from './dom.js';
import { lang, setLang, t } from './i18n.js';
import { clearSession, session } from './session.js';

const PAGES = [
  { name: 'lots', href: '/', roles: null },
  { name: 'me', href: '/me', roles: ['bidder'] },
  { name: 'console', href: '/console', roles: ['auctioneer', 'admin'] },
  { name: 'admin', href: '/admin', roles: ['admin', 'supervisor'] },
];

let rendered = null;

/**
 * Renders the header into the page's `<header id="site-header">` (created at the top of
 * `<body>` when the page has none) and keeps it current.
 * @param {'lots' | 'room' | 'me' | 'console' | 'admin'} pageName marks the current entry
 */
export function renderHeader(pageName) {
  let header = document.getElementById('site-header');
  if (!header) {
    header = el('header', { id: 'site-header' });
    document.body.prepend(header);
  }
  header.classList.add('site-header');
  const draw = () => drawHeader(header, pageName);
  if (!rendered) {
    document.addEventListener('languagechange', () => rendered?.());
    document.addEventListener('sessionchange', () => rendered?.());
    window.addEventListener('storage', (event) => {
      if (event.key === 'bidroom.session') rendered?.();
    });
  }
  rendered = draw;
  draw();
  return header;
}

function drawHeader(header, pageName) {
  const current = session();
  const role = current?.account?.role ?? null;
  const links = PAGES.filter((page) => page.roles === null || page.roles.includes(role)).map(
    (page) =>
      el(
        'li',
        null,
        el(
          'a',
          { href: page.href, 'aria-current': page.name === pageName ? 'page' : null },
          t(`nav.${page.name}`),
        ),
      ),
  );
  const other = lang() === 'zh-CN' ? 'en' : 'zh-CN';
  const languageButton = el(
    'button',
    {
      type: 'button',
      class: 'lang-switch',
      lang: other,
      'aria-label': t('nav.switch_language'),
      onclick: () => setLang(other),
    },
    other === 'en' ? 'English' : '中文',
  );
  const account = current
    ? el(
        'div',
        { class: 'account' },
        el('span', { class: 'who' }, current.account.display_name ?? current.account.username),
        el(
          'span',
          { class: 'role' },
          t(`role.${role}`),
        ),
        el('button', { type: 'button', class: 'secondary', onclick: signOut }, t('nav.sign_out')),
      )
    : el('div', { class: 'account' }, el('a', { href: '/#sign-in' }, t('nav.sign_in')));
  fill(
    header,
    el('a', { class: 'skip-link', href: '#main' }, t('nav.skip')),
    el('a', { class: 'brand', href: '/' }, t('brand')),
    el('nav', { 'aria-label': t('nav.label') }, el('ul', null, links)),
    el('div', { class: 'header-tools' }, languageButton, account),
  );
}

async function signOut() {
  try {
    await api('DELETE', '/sessions/current');
  } catch {
    // An expired or revoked token is signed out already; forget it either way.
  }
  clearSession();
  location.assign('/');
}

/**
 * Shows a message in the page's `#page-status` region (an aria-live element), for
 * errors that belong to no form. `kind` is `info` or `error`.
 */
export function pageStatus(text, kind = 'info') {
  const region = document.getElementById('page-status');
  if (!region) return;
  region.textContent = text;
  region.dataset.kind = kind;
  region.hidden = !text;
}
