// Bank transfers (充值): entering a notification the bank sent on paper or by phone, and
// resolving the ones held unmatched (no wallet has the number, or the payer is not the
// wallet's verified holder): credit the wallet the money was meant for, or record that it
// went back to the payer.

import { api } from '../../api.js';
import { el } from '../../dom.js';
import { formatMoney, formatTime } from '../../format.js';
import { t } from '../../i18n.js';
import { moneyString } from '../../money.js';
import { readAmount } from '../../parts/amount.js';
import { openDialog } from '../../parts/dialog.js';
import { InputProblem, field, onSubmit, submitButton, value } from '../../parts/form.js';
import { Section } from '../../parts/section.js';
import { dataTable } from '../../parts/table.js';
import { localToRfc3339, msToLocalInput, viewerZone } from '../../parts/times.js';

const REFERENCE = /^[\x21-\x7e]{1,128}$/;
const NOTE_CHARS = 500;
const NAME_CHARS = 100;

/** Why a transfer is held: no such wallet, or whose name paid it against whose wallet. */
function reasonCell(row) {
  if (row.unmatched_reason !== 'payer_name_mismatch') return t('admin.unmatched.reason_unknown_account');
  return el(
    'span',
    null,
    t('admin.unmatched.reason_payer_name_mismatch'),
    el('br'),
    el('small', null, t('admin.unmatched.payer_vs_holder', {
      payer: row.payer_name,
      holder: row.holder_name ?? t('admin.unmatched.holder_unverified'),
    })),
  );
}

