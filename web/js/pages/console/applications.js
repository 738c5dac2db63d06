// The applications of one lot, for whoever runs it: approve (giving a bidder number, and
// perhaps a priority right, 优先购买权, ranked from 1) or reject with a reason.

import { api } from '../../api.js';
import { el } from '../../dom.js';
import { formatTime } from '../../format.js';
import { t } from '../../i18n.js';
import { openDialog } from '../../parts/dialog.js';
import { InputProblem, field, value } from '../../parts/form.js';
import { Section } from '../../parts/section.js';
import { badge, dataTable } from '../../parts/table.js';

const REASON_CHARS = 500;

export function applicationsSection({ expired }) {
  let lot = null;
  const section = new Section({
    id: 'lot-applications',
    title: 'console.applications.title',
    load: async () => (lot ? api('GET', `/lots/${lot.id}/applications`) : null),
    expired,
    draw(into, list) {
      if (!lot) {
        into.append(el('p', { class: 'muted' }, t('console.applications.choose')));
        return;
      }
      into.append(
        el('p', null, t('console.applications.of'), ' ', el('strong', null, lot.title)),
        dataTable({
          caption: 'console.applications.caption',
          key: (row) => row.id,
          empty: 'console.applications.none',
          rows: list,
          columns: [
            {
              label: 'console.applications.applicant',
              cell: (row) => el('div', null, row.display_name, el('div', { class: 'small muted' }, row.username)),
            },
            {
              label: 'console.applications.verified',
              cell: (row) => t(row.verified ? 'common.yes' : 'common.no'),
            },
            { label: 'console.applications.applied_at', cell: (row) => formatTime(row.created_at) },
            { label: 'console.applications.status', cell: statusCell },
            {
              label: 'console.applications.deposit',
              cell: (row) => t(`console.applications.deposit_state.${row.deposit_status}`),
            },
            { label: 'console.applications.bidder_number', cell: (row) => row.bidder_number ?? '—' },
            { label: 'console.lots.actions', cell: actions },
          ],
        }),
      );
    },
  });
  section.node.querySelector('h2').tabIndex = -1;
  section.data = null;
  section.draw();

  function statusCell(row) {
    return el(
      'div',
      null,
      badge('console.applications.state', row.status),
      row.priority_rank
        ? el('div', { class: 'small' }, t('console.applications.priority', { rank: row.priority_rank }))
        : null,
      row.reject_reason ? el('div', { class: 'small' }, t('console.applications.reason'), ' ', row.reject_reason) : null,
    );
  }

  function actions(row) {
    if (row.status !== 'pending') return '—';
    return el(
      'div',
      { class: 'form-actions' },
      el('button', { type: 'button', onclick: () => approve(row) }, t('console.applications.approve')),
      el('button', { type: 'button', class: 'danger', onclick: () => reject(row) }, t('console.applications.reject')),
    );
  }

  async function approve(row) {
    const done = await openDialog({
      title: 'console.applications.approve_title',
      body: [
        el('p', null, el('strong', null, row.display_name), ` (${row.username})`),
        field({
          name: 'priority_rank',
          label: 'console.applications.priority_rank',
          hint: 'console.applications.priority_hint',
          attrs: { inputmode: 'numeric', autocomplete: 'off' },
        }),
      ],
      submit: 'console.applications.approve',
      async action(form) {
        const text = value(form, 'priority_rank');
        let body = {};
        if (text !== '') {
          if (!/^\d+$/.test(text) || BigInt(text) < 1n || BigInt(text) > 4294967295n) {
            throw new InputProblem('priority_rank', 'console.applications.rank_invalid');
          }
          body = { priority_rank: Number(text) };
        }
        return api('POST', `/applications/${row.id}/approve`, { body });
      },
    });
    if (done) {
      section.message.done('console.applications.approved', {
        name: row.display_name,
        number: done.bidder_number,
      });
      await section.refresh();
    }
  }

  async function reject(row) {
    const done = await openDialog({
      title: 'console.applications.reject_title',
      body: [
        el('p', null, el('strong', null, row.display_name), ` (${row.username})`),
        field({
          name: 'reason',
          label: 'console.applications.reason_label',
          control: el('textarea', { maxlength: REASON_CHARS, required: true }),
        }),
      ],
      submit: 'console.applications.reject',
      danger: true,
      async action(form) {
        const reason = value(form, 'reason');
        if (!reason) throw new InputProblem('reason', 'console.applications.reason_required');
        if ([...reason].length > REASON_CHARS) {
          throw new InputProblem('reason', 'console.applications.reason_long', { max: REASON_CHARS });
        }
        return api('POST', `/applications/${row.id}/reject`, { body: { reason } });
      },
    });
    if (done) {
      section.message.done('console.applications.rejected', { name: row.display_name });
      await section.refresh();
    }
  }

  return {
    node: section.node,
    show(chosen) {
      lot = chosen;
      section.message.clear();
      section.refresh();
    },
  };
}
