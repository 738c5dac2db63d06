// Applications (报名): the lots taking applications, to apply for; my applications with
// their status, bidder number and deposit; lodging a deposit (保证金: the fixed amount, or
// one chosen within the range) or submitting an electronic guarantee (电子保函).

import { api } from '../../api.js';
import { el } from '../../dom.js';
import { formatMoney, formatTime } from '../../format.js';
import { t } from '../../i18n.js';
import { moneyString, parseMoney } from '../../money.js';
import { readAmount } from '../../parts/amount.js';
import { openDialog } from '../../parts/dialog.js';
import { InputProblem, field, value } from '../../parts/form.js';
import { RetryKey } from '../../parts/retry-key.js';
import { Section } from '../../parts/section.js';
import { badge, dataTable } from '../../parts/table.js';

const FINAL = ['closed', 'cancelled'];
const TAKING_APPLICATIONS = ['published', 'open'];

export function applicationsSections({ expired, moneyMoved, account }) {
  /** One key per application, kept across dialogs: a retried deposit is placed once. */
  const depositKeys = new Map();
  let mine = [];

  const applications = new Section({
    id: 'applications',
    title: 'me.applications.title',
    load: () => api('GET', '/me/applications?limit=200'),
    expired,
    draw(into, list) {
      mine = list;
      into.append(
        dataTable({
          caption: 'me.applications.caption',
          key: (row) => row.lot.id,
          empty: 'me.applications.none',
          rows: list,
          columns: [
            {
              label: 'me.applications.lot',
              cell: (row) => el('a', { href: `/lots/${row.lot.id}` }, row.lot.title),
            },
            { label: 'me.applications.lot_state', cell: (row) => badge('state', row.lot.state) },
            { label: 'me.applications.status', cell: statusCell },
            { label: 'me.applications.bidder_number', cell: (row) => row.bidder_number ?? '—' },
            { label: 'me.applications.deposit', cell: depositCell },
            { label: 'me.applications.actions', cell: (row) => actions(row) },
          ],
        }),
      );
    },
  });

  const apply = new Section({
    id: 'apply',
    title: 'me.apply.title',
    async load() {
      const lists = await Promise.all(
        TAKING_APPLICATIONS.map((state) => api('GET', `/lots?state=${state}`)),
      );
      return lists.flat();
    },
    expired,
    draw(into, lots) {
      const applied = new Set(mine.map((row) => row.lot.id));
      const now = Date.now();
      const open = lots.filter(
        (lot) => !applied.has(lot.id) && Date.parse(lot.applications_close_at) > now,
      );
      into.append(
        dataTable({
          caption: 'me.apply.caption',
          key: (lot) => lot.id,
          empty: 'me.apply.none',
          rows: open,
          columns: [
            { label: 'me.applications.lot', cell: (lot) => el('a', { href: `/lots/${lot.id}` }, lot.title) },
            { label: 'me.applications.lot_state', cell: (lot) => badge('state', lot.state) },
            { label: 'me.apply.closes', cell: (lot) => formatTime(lot.applications_close_at) },
            { label: 'me.apply.starts', cell: (lot) => formatTime(lot.starts_at) },
            { label: 'me.apply.deposit', cell: (lot) => termsText(lot.deposit, lot.currency) },
            {
              label: 'me.applications.actions',
              cell: (lot) =>
                el('button', { type: 'button', onclick: () => applyFor(lot) }, t('me.apply.button')),
            },
          ],
        }),
      );
    },
  });

  async function applyFor(lot) {
    apply.message.clear();
    try {
      await api('POST', `/lots/${lot.id}/applications`);
      apply.message.done('me.apply.done', { title: lot.title });
      await applications.refresh();
      apply.draw();
    } catch (error) {
      apply.message.error(error);
    }
  }

  function actions(row) {
    const buttons = [];
    const takesDeposit =
      row.status !== 'rejected' &&
      row.deposit_status === 'none' &&
      !FINAL.includes(row.lot.state) &&
      Date.parse(row.lot.deposit_deadline) > Date.now();
    if (takesDeposit) {
      buttons.push(
        el('button', { type: 'button', onclick: () => lodgeDeposit(row) }, t('me.deposit.button')),
      );
      if (row.guarantee?.status !== 'pending') {
        buttons.push(
          el(
            'button',
            { type: 'button', class: 'secondary', onclick: () => submitGuarantee(row) },
            t('me.guarantee.button'),
          ),
        );
      }
    }
    return buttons.length ? el('div', { class: 'form-actions' }, buttons) : '—';
  }

  async function lodgeDeposit(row) {
    const { deposit, currency } = row.lot;
    const available = account.data?.wallet?.available;
    const body = [
      el('p', null, el('strong', null, row.lot.title)),
      el('p', null, t('me.deposit.deadline', { time: formatTime(row.lot.deposit_deadline) })),
      available === undefined
        ? null
        : el('p', null, t('me.deposit.available', { amount: formatMoney(available, currency) })),
    ];
    if (deposit.kind === 'fixed') {
      body.push(el('p', null, t('me.deposit.fixed', { amount: formatMoney(deposit.amount, currency) })));
    } else {
      body.push(
        field({
          name: 'amount',
          label: 'me.deposit.amount',
          hint: 'me.deposit.range_hint',
          hintParams: { min: formatMoney(deposit.min, currency), max: formatMoney(deposit.max, currency) },
          attrs: { inputmode: 'decimal', autocomplete: 'off', required: true },
        }),
      );
    }
    const keys = depositKeys.get(row.id) ?? new RetryKey();
    depositKeys.set(row.id, keys);
    const done = await openDialog({
      title: 'me.deposit.title',
      body,
      submit: 'me.deposit.submit',
      async action(form) {
        let request = {};
        let minor = parseMoney(deposit.amount ?? '');
        if (deposit.kind === 'range') {
          minor = readAmount(form, 'amount', {
            min: parseMoney(deposit.min),
            max: parseMoney(deposit.max),
            currency,
          });
          request = { amount: moneyString(minor) };
        }
        const availableMinor = available === undefined ? null : parseMoney(available);
        if (availableMinor !== null && minor !== null && minor > availableMinor) {
          throw new InputProblem('amount', 'me.deposit.short', {
            amount: formatMoney(available, currency),
          });
        }
        await api('POST', `/applications/${row.id}/deposit`, {
          body: request,
          idempotencyKey: keys.for({ application: row.id, ...request }),
        });
        keys.done();
      },
    });
    if (done) {
      applications.message.done('me.deposit.done', { title: row.lot.title });
      await Promise.all([applications.refresh(), moneyMoved()]);
    }
  }

  async function submitGuarantee(row) {
    const { deposit, currency } = row.lot;
    const minimum = deposit.kind === 'fixed' ? deposit.amount : deposit.min;
    const done = await openDialog({
      title: 'me.guarantee.title',
      body: [
        el('p', null, el('strong', null, row.lot.title)),
        el('p', null, t('me.guarantee.explain', { amount: formatMoney(minimum, currency) })),
        field({ name: 'issuer', label: 'me.guarantee.issuer', attrs: { maxlength: 200, required: true } }),
        field({ name: 'number', label: 'me.guarantee.number', attrs: { maxlength: 100, required: true } }),
        field({
          name: 'amount',
          label: 'me.guarantee.amount',
          attrs: { inputmode: 'decimal', autocomplete: 'off', required: true },
        }),
      ],
      submit: 'me.guarantee.submit',
      async action(form) {
        const issuer = value(form, 'issuer');
        const number = value(form, 'number');
        if (!issuer) throw new InputProblem('issuer', 'me.guarantee.issuer_required');
        if (!number) throw new InputProblem('number', 'me.guarantee.number_required');
        const amount = readAmount(form, 'amount', { min: parseMoney(minimum), currency });
        await api('POST', `/applications/${row.id}/guarantee`, {
          body: { issuer, number, amount: moneyString(amount) },
        });
      },
    });
    if (done) {
      applications.message.done('me.guarantee.done');
      await applications.refresh();
    }
  }

  // The lots to apply for leave out those applied for: draw them after mine are known.
  const refreshApplications = applications.refresh.bind(applications);
  applications.refresh = async () => {
    await refreshApplications();
    apply.draw();
  };
  return { apply, applications };
}

