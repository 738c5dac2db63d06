// Suspensions (停用): the accounts suspended now, each with its reason and end and a
// lift; a form to suspend a bidder for a number of days with a reason; and an account's
// history of suspensions and lifts.

import { api } from '../../api.js';
import { el } from '../../dom.js';
import { formatTime } from '../../format.js';
import { t } from '../../i18n.js';
import { openDialog } from '../../parts/dialog.js';
import { InputProblem, field, onSubmit, select, submitButton, value } from '../../parts/form.js';
import { Section } from '../../parts/section.js';
import { dataTable } from '../../parts/table.js';

const MAX_DAYS = 3650;
const REASON_CHARS = 500;

function checkedReason(form) {
  const reason = value(form, 'reason');
  if (!reason || [...reason].length > REASON_CHARS) {
    throw new InputProblem('reason', 'admin.suspensions.reason_invalid', { max: REASON_CHARS });
  }
  return reason;
}

export function suspensionsSection({ expired }) {
  const section = new Section({
    id: 'suspensions',
    title: 'admin.suspensions.title',
    load: async () => ({
      suspended: await api('GET', '/accounts/suspended'),
      bidders: await api('GET', '/accounts?role=bidder&limit=200'),
    }),
    expired,
    draw(into, { suspended, bidders }) {
      const chosen = accountSelect.value;
      accountSelect.replaceChildren(
        ...bidders.map((account) => el('option', { value: String(account.id) }, `${account.display_name} (${account.username})`)),
      );
      if (chosen) accountSelect.value = chosen;
      into.append(
        dataTable({
          caption: 'admin.suspensions.caption',
          key: (account) => account.id,
          empty: 'admin.suspensions.none',
          rows: suspended,
          columns: [
            { label: 'admin.identities.username', cell: (account) => account.username },
            { label: 'admin.identities.display_name', cell: (account) => account.display_name },
            { label: 'admin.suspensions.until', cell: (account) => formatTime(account.suspended_until) },
            { label: 'admin.suspensions.reason', cell: (account) => account.reason },
            {
              label: 'admin.suspensions.history',
              cell: (account) =>
                el('button', { type: 'button', class: 'secondary read', onclick: () => showHistory(account) }, t('admin.suspensions.show_history')),
            },
            {
              label: 'admin.actions',
              cell: (account) => el('button', { type: 'button', onclick: () => lift(account) }, t('admin.suspensions.lift')),
            },
          ],
        }),
      );
    },
  });

  const accountSelect = select([]);
  const form = el(
    'form',
    { class: 'narrow-form', 'aria-label': t('admin.suspensions.suspend') },
    field({ name: 'account', label: 'admin.suspensions.account', control: accountSelect }),
    field({ name: 'days', label: 'admin.suspensions.days', attrs: { type: 'number', min: 1, max: MAX_DAYS, required: true, inputmode: 'numeric' } }),
    field({ name: 'reason', label: 'admin.suspensions.reason', control: el('textarea', { maxlength: REASON_CHARS, rows: 2, required: true }) }),
    el('div', { class: 'form-actions' }, submitButton('admin.suspensions.suspend', { class: 'danger' })),
  );
  const message = onSubmit(form, async () => {
    const id = value(form, 'account');
    if (!id) throw new InputProblem('account', 'admin.suspensions.account_required');
    const days = Number(value(form, 'days'));
    if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
      throw new InputProblem('days', 'admin.suspensions.days_invalid', { max: MAX_DAYS });
    }
    const reason = checkedReason(form);
    const record = await api('POST', `/accounts/${id}/suspension`, { body: { days, reason } });
    const name = accountSelect.selectedOptions[0]?.textContent ?? id;
    form.reset();
    message.done('admin.suspensions.done', { name, until: formatTime(record.until) });
    await section.refresh();
  });
  section.fixed.append(form);

  async function lift(account) {
    const done = await openDialog({
      title: 'admin.suspensions.lift_title',
      body: [
        el('p', null, el('strong', null, account.display_name), ` (${account.username})`),
        field({ name: 'reason', label: 'admin.suspensions.reason', control: el('textarea', { maxlength: REASON_CHARS, rows: 2 }) }),
      ],
      submit: 'admin.suspensions.lift',
      action: (dialogForm) =>
        api('POST', `/accounts/${account.id}/suspension/lift`, { body: { reason: checkedReason(dialogForm) } }),
    });
    if (done) {
      section.message.done('admin.suspensions.lifted', { name: account.display_name });
      await section.refresh();
    }
  }

  async function showHistory(account) {
    const history = await api('GET', `/accounts/${account.id}/suspensions`);
    await openDialog({
      title: 'admin.suspensions.history_title',
      body: [
        el('p', null, el('strong', null, account.display_name), ` (${account.username})`),
        dataTable({
          caption: 'admin.suspensions.history',
          key: (record) => record.id,
          empty: 'admin.suspensions.none',
          rows: history,
          columns: [
            { label: 'admin.suspensions.at', cell: (record) => formatTime(record.at) },
            { label: 'admin.suspensions.action', cell: (record) => t(`admin.suspensions.action_${record.action}`, { days: record.days ?? '' }) },
            { label: 'admin.suspensions.reason', cell: (record) => record.reason },
          ],
        }),
      ],
      submit: 'admin.suspensions.close',
      action: async () => true,
    });
  }

  return section;
}
