// The wallet (钱包): the 12-digit virtual account number (虚拟子账号) to transfer to, the
// available and frozen balances, and the labelled entries, newest first, page by page.

import { api } from '../../api.js';
import { el } from '../../dom.js';
import { formatMoney, formatTime } from '../../format.js';
import { has, t } from '../../i18n.js';
import { copyButton } from '../../parts/copy.js';
import { Section } from '../../parts/section.js';
import { dataTable } from '../../parts/table.js';

const PAGE = 20;

export function walletSection({ expired }) {
  let olderEntries = [];
  const section = new Section({
    id: 'wallet',
    title: 'me.wallet.title',
    async load() {
      olderEntries = [];
      return api('GET', `/wallet?limit=${PAGE}`);
    },
    expired,
    draw(into, wallet) {
      const number = el('span', { class: 'account-number', translate: 'no' }, wallet.account_number);
      into.append(
        el(
          'div',
          { class: 'wallet-number' },
          el('p', { class: 'small muted' }, t('me.wallet.account_number')),
          el('p', { class: 'number-line' }, number, copyButton(() => wallet.account_number, number)),
          el('p', { class: 'small' }, t('me.wallet.transfer_hint')),
        ),
        el(
          'div',
          { class: 'stats balances' },
          el('div', null, el('span', { class: 'small muted' }, t('me.wallet.available')),
            el('strong', null, formatMoney(wallet.available, wallet.currency))),
          el('div', null, el('span', { class: 'small muted' }, t('me.wallet.frozen')),
            el('strong', null, formatMoney(wallet.frozen, wallet.currency))),
        ),
      );
      const entries = [...wallet.entries, ...olderEntries.flatMap((page) => page.entries)];
      into.append(entriesTable(entries, wallet.currency));
      const last = olderEntries.at(-1) ?? wallet;
      if (last.next_cursor) {
        into.append(
          el(
            'button',
            {
              type: 'button',
              class: 'secondary',
              onclick: async () => {
                try {
                  olderEntries.push(
                    await api('GET', `/wallet?limit=${PAGE}&before=${last.next_cursor}`),
                  );
                  section.draw();
                } catch (error) {
                  section.message.error(error);
                }
              },
            },
            t('me.wallet.more'),
          ),
        );
      }
    },
  });
  return section;
}

function entriesTable(entries, currency) {
  return dataTable({
    caption: 'me.wallet.entries',
    empty: 'me.wallet.no_entries',
    rows: entries,
    columns: [
      { label: 'me.wallet.entry.at', cell: (entry) => formatTime(entry.at) },
      { label: 'me.wallet.entry.kind', cell: (entry) => kindLabel(entry.kind) },
      {
        label: 'me.wallet.entry.lot',
        cell: (entry) =>
          entry.lot_id ? el('a', { href: `/lots/${entry.lot_id}` }, t('me.lot_number', { id: entry.lot_id })) : '—',
      },
      { label: 'me.wallet.entry.bucket', cell: (entry) => t(`me.wallet.bucket.${entry.bucket}`) },
      { label: 'me.wallet.entry.amount', class: 'amount', cell: (entry) => formatMoney(entry.amount, currency) },
      {
        label: 'me.wallet.entry.balance_after',
        class: 'amount',
        cell: (entry) => formatMoney(entry.balance_after, currency),
      },
    ],
  });
}

function kindLabel(kind) {
  return has(`me.wallet.kind.${kind}`) ? t(`me.wallet.kind.${kind}`) : kind;
}
