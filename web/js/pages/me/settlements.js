// Settlement (成交结算): what a won lot still costs (price + fee − the deposit applied),
// paid whole from the available balance after a confirmation; and the documents of each
// won lot (the transaction confirmation, 成交确认书).

import { api } from '../../api.js';
import { el } from '../../dom.js';
import { chineseCapital, formatMoney, formatTime } from '../../format.js';
import { t } from '../../i18n.js';
import { parseMoney } from '../../money.js';
import { openDialog } from '../../parts/dialog.js';
import { openDocument, saveDocument } from '../../parts/document.js';
import { Message } from '../../parts/message.js';
import { Section } from '../../parts/section.js';
import { badge, dataTable } from '../../parts/table.js';

export function settlementsSections({ expired, moneyMoved }) {
  const settlements = new Section({
    id: 'settlements',
    title: 'me.settlements.title',
    load: () => api('GET', '/me/settlements?limit=200'),
    expired,
    draw(into, list) {
      const money = (name) => (row) => formatMoney(row[name], row.currency);
      into.append(
        dataTable({
          caption: 'me.settlements.caption',
          key: (row) => row.lot_id,
          empty: 'me.settlements.none',
          rows: list,
          columns: [
            { label: 'me.applications.lot', cell: (row) => el('a', { href: `/lots/${row.lot_id}` }, row.lot_title) },
            { label: 'me.settlements.price', class: 'amount', cell: money('price') },
            { label: 'me.settlements.fee', class: 'amount', cell: money('fee') },
            { label: 'me.settlements.deposit_applied', class: 'amount', cell: money('deposit_applied') },
            { label: 'me.settlements.amount_due', class: 'amount', cell: money('amount_due') },
            { label: 'me.settlements.amount_paid', class: 'amount', cell: money('amount_paid') },
            { label: 'me.settlements.balance', class: 'amount', cell: money('balance') },
            { label: 'me.settlements.due_at', cell: (row) => (row.due_at ? formatTime(row.due_at) : t('me.settlements.no_due')) },
            { label: 'me.settlements.status', cell: (row) => badge('me.settlements.state', row.status) },
            { label: 'me.applications.actions', cell: (row) => payButton(row) },
          ],
        }),
      );
      drawDocuments(list);
    },
  });

  function payButton(row) {
    const balance = parseMoney(row.balance);
    if (row.status !== 'open' || balance === null || balance <= 0n) return '—';
    return el('button', { type: 'button', onclick: () => pay(row) }, t('me.settlements.pay'));
  }

  async function pay(row) {
    const capital = row.currency === 'CNY' ? chineseCapital(row.balance) : null;
    const done = await openDialog({
      title: 'me.settlements.pay_title',
      body: [
        el('p', null, el('strong', null, row.lot_title)),
        el('p', { class: 'pay-amount' }, formatMoney(row.balance, row.currency)),
        capital ? el('p', { class: 'muted', lang: 'zh-CN' }, capital) : null,
        el('p', null, t('me.settlements.pay_explain')),
      ],
      submit: 'me.settlements.pay_confirm',
      action: () => api('POST', `/lots/${row.lot_id}/settlement/pay`),
    });
    if (done) {
      settlements.message.done('me.settlements.paid', { title: row.lot_title });
      await Promise.all([settlements.refresh(), moneyMoved()]);
    }
  }

  const documentsMessage = new Message();
  const documentsBody = el('div');
  const documents = {
    node: el(
      'section',
      { class: 'card', id: 'documents', 'aria-labelledby': 'documents-title' },
      el('h2', { id: 'documents-title', 'data-i18n': 'me.documents.title' }, t('me.documents.title')),
      documentsMessage.node,
      documentsBody,
    ),
  };

  function drawDocuments(list) {
    const open = (row, how) => async () => {
      documentsMessage.clear();
      try {
        const path = `/lots/${row.lot_id}/settlement/confirmation`;
        await how(path, `confirmation-lot-${row.lot_id}.html`);
      } catch (error) {
        documentsMessage.error(error);
      }
    };
    documentsBody.replaceChildren(
      dataTable({
        caption: 'me.documents.caption',
        empty: 'me.documents.none',
        rows: list,
        columns: [
          { label: 'me.documents.document', cell: () => t('me.documents.confirmation') },
          { label: 'me.applications.lot', cell: (row) => row.lot_title },
          {
            label: 'me.documents.note',
            cell: (row) => (row.status === 'defaulted' ? t('me.documents.void') : '—'),
          },
          {
            label: 'me.applications.actions',
            cell: (row) =>
              el(
                'div',
                { class: 'form-actions' },
                el('button', { type: 'button', onclick: open(row, openDocument) }, t('me.documents.open')),
                el(
                  'button',
                  { type: 'button', class: 'secondary', onclick: open(row, saveDocument) },
                  t('me.documents.save'),
                ),
              ),
          },
        ],
      }),
    );
  }

  return { settlements, documents };
}
