// The ledger's reconciliation (对账): whether every invariant holds, each one that does
// not, the deposits by status, and every ledger account's kept balance beside the sum of
// its entries.

import { api } from '../../api.js';
import { el } from '../../dom.js';
import { formatMoney } from '../../format.js';
import { has, t } from '../../i18n.js';
import { Section } from '../../parts/section.js';
import { dataTable } from '../../parts/table.js';

export function reconciliationSection({ expired }) {
  const section = new Section({
    id: 'reconciliation',
    title: 'admin.reconciliation.title',
    load: () => api('GET', '/ledger/reconciliation'),
    expired,
    draw(into, report) {
      into.append(
        el(
          'p',
          { class: `message verdict ${report.consistent ? 'good' : 'error'}`, role: 'status' },
          t(report.consistent ? 'admin.reconciliation.consistent' : 'admin.reconciliation.inconsistent'),
        ),
        el('p', null, t('admin.reconciliation.total', { total: formatMoney(report.total) })),
      );
      const failures = failedInvariants(report);
      if (failures.length) {
        into.append(
          el('h3', null, t('admin.reconciliation.failures')),
          el('ul', { class: 'invariants' }, failures.map((line) => el('li', null, line))),
        );
      }
      into.append(
        dataTable({
          caption: 'admin.reconciliation.holds',
          empty: 'admin.reconciliation.no_holds',
          rows: Object.entries(report.holds),
          columns: [
            { label: 'admin.reconciliation.hold_status', cell: ([status]) => holdStatus(status) },
            { label: 'admin.reconciliation.count', class: 'amount', cell: ([, totals]) => String(totals.count) },
            { label: 'common.amount', class: 'amount', cell: ([, totals]) => formatMoney(totals.amount) },
          ],
        }),
        el(
          'details',
          null,
          el('summary', null, t('admin.reconciliation.accounts', { count: report.accounts.length })),
          dataTable({
            caption: 'admin.reconciliation.accounts_caption',
            empty: 'admin.reconciliation.no_accounts',
            rows: report.accounts,
            columns: [
              { label: 'admin.reconciliation.account', cell: (account) => account.name },
              { label: 'admin.reconciliation.balance', class: 'amount', cell: (account) => formatMoney(account.balance) },
              { label: 'admin.reconciliation.entries_sum', class: 'amount', cell: (account) => formatMoney(account.entries_sum) },
            ],
          }),
        ),
        el(
          'button',
          { type: 'button', class: 'secondary', onclick: () => section.refresh() },
          t('admin.reconciliation.again'),
        ),
      );
    },
  });
  return section;
}

function holdStatus(status) {
  return has(`admin.reconciliation.hold.${status}`) ? t(`admin.reconciliation.hold.${status}`) : status;
}

/** One sentence per invariant that does not hold. */
function failedInvariants(report) {
  const lines = [];
  if (!/^-?0(\.0+)?$/.test(report.total)) {
    lines.push(t('admin.reconciliation.total_not_zero', { total: formatMoney(report.total) }));
  }
  for (const name of report.mismatched_accounts) {
    lines.push(t('admin.reconciliation.mismatched_account', { name }));
  }
  for (const id of report.unbalanced_transactions) {
    lines.push(t('admin.reconciliation.unbalanced_transaction', { id }));
  }
  for (const name of report.wrong_sign_balances) {
    lines.push(t('admin.reconciliation.wrong_sign', { name }));
  }
  for (const mismatch of report.frozen_mismatches) {
    lines.push(
      t('admin.reconciliation.frozen_mismatch', {
        account: mismatch.account_id,
        frozen: formatMoney(mismatch.frozen),
        held: formatMoney(mismatch.held),
      }),
    );
  }
  for (const id of report.misresolved_holds) {
    lines.push(t('admin.reconciliation.misresolved_hold', { id }));
  }
  return lines;
}
