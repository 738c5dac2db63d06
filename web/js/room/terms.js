// The lot's terms (GET /lots/{id}) as a definition list.

import { el } from '../dom.js';
import { formatMoney, formatTime } from '../format.js';
import { t } from '../i18n.js';

/** "0.015" → "1.5%" without a float: the decimal point moves two places. */
export function percent(rate) {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(String(rate));
  if (!match) return String(rate);
  const [, whole, fraction = ''] = match;
  const digits = `${whole}${fraction.padEnd(2, '0')}`;
  const point = whole.length + 2;
  const integer = digits.slice(0, point).replace(/^0+(?=\d)/, '');
  const rest = digits.slice(point).replace(/0+$/, '');
  return `${integer}${rest ? `.${rest}` : ''}%`;
}

function deposit(lot) {
  if (lot.deposit.kind === 'fixed') return formatMoney(lot.deposit.amount, lot.currency);
  return t('room.terms.deposit_range', {
    min: formatMoney(lot.deposit.min, lot.currency),
    max: formatMoney(lot.deposit.max, lot.currency),
  });
}

/** @param {object} lot as GET /lots/{id} answers */
export function termsList(lot) {
  const rows = [
    ['currency', lot.currency],
    ['start_price', formatMoney(lot.start_price, lot.currency)],
    ['increment', formatMoney(lot.increment, lot.currency)],
    ['reserve', lot.has_reserve ? t('room.terms.has_reserve') : t('room.terms.no_reserve')],
    ['deposit', deposit(lot)],
    ['fee_rate', percent(lot.fee_rate)],
    ['applications_close_at', formatTime(lot.applications_close_at)],
    ['deposit_deadline', formatTime(lot.deposit_deadline)],
    ['starts_at', formatTime(lot.starts_at)],
    ['ends_at', formatTime(lot.ends_at)],
    ['extension', t(`room.terms.extension_${lot.extension_mode}`, { secs: lot.extension_window_secs })],
    [
      'max_extensions',
      lot.max_extensions === null || lot.max_extensions === undefined
        ? t('room.terms.unlimited')
        : String(lot.max_extensions),
    ],
  ];
  if (lot.settlement_due_at) rows.push(['settlement_due_at', formatTime(lot.settlement_due_at)]);
  return el(
    'dl',
    { class: 'terms' },
    rows.flatMap(([key, value]) => [el('dt', null, t(`room.terms.${key}`)), el('dd', null, value)]),
  );
}
