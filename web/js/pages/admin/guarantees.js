// Electronic guarantees (电子保函) waiting for a decision: accepted (it then stands for
// the application's deposit) or rejected with a reason.

import { api } from '../../api.js';
import { el } from '../../dom.js';
import { formatMoney, formatTime } from '../../format.js';
import { t } from '../../i18n.js';
import { openDialog } from '../../parts/dialog.js';
import { InputProblem, field, value } from '../../parts/form.js';
import { Section } from '../../parts/section.js';
import { dataTable } from '../../parts/table.js';

const REASON_CHARS = 500;

export function guaranteesSection({ expired, moneyMoved }) {
  const section = new Section({
    id: 'guarantees',
    title: 'admin.guarantees.title',
    load: () => api('GET', '/guarantees?status=pending&limit=200'),
    expired,
    draw(into, list) {
      into.append(
        dataTable({
          caption: 'admin.guarantees.caption',
          key: (row) => row.id,
          empty: 'admin.guarantees.none',
          rows: list,
          columns: [
            { label: 'admin.guarantees.lot', cell: (row) => el('a', { href: `/lots/${row.lot_id}` }, t('admin.lot_number', { id: row.lot_id })) },
            { label: 'admin.guarantees.application', cell: (row) => String(row.application_id) },
            { label: 'admin.guarantees.issuer', cell: (row) => row.issuer },
            { label: 'admin.guarantees.number', cell: (row) => row.number },
            { label: 'common.amount', class: 'amount', cell: (row) => formatMoney(row.amount) },
            { label: 'admin.guarantees.submitted', cell: (row) => formatTime(row.created_at) },
            { label: 'admin.actions', cell: actions },
          ],
        }),
      );
    },
  });

  function actions(row) {
    return el(
      'div',
      { class: 'form-actions' },
      el('button', { type: 'button', onclick: () => accept(row) }, t('admin.guarantees.accept')),
      el('button', { type: 'button', class: 'danger', onclick: () => reject(row) }, t('admin.guarantees.reject')),
    );
  }

  const summary = (row) =>
    el('p', null, t('admin.guarantees.summary', {
      issuer: row.issuer,
      number: row.number,
      amount: formatMoney(row.amount),
      lot: row.lot_id,
    }));

  async function accept(row) {
    const done = await openDialog({
      title: 'admin.guarantees.accept_title',
      body: [summary(row), el('p', null, t('admin.guarantees.accept_explain'))],
      submit: 'admin.guarantees.accept',
      action: () => api('POST', `/guarantees/${row.id}/accept`),
    });
    if (done) {
      section.message.done('admin.guarantees.accepted', { number: row.number });
      await Promise.all([section.refresh(), moneyMoved()]);
    }
  }

  async function reject(row) {
    const done = await openDialog({
      title: 'admin.guarantees.reject_title',
      body: [
        summary(row),
        field({ name: 'reason', label: 'admin.guarantees.reason', control: el('textarea', { maxlength: REASON_CHARS }) }),
      ],
      submit: 'admin.guarantees.reject',
      danger: true,
      async action(form) {
        const reason = value(form, 'reason');
        if (!reason) throw new InputProblem('reason', 'admin.guarantees.reason_required');
        if ([...reason].length > REASON_CHARS) {
          throw new InputProblem('reason', 'admin.guarantees.reason_long', { max: REASON_CHARS });
        }
        return api('POST', `/guarantees/${row.id}/reject`, { body: { reason } });
      },
    });
    if (done) {
      section.message.done('admin.guarantees.rejected', { number: row.number });
      await section.refresh();
    }
  }

  return section;
}
