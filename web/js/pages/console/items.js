// One lot's item list (an asset package's contents), for whoever runs it: the list as
// stored, and an upload of a CSV or XLSX file that replaces it whole. A refused file
// changes nothing; each bad cell is listed by its row and column.

import { ApiError, api } from '../../api.js';
import { clear, el } from '../../dom.js';
import { t } from '../../i18n.js';
import { Message } from '../../parts/message.js';
import { Section } from '../../parts/section.js';
import { dataTable } from '../../parts/table.js';
import { session } from '../../session.js';

/** The server's limit on the file (`MAX_LOT_ITEMS_FILE_BYTES`). */
const MAX_FILE_BYTES = 1024 * 1024;

/** Whether the lot still takes a new list: a draft, or published before its start. */
function changeable(lot) {
  return lot.state === 'draft' || (lot.state === 'published' && Date.parse(lot.starts_at) > Date.now());
}

/** PUT the file as the body; the refusal keeps the server's list of bad cells. */
async function uploadItems(lotId, file) {
  const headers = { Accept: 'application/json', 'Content-Type': file.type || 'application/octet-stream' };
  const current = session();
  if (current) headers.Authorization = `Bearer ${current.token}`;
  let response;
  try {
    response = await fetch(`/api/v1/lots/${lotId}/items`, { method: 'PUT', headers, body: file });
  } catch (cause) {
    throw new ApiError(0, 'network', String(cause?.message ?? cause));
  }
  const parsed = await response.json().catch(() => null);
  if (response.ok) return parsed;
  const error = new ApiError(
    response.status,
    parsed?.error?.code ?? `http_${response.status}`,
    parsed?.error?.message ?? response.statusText,
  );
  error.cells = parsed?.error?.errors ?? [];
  throw error;
}

/** A bad cell in words: where it is, then what is wrong with it. */
function cellSentence(cell) {
  let where;
  if (cell.row && cell.column) where = t('console.items.at_cell', { row: cell.row, column: cell.column });
  else if (cell.row) where = t('console.items.at_row', { row: cell.row });
  else where = t('console.items.at_file');
  const field = cell.field ? ` (${t(`console.items.field.${cell.field}`)})` : '';
  return `${where}${field}: ${cell.message}`;
}

export function itemsSection({ expired }) {
  let lot = null;
  let cells = [];
  const uploadMessage = new Message();
  const cellList = el('ul', { class: 'cell-errors', id: 'item-errors', hidden: true });
  const input = el('input', {
    type: 'file',
    id: 'items-file',
    accept: '.csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    'aria-describedby': 'items-file-hint',
  });
  const button = el('button', { type: 'submit', id: 'items-upload' });
  const hint = el('p', { class: 'hint small muted', id: 'items-file-hint' });
  const label = el('label', { for: 'items-file' });
  const form = el(
    'form',
    { class: 'items-upload', onsubmit: (event) => { event.preventDefault(); upload(); } },
    label,
    input,
    hint,
    el('div', { class: 'form-actions' }, button),
    uploadMessage.node,
    cellList,
  );

  const section = new Section({
    id: 'lot-items',
    title: 'console.items.title',
    load: async () => (lot ? api('GET', `/lots/${lot.id}/items`) : null),
    expired,
    draw(into, list) {
      label.textContent = t('console.items.file');
      hint.textContent = t('console.items.hint');
      button.textContent = t('console.items.upload');
      drawCells();
      if (!lot) {
        form.hidden = true;
        into.append(el('p', { class: 'muted' }, t('console.items.choose')));
        return;
      }
      form.hidden = !changeable(lot);
      into.append(el('p', null, t('console.items.of'), ' ', el('strong', null, lot.title)));
      if (!changeable(lot)) into.append(el('p', { class: 'muted' }, t('console.items.locked')));
      into.append(
        dataTable({
          caption: 'console.items.caption',
          empty: 'console.items.none',
          rows: list?.items ?? [],
          columns: [
            { label: 'console.items.field.name', cell: (item) => item.name },
            { label: 'console.items.field.quantity', class: 'amount', cell: (item) => item.quantity },
            { label: 'console.items.field.unit', cell: (item) => item.unit },
            { label: 'console.items.field.notes', cell: (item) => item.notes },
          ],
        }),
      );
    },
  });
  section.fixed.append(form);
  section.node.querySelector('h2').tabIndex = -1;
  section.data = null;
  section.draw();

  function drawCells() {
    clear(cellList);
    cellList.hidden = cells.length === 0;
    for (const cell of cells) cellList.append(el('li', null, cellSentence(cell)));
  }

  async function upload() {
    uploadMessage.clear();
    cells = [];
    drawCells();
    const file = input.files?.[0];
    if (!file) {
      uploadMessage.problem('console.items.no_file');
      return;
    }
    if (file.size > MAX_FILE_BYTES) {
      uploadMessage.problem('console.items.too_big');
      return;
    }
    button.disabled = true;
    try {
      const stored = await uploadItems(lot.id, file);
      uploadMessage.done('console.items.uploaded', { count: stored.items.length });
      input.value = '';
      await section.refresh();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        expired(error);
        return;
      }
      if (error.cells?.length) {
        cells = error.cells;
        uploadMessage.problem('console.items.refused', { count: cells.length });
        drawCells();
      } else {
        uploadMessage.error(error);
      }
    } finally {
      button.disabled = false;
    }
  }

  return {
    node: section.node,
    /** Shows the items of `chosen` (a lot as GET /lots answers). */
    show(chosen) {
      lot = chosen;
      cells = [];
      uploadMessage.clear();
      section.refresh();
    },
  };
}
