// A data table: headers by string key, each cell labelled with its header too, so that on
// a phone a row reads as a small card of "header: value" lines (see office.css).

import { el } from '../dom.js';
import { t } from '../i18n.js';

/**
 * @param {object} spec
 * @param {string} spec.caption the caption's string key
 * @param {Array<{label: string, cell: (row: any) => unknown, class?: string}>} spec.columns
 * @param {any[]} spec.rows
 * @param {string} spec.empty the string key said when there are no rows
 * @param {(row: any) => string | number} [spec.key] each row's `data-key` (its id)
 */
export function dataTable({ caption, columns, rows, empty, key }) {
  if (rows.length === 0) {
    return el('p', { class: 'muted empty' }, t(empty));
  }
  const head = el(
    'tr',
    null,
    columns.map((column) => el('th', { scope: 'col', class: column.class }, t(column.label))),
  );
  const body = rows.map((row) =>
    el(
      'tr',
      key ? { 'data-key': key(row) } : null,
      columns.map((column) =>
        el('td', { class: column.class, 'data-label': t(column.label) }, column.cell(row)),
      ),
    ),
  );
  return el(
    'div',
    { class: 'table-wrap' },
    el('table', { class: 'stacked' }, el('caption', null, t(caption)), el('thead', null, head), el('tbody', null, body)),
  );
}

/** A badge: the word for `value` under `prefix` (`state.open`), its class the value. */
export function badge(prefix, value) {
  return el('span', { class: `badge ${value}` }, t(`${prefix}.${value}`));
}
