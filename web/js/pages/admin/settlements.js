// Settlements still open: the winner has not paid. Once overdue (past the due time, or
// at any time after the close when the lot set none) an admin may mark one defaulted,
// which forfeits the winner's deposit.

import { api } from '../../api.js';
import { el } from '../../dom.js';
import { formatMoney, formatTime } from '../../format.js';
import { t } from '../../i18n.js';
import { openDialog } from '../../parts/dialog.js';
import { Section } from '../../parts/section.js';
import { dataTable } from '../../parts/table.js';

export function settlementsSection({ expired, moneyMoved }) {
  const section = new Section({
    id: 'settlements',
    title: 'admin.settlements.title',
    load: () => api('GET', '/settlements?status=open&limit=200'),
    expired,
    draw(into, list) {
      const money = (name) => (row) => formatMoney(row[name], row.currency);
      into.append(
        dataTable({
          caption: 'admin.settlements.caption',
          key: (row) => row.lot_id,
          empty: 'admin.settlements.none',
          rows: list,
          columns: [
            { label: 'admin.guarantees.lot', cell: (row) => el('a', { href: `/lots/${row.lot_id}` }, row.lot_title) },
            {
              label: 'admin.settlements.winner',
              cell: (row) => el('div', null, row.winner_display_name, el('div', { class: 'small muted' }, row.winner_username)),
            },
            { label: 'admin.settlements.price', class: 'amount', cell: money('price') },
            { label: 'admin.settlements.balance', class: 'amount', cell: money('balance') },
            { label: 'admin.settlements.deposit', class: 'amount', cell: money('deposit_applied') },
            {
              label: 'admin.settlements.due_at',
              cell: (row) => (row.due_at ? formatTime(row.due_at) : t('admin.settlements.no_due')),
            },
            {
              label: 'admin.settlements.overdue',
              cell: (row) =>
                el('span', { class: `badge ${row.overdue ? 'cancelled' : 'published'}` },
                  t(row.overdue ? 'admin.settlements.is_overdue' : 'admin.settlements.not_due')),
            },
            { label: 'admin.actions', cell: (row) => (row.overdue ? defaultButton(row) : '—') },
          ],
        }),
      );
    },
  });

  const defaultButton = (row) =>
    el('button', { type: 'button', class: 'danger', onclick: () => markDefaulted(row) }, t('admin.settlements.default'));

  async function markDefaulted(row) {
    const done = await openDialog({
      title: 'admin.settlements.default_title',
      body: [
        el('p', null, el('strong', null, row.lot_title)),
        el('p', null, t('admin.settlements.default_explain', {
          winner: row.winner_display_name,
          balance: formatMoney(row.balance, row.currency),
          deposit: formatMoney(row.deposit_applied, row.currency),
        })),
      ],
      submit: 'admin.settlements.default',
      danger: true,
      action: () => api('POST', `/lots/${row.lot_id}/settlement/default`),
    });
    if (done) {
      section.message.done('admin.settlements.defaulted', { title: row.lot_title });
      await Promise.all([section.refresh(), moneyMoved()]);
    }
  }

  return section;
}
