// `/`: the lots (live, upcoming, ended), the published announcements and, for a visitor,
// sign in and sign up.

import { api, errorMessage } from '../api.js';
import { clear, el } from '../dom.js';
import { formatMoney, formatTime } from '../format.js';
import { loadStrings, t, translate } from '../i18n.js';
import { pageStatus, renderHeader } from '../layout.js';
import { saveSession, session } from '../session.js';
import { announcementsSection } from './index/announcements.js';

const REFRESH_MS = 10_000;
const GROUPS = [
  { name: 'live', states: ['open', 'paused'] },
  { name: 'upcoming', states: ['published', 'draft'] },
  { name: 'ended', states: ['closed', 'cancelled'] },
];

let lots = null;
let lotsError = null;

async function main() {
  await loadStrings('index');
  translate(document);
  renderHeader('lots');
  const mainNode = document.getElementById('main');
  const lotsSection = el('section', { class: 'lots', 'aria-labelledby': 'lots-title' });
  const accountSection = el('section', { class: 'account-forms', id: 'sign-in' });
  const announcements = announcementsSection();
  mainNode.append(el('h1', { 'data-i18n': 'index.heading' }), lotsSection, announcements.node, accountSection);
  const draw = () => {
    translate(document);
    drawLots(lotsSection);
    announcements.draw();
    drawAccount(accountSection);
  };
  document.addEventListener('languagechange', draw);
  document.addEventListener('sessionchange', () => {
    draw();
    refresh(lotsSection);
  });
  draw();
  await Promise.all([refresh(lotsSection), announcements.search()]);
  setInterval(() => refresh(lotsSection), REFRESH_MS);
  if (location.hash === '#sign-in') accountSection.querySelector('input')?.focus();
}

async function refresh(section) {
  try {
    lots = await api('GET', '/lots');
    lotsError = null;
  } catch (error) {
    lotsError = errorMessage(error);
  }
  drawLots(section);
}

function drawLots(section) {
  clear(section).append(el('h2', { id: 'lots-title' }, t('index.lots.title')));
  if (lotsError) section.append(el('p', { class: 'message error', role: 'alert' }, lotsError));
  if (lots === null) {
    section.append(el('p', { class: 'muted' }, t('common.loading')));
    return;
  }
  for (const group of GROUPS) {
    const members = lots.filter((lot) => group.states.includes(lot.state));
    const headingId = `lots-${group.name}`;
    const block = el(
      'div',
      { class: 'card', role: 'region', 'aria-labelledby': headingId },
      el('h3', { id: headingId }, `${t(`index.lots.${group.name}`)} (${members.length})`),
    );
    if (members.length === 0) block.append(el('p', { class: 'muted' }, t(`index.lots.none_${group.name}`)));
    else block.append(el('ul', { class: 'lot-list' }, members.map(lotItem)));
    section.append(block);
  }
}

function lotItem(lot) {
  const runsRooms = ['auctioneer', 'admin'].includes(session()?.account?.role);
  const priceLabel = lot.price === null ? t('index.lot.start_price') : t('index.lot.price');
  const priceText = formatMoney(lot.price ?? lot.start_price, lot.currency);
  const when = whenLine(lot);
  return el(
    'li',
    { class: 'lot-item', dataset: { lot: String(lot.id), state: lot.state } },
    el(
      'div',
      null,
      el('h3', null, el('a', { href: `/lots/${encodeURIComponent(lot.id)}` }, lot.title)),
      el(
        'p',
        { class: 'small muted' },
        el('span', { class: `badge ${lot.state}` }, t(`state.${lot.state}`)),
        ' ',
        lot.result ? el('span', { class: 'badge' }, t(`result.${lot.result}`)) : null,
        ' ',
        when,
        ' · ',
        t('index.lot.bids', { count: lot.bid_count }),
      ),
    ),
    el(
      'div',
      null,
      el('div', { class: 'small muted' }, priceLabel),
      el('div', { class: 'price' }, priceText),
      runsRooms
        ? el(
            'a',
            { class: 'small', href: `/console/lots/${encodeURIComponent(lot.id)}` },
            t('index.lot.monitor'),
          )
        : null,
    ),
  );
}

function whenLine(lot) {
  if (lot.state === 'published' || lot.state === 'draft') {
    return t('index.lot.starts', { time: formatTime(lot.starts_at) });
  }
  if (lot.state === 'open' || lot.state === 'paused') {
    return t('index.lot.deadline', { time: formatTime(lot.deadline) });
  }
  return t('index.lot.ended', { time: formatTime(lot.deadline) });
}

function drawAccount(section) {
  clear(section);
  const current = session();
  if (current) {
    section.append(
      el(
        'div',
        { class: 'card' },
        el('p', null, t('index.signed_in_as', { name: current.account.display_name ?? current.account.username })),
      ),
    );
    return;
  }
  section.append(el('div', { class: 'grid' }, signInForm(), signUpForm()));
}