export function bankSections({ expired, moneyMoved }) {
  const unmatched = new Section({
    id: 'unmatched',
    title: 'admin.unmatched.title',
    load: () => api('GET', '/bank/notifications?status=unmatched&limit=200'),
    expired,
    draw(into, list) {
      into.append(
        dataTable({
          caption: 'admin.unmatched.caption',
          key: (row) => row.transfer_id,
          empty: 'admin.unmatched.none',
          rows: list,
          columns: [
            { label: 'admin.bank.transfer_id', cell: (row) => row.transfer_id },
            { label: 'admin.bank.account_number', cell: (row) => row.account_number },
            { label: 'admin.unmatched.reason', cell: (row) => reasonCell(row) },
            { label: 'common.amount', class: 'amount', cell: (row) => formatMoney(row.amount, row.currency) },
            { label: 'admin.bank.received_at', cell: (row) => formatTime(row.received_at) },
            {
              label: 'admin.actions',
              cell: (row) =>
                el('button', { type: 'button', onclick: () => resolve(row) }, t('admin.unmatched.resolve')),
            },
          ],
        }),
      );
    },
  });

  async function resolve(row) {
    const choice = (action) =>
      el(
        'label',
        { class: 'choice' },
        el('input', { type: 'radio', name: 'action', value: action, checked: action === 'credit' }),
        el('span', { 'data-i18n': `admin.unmatched.${action}` }, t(`admin.unmatched.${action}`)),
      );
    const accountField = field({
      name: 'account_number',
      label: 'admin.unmatched.credit_to',
      hint: 'admin.unmatched.credit_hint',
      attrs: { inputmode: 'numeric', autocomplete: 'off', value: row.account_number },
    });
    const choices = el(
      'fieldset',
      null,
      el('legend', { 'data-i18n': 'admin.unmatched.what' }, t('admin.unmatched.what')),
      choice('credit'),
      choice('return'),
    );
    // Only a credit names the wallet.
    choices.addEventListener('change', (event) => {
      accountField.hidden = event.target.value !== 'credit';
    });
    const body = [
      el('p', null, t('admin.unmatched.about', {
        id: row.transfer_id,
        amount: formatMoney(row.amount, row.currency),
        number: row.account_number,
      })),
      row.payer_name
        ? el('p', null, t('admin.unmatched.payer_about', {
            payer: row.payer_name,
            holder: row.holder_name ?? t('admin.unmatched.holder_unverified'),
          }))
        : null,
      choices,
      accountField,
      field({ name: 'note', label: 'admin.unmatched.note', control: el('textarea', { maxlength: NOTE_CHARS }) }),
    ];
    const done = await openDialog({
      title: 'admin.unmatched.resolve_title',
      body,
      submit: 'admin.unmatched.resolve',
      async action(form) {
        const action = form.elements.namedItem('action').value;
        const note = value(form, 'note');
        const request = { action, note };
        if (action === 'credit') {
          const number = value(form, 'account_number');
          if (!REFERENCE.test(number)) throw new InputProblem('account_number', 'admin.bank.reference_invalid');
          request.account_number = number;
        }
        if (!note) throw new InputProblem('note', 'admin.unmatched.note_required');
        if ([...note].length > NOTE_CHARS) throw new InputProblem('note', 'admin.unmatched.note_long', { max: NOTE_CHARS });
        return api('POST', `/bank/notifications/${encodeURIComponent(row.transfer_id)}/resolve`, { body: request });
      },
    });
    if (done) {
      unmatched.message.done(`admin.unmatched.done_${done.status}`, { id: done.transfer_id });
      await Promise.all([unmatched.refresh(), moneyMoved()]);
    }
  }

  const zone = el('p', { class: 'hint' }, t('parts.time_zone', { zone: viewerZone() }));
  document.addEventListener('languagechange', () => {
    zone.textContent = t('parts.time_zone', { zone: viewerZone() });
  });
  const form = el(
    'form',
    { 'aria-labelledby': 'bank-entry-title' },
    el(
      'div',
      { class: 'form-grid' },
      field({ name: 'transfer_id', label: 'admin.bank.transfer_id', hint: 'admin.bank.transfer_id_hint', attrs: { autocomplete: 'off' } }),
      field({ name: 'account_number', label: 'admin.bank.account_number', attrs: { inputmode: 'numeric', autocomplete: 'off' } }),
      field({ name: 'amount', label: 'common.amount', attrs: { inputmode: 'decimal', autocomplete: 'off' } }),
      field({ name: 'currency', label: 'common.currency', attrs: { value: 'CNY', maxlength: 3, autocomplete: 'off' } }),
      field({ name: 'received_at', label: 'admin.bank.received_at', attrs: { type: 'datetime-local', step: 1 } }),
      field({
        name: 'payer_name',
        label: 'admin.bank.payer_name',
        hint: 'admin.bank.payer_name_hint',
        attrs: { maxlength: NAME_CHARS, autocomplete: 'off' },
      }),
    ),
    zone,
    el('div', { class: 'form-actions' }, submitButton('admin.bank.submit')),
  );
  form.elements.namedItem('received_at').value = msToLocalInput(Date.now());
  const message = onSubmit(form, async () => {
    const transferId = value(form, 'transfer_id');
    if (!REFERENCE.test(transferId)) throw new InputProblem('transfer_id', 'admin.bank.reference_invalid');
    const accountNumber = value(form, 'account_number');
    if (!REFERENCE.test(accountNumber)) throw new InputProblem('account_number', 'admin.bank.reference_invalid');
    const currency = value(form, 'currency');
    if (!/^[A-Z]{3}$/.test(currency)) throw new InputProblem('currency', 'admin.bank.currency_invalid');
    const amount = readAmount(form, 'amount', { currency });
    const receivedAt = localToRfc3339(value(form, 'received_at'));
    if (!receivedAt) throw new InputProblem('received_at', 'admin.bank.time_invalid');
    const payerName = value(form, 'payer_name');
    if ([...payerName].length > NAME_CHARS) throw new InputProblem('payer_name', 'admin.bank.payer_name_long', { max: NAME_CHARS });
    const body = {
      transfer_id: transferId,
      account_number: accountNumber,
      amount: moneyString(amount),
      currency,
      received_at: receivedAt,
    };
    if (payerName) body.payer_name = payerName;
    const receipt = await api('POST', '/bank/notifications', { body });
    form.reset();
    form.elements.namedItem('received_at').value = msToLocalInput(Date.now());
    const outcome = receipt.reason === 'payer_name_mismatch' ? 'payer_mismatch' : receipt.status;
    message.done(`admin.bank.done_${outcome}`, {
      id: receipt.transfer_id,
      amount: formatMoney(receipt.amount, receipt.currency),
      number: receipt.account_number,
    }, receipt.status === 'credited' ? 'good' : 'warn');
    await Promise.all([unmatched.refresh(), moneyMoved()]);
  });
  const entry = {
    node: el(
      'section',
      { class: 'card', id: 'bank-entry', 'aria-labelledby': 'bank-entry-title' },
      el('h2', { id: 'bank-entry-title', 'data-i18n': 'admin.bank.title' }, t('admin.bank.title')),
      el('p', { class: 'small', 'data-i18n': 'admin.bank.explain' }, t('admin.bank.explain')),
      form,
    ),
  };
  return { entry, unmatched };
}