function statusCell(row) {
  return el(
    'div',
    null,
    badge('me.applications.state', row.status),
    row.priority_rank ? el('div', { class: 'small' }, t('me.applications.priority', { rank: row.priority_rank })) : null,
    row.reject_reason ? el('div', { class: 'small' }, t('me.applications.reason'), ' ', row.reject_reason) : null,
  );
}

function depositCell(row) {
  const { currency } = row.lot;
  const lines = [el('div', null, termsText(row.lot.deposit, currency))];
  if (row.deposit) {
    lines.push(
      el(
        'div',
        null,
        badge('me.deposit.state', row.deposit.status),
        ' ',
        t(`me.deposit.kind.${row.deposit.kind}`),
        ' ',
        formatMoney(row.deposit.amount, currency),
      ),
    );
  } else if (row.status !== 'rejected' && !FINAL.includes(row.lot.state)) {
    lines.push(
      el('div', { class: 'small' }, t('me.deposit.due_by', { time: formatTime(row.lot.deposit_deadline) })),
    );
  }
  if (row.guarantee && !row.deposit) {
    lines.push(
      el(
        'div',
        { class: 'small' },
        t('me.guarantee.line', {
          issuer: row.guarantee.issuer,
          number: row.guarantee.number,
          amount: formatMoney(row.guarantee.amount, currency),
        }),
        ' ',
        badge('me.guarantee.state', row.guarantee.status),
        row.guarantee.reason ? el('div', null, t('me.applications.reason'), ' ', row.guarantee.reason) : null,
      ),
    );
  }
  return el('div', null, lines);
}

/** The lot's deposit terms in words: a fixed amount, or the range. */
export function termsText(deposit, currency) {
  if (deposit.kind === 'fixed') {
    return t('me.terms.fixed', { amount: formatMoney(deposit.amount, currency) });
  }
  return t('me.terms.range', {
    min: formatMoney(deposit.min, currency),
    max: formatMoney(deposit.max, currency),
  });
}
