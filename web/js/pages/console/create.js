// Creating a lot (a draft): every term of SPEC §2, the times entered in the viewer's own
// time zone and sent in UTC; checked here first, then by the server.

import { api } from '../../api.js';
import { el } from '../../dom.js';
import { t } from '../../i18n.js';
import { field, onSubmit, select, submitButton } from '../../parts/form.js';
import { msToLocalInput, viewerZone } from '../../parts/times.js';
import { lotRequest } from './lot-terms.js';

const HOUR_MS = 3_600_000;

export function createLotSection({ created }) {
  const money = { inputmode: 'decimal', autocomplete: 'off' };
  const depositKind = (kind) =>
    el(
      'label',
      { class: 'choice' },
      el('input', { type: 'radio', name: 'deposit_kind', value: kind, checked: kind === 'fixed' }),
      el('span', { 'data-i18n': `console.create.deposit_${kind}` }, t(`console.create.deposit_${kind}`)),
    );
  const fixedFields = el(
    'div',
    { class: 'deposit-fixed' },
    field({ name: 'deposit_amount', label: 'console.create.deposit_amount', attrs: money }),
  );
  const rangeFields = el(
    'div',
    { class: 'deposit-range form-grid', hidden: true },
    field({ name: 'deposit_min', label: 'console.create.deposit_min', attrs: money }),
    field({ name: 'deposit_max', label: 'console.create.deposit_max', attrs: money }),
  );
  const zone = el('p', { class: 'hint' }, t('parts.time_zone', { zone: viewerZone() }));
  const time = (name, hint) =>
    field({ name, label: `console.create.${name}`, hint, attrs: { type: 'datetime-local', step: 60 } });

  const form = el(
    'form',
    { 'aria-labelledby': 'create-title' },
    el(
      'fieldset',
      null,
      el('legend', { 'data-i18n': 'console.create.what' }, t('console.create.what')),
      field({ name: 'title', label: 'console.create.title_field', attrs: { maxlength: 200, required: true } }),
      field({
        name: 'description',
        label: 'console.create.description',
        control: el('textarea', { maxlength: 20000, rows: 4 }),
      }),
    ),
    el(
      'fieldset',
      null,
      el('legend', { 'data-i18n': 'console.create.prices' }, t('console.create.prices')),
      el(
        'div',
        { class: 'form-grid' },
        field({
          name: 'currency',
          label: 'console.create.currency',
          hint: 'console.create.currency_hint',
          attrs: { value: 'CNY', maxlength: 3, autocapitalize: 'characters', autocomplete: 'off' },
        }),
        field({ name: 'start_price', label: 'console.create.start_price', attrs: { ...money, required: true } }),
        field({ name: 'increment', label: 'console.create.increment', attrs: { ...money, required: true } }),
        field({
          name: 'reserve_price',
          label: 'console.create.reserve_price',
          hint: 'console.create.reserve_hint',
          attrs: money,
        }),
        field({
          name: 'fee_rate',
          label: 'console.create.fee_rate',
          hint: 'console.create.fee_rate_hint',
          attrs: { inputmode: 'decimal', autocomplete: 'off', value: '0.01' },
        }),
      ),
    ),
    el(
      'fieldset',
      null,
      el('legend', { 'data-i18n': 'console.create.deposit' }, t('console.create.deposit')),
      el('div', { class: 'row' }, depositKind('fixed'), depositKind('range')),
      fixedFields,
      rangeFields,
    ),
    el(
      'fieldset',
      null,
      el('legend', { 'data-i18n': 'console.create.times' }, t('console.create.times')),
      zone,
      el(
        'div',
        { class: 'form-grid' },
        time('applications_close_at', 'console.create.at_or_before_start'),
        time('deposit_deadline', 'console.create.at_or_before_start'),
        time('starts_at'),
        time('ends_at', 'console.create.ends_hint'),
        time('settlement_due_at', 'console.create.due_hint'),
      ),
    ),
    el(
      'fieldset',
      null,
      el('legend', { 'data-i18n': 'console.create.extension' }, t('console.create.extension')),
      el(
        'div',
        { class: 'form-grid' },
        field({
          name: 'extension_window_secs',
          label: 'console.create.extension_window_secs',
          hint: 'console.create.extension_window_hint',
          attrs: { inputmode: 'numeric', value: '300', autocomplete: 'off' },
        }),
        field({
          name: 'max_extensions',
          label: 'console.create.max_extensions',
          hint: 'console.create.max_extensions_hint',
          attrs: { inputmode: 'numeric', autocomplete: 'off' },
        }),
        field({
          name: 'extension_mode',
          label: 'console.create.extension_mode',
          control: select([
            ['reset', 'console.create.mode_reset'],
            ['add', 'console.create.mode_add'],
          ]),
        }),
      ),
    ),
    el('div', { class: 'form-actions' }, submitButton('console.create.submit')),
  );

  form.addEventListener('change', (event) => {
    if (event.target.name !== 'deposit_kind') return;
    const range = form.elements.namedItem('deposit_kind').value === 'range';
    fixedFields.hidden = range;
    rangeFields.hidden = !range;
  });
  setDefaultTimes(form);
  document.addEventListener('languagechange', () => {
    zone.textContent = t('parts.time_zone', { zone: viewerZone() });
  });

  const message = onSubmit(form, async () => {
    const request = lotRequest(form);
    const lot = await api('POST', '/lots', { body: request });
    form.reset();
    setDefaultTimes(form);
    form.dispatchEvent(new Event('change'));
    fixedFields.hidden = false;
    rangeFields.hidden = true;
    message.done('console.create.done', { title: lot.title });
    await created(lot);
  });

  const node = el(
    'section',
    { class: 'card', id: 'create', 'aria-labelledby': 'create-title' },
    el('h2', { id: 'create-title', 'data-i18n': 'console.create.title' }, t('console.create.title')),
    form,
  );
  return { node };
}

/** Bidding a day from now for an hour, on the hour; applications and deposits until then. */
function setDefaultTimes(form) {
  const start = Math.ceil((Date.now() + 24 * HOUR_MS) / HOUR_MS) * HOUR_MS;
  const set = (name, ms) => {
    form.elements.namedItem(name).value = msToLocalInput(ms);
  };
  set('applications_close_at', start);
  set('deposit_deadline', start);
  set('starts_at', start);
  set('ends_at', start + HOUR_MS);
}