function field(id, labelKey, attrs, hintKey) {
  return el(
    'div',
    { class: 'field' },
    el('label', { for: id }, t(labelKey)),
    el('input', { id, name: id.split('-').pop(), ...attrs, 'aria-describedby': hintKey ? `${id}-hint` : null }),
    hintKey ? el('div', { class: 'hint', id: `${id}-hint` }, t(hintKey)) : null,
  );
}

function signInForm() {
  const message = el('p', { class: 'message error', role: 'alert' });
  const form = el(
    'form',
    { class: 'card', id: 'sign-in-form', 'aria-labelledby': 'sign-in-title', novalidate: true },
    el('h2', { id: 'sign-in-title' }, t('index.sign_in.title')),
    field('sign-in-username', 'index.form.username', { autocomplete: 'username', required: true }),
    field('sign-in-password', 'index.form.password', { type: 'password', autocomplete: 'current-password', required: true }),
    message,
    el('div', { class: 'form-actions' }, el('button', { type: 'submit' }, t('index.sign_in.submit'))),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const username = form.elements.username.value.trim();
    const password = form.elements.password.value;
    message.textContent = '';
    if (!username || !password) {
      message.textContent = t('index.sign_in.missing');
      return;
    }
    await submitting(form, async () => {
      const signedIn = await api('POST', '/sessions', { body: { username, password } });
      saveSession(signedIn.token, signedIn.account);
      pageStatus(t('index.signed_in_as', { name: signedIn.account.display_name }), 'info');
      // A temporary password is changed before anything else: /me shows the form.
      if (signedIn.account.must_change_password) {
        location.assign('/me');
        return;
      }
      followNext();
    }, message);
  });
  return form;
}

const USERNAME = /^[A-Za-z0-9_.-]{3,64}$/;

/** A person or a company (机构): chosen once, at sign-up. */
function kindChoice() {
  const choice = (kind) =>
    el(
      'label',
      { class: 'choice' },
      el('input', { type: 'radio', name: 'kind', value: kind, checked: kind === 'individual' }),
      el('span', null, t(`index.sign_up.kind_${kind}`)),
    );
  return el(
    'fieldset',
    { 'aria-describedby': 'sign-up-kind-hint' },
    el('legend', null, t('index.sign_up.kind')),
    choice('individual'),
    choice('organisation'),
    el('div', { class: 'hint small muted', id: 'sign-up-kind-hint' }, t('index.sign_up.kind_hint')),
  );
}

function signUpForm() {
  const message = el('p', { class: 'message error', role: 'alert' });
  const form = el(
    'form',
    { class: 'card', id: 'sign-up-form', 'aria-labelledby': 'sign-up-title', novalidate: true },
    el('h2', { id: 'sign-up-title' }, t('index.sign_up.title')),
    el('p', { class: 'small muted' }, t('index.sign_up.intro')),
    field('sign-up-username', 'index.form.username', { autocomplete: 'username', required: true }, 'index.form.username_hint'),
    field('sign-up-display_name', 'index.form.display_name', { autocomplete: 'name', required: true, maxlength: 100 }, 'index.form.display_name_hint'),
    field('sign-up-password', 'index.form.password', { type: 'password', autocomplete: 'new-password', required: true }, 'index.form.password_hint'),
    kindChoice(),
    message,
    el('div', { class: 'form-actions' }, el('button', { type: 'submit' }, t('index.sign_up.submit'))),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const username = form.elements.username.value.trim();
    const displayName = form.elements.display_name.value.trim();
    const password = form.elements.password.value;
    const kind = form.elements.kind.value;
    const problems = [];
    if (!USERNAME.test(username)) problems.push(['username', t('index.form.username_hint')]);
    if (!displayName || [...displayName].length > 100) problems.push(['display_name', t('index.form.display_name_hint')]);
    if ([...password].length < 8 || [...password].length > 256) problems.push(['password', t('index.form.password_hint')]);
    for (const name of ['username', 'display_name', 'password']) {
      form.elements[name].setAttribute('aria-invalid', String(problems.some(([n]) => n === name)));
    }
    if (problems.length) {
      message.textContent = problems.map(([, text]) => text).join(' ');
      form.elements[problems[0][0]].focus();
      return;
    }
    message.textContent = '';
    await submitting(form, async () => {
      await api('POST', '/accounts', { body: { username, password, display_name: displayName, kind } });
      const signedIn = await api('POST', '/sessions', { body: { username, password } });
      saveSession(signedIn.token, signedIn.account);
      pageStatus(t('index.sign_up.done', { name: signedIn.account.display_name }), 'info');
    }, message);
  });
  return form;
}

/** After signing in from a room's link (`/?next=/lots/4#sign-in`), go back to it. */
function followNext() {
  const next = new URLSearchParams(location.search).get('next');
  // Only a path on this site: `//host` or `https:` would leave it.
  if (next && next.startsWith('/') && !next.startsWith('//')) location.assign(next);
}

async function submitting(form, action, message) {
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    await action();
  } catch (error) {
    message.textContent = errorMessage(error);
  } finally {
    button.disabled = false;
  }
}

main().catch((error) => pageStatus(errorMessage(error), 'error'));
