// Withdrawals (余额退还): from the available balance back to the bank account the money
// came from; each request carries an Idempotency-Key, the same one when it is retried.

import { api } from '../../api.js';
import { el } from '../../dom.js';
import { formatMoney, formatTime } from '../../format.js';
import { t } from '../../i18n.js';
import { moneyString, parseMoney } from '../../money.js';
import { readAmount } from '../../parts/amount.js';
import { field, onSubmit, submitButton } from '../../parts/form.js';
import { RetryKey } from '../../parts/retry-key.js';
import { Section } from '../../parts/section.js';
import { badge, dataTable } from '../../parts/table.js';

export function withdrawalsSection({ expired, moneyMoved, wallet }) {
  const section = new Section({
    id: 'withdrawals',
    title: 'me.withdrawals.title',
    load: () => api('GET', '/me/withdrawals?limit=50'),
    expired,
    draw(into, list) {
      into.append(
        dataTable({
          caption: 'me.withdrawals.caption',
          empty: 'me.withdrawals.none',
          rows: list,
          columns: [
            { label: 'me.withdrawals.at', cell: (row) => formatTime(row.created_at) },
            { label: 'common.amount', class: 'amount', cell: (row) => formatMoney(row.amount, row.currency) },
            { label: 'me.withdrawals.status', cell: (row) => badge('me.withdrawals.state', row.status) },
          ],
        }),
      );
    },
  });

  const keys = new RetryKey();
  const form = el(
    'form',
    { class: 'narrow-form', 'aria-labelledby': 'withdrawals-title' },
    field({
      name: 'amount',
      label: 'me.withdrawals.amount',
      hint: 'me.withdrawals.hint',
      attrs: { inputmode: 'decimal', autocomplete: 'off', required: true },
    }),
    el('div', { class: 'form-actions' }, submitButton('me.withdrawals.submit')),
  );
  const message = onSubmit(form, async () => {
    const available = wallet.data ? parseMoney(wallet.data.available) : null;
    const currency = wallet.data?.currency ?? 'CNY';
    const amount = readAmount(form, 'amount', {
      max: available ?? undefined,
      currency,
    });
    const request = { amount: moneyString(amount) };
    await api('POST', '/wallet/withdrawals', { body: request, idempotencyKey: keys.for(request) });
    keys.done();
    form.reset();
    message.done('me.withdrawals.done', { amount: formatMoney(request.amount, currency) });
    await Promise.all([section.refresh(), moneyMoved()]);
  });
  section.fixed.append(form);
  return section;
}
