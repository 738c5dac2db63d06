// The weekly statistics (GET /stats/weekly): last week and this week side by side, per
// currency, as a table and a bar chart (an SVG drawn here, heights from exact minor
// units), with the same figures to download as CSV. An admin sees every lot, an
// auctioneer its own.

import { api } from '../api.js';
import { el } from '../dom.js';
import { formatMoney } from '../format.js';
import { t } from '../i18n.js';
import { parseMoney } from '../money.js';
import { saveDocument } from './document.js';
import { Section } from './section.js';

const COUNTS = ['lots_opened', 'lots_sold', 'lots_settled'];
const AMOUNTS = ['turnover', 'fees', 'deposits_held', 'settled'];
/** The table's rows, top to bottom. */
const ROWS = ['lots_opened', 'lots_sold', 'turnover', 'fees', 'deposits_held', 'lots_settled', 'settled'];
const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs ?? {})) node.setAttribute(name, String(value));
  for (const child of children) node.append(child);
  return node;
}

/** The week's figures in `currency` (zeros when the week has none in it). */
function figuresOf(week, currency) {
  return week.currencies.find((figures) => figures.currency === currency) ?? null;
}

function table(stats, currency) {
  const last = figuresOf(stats.last_week, currency);
  const current = figuresOf(stats.this_week, currency);
  const cell = (figures, name) => {
    if (!figures) return COUNTS.includes(name) ? '0' : formatMoney('0.00', currency);
    return COUNTS.includes(name) ? String(figures[name]) : formatMoney(figures[name], currency);
  };
  const rows = ROWS.map((name) =>
    el(
      'tr',
      { 'data-key': name },
      el('th', { scope: 'row' }, t(`parts.stats.figure.${name}`)),
      el('td', { class: 'amount', 'data-label': t('parts.stats.last_week') }, cell(last, name)),
      el('td', { class: 'amount', 'data-label': t('parts.stats.this_week') }, cell(current, name)),
    ),
  );
  return el(
    'div',
    { class: 'table-wrap' },
    el(
      'table',
      { class: 'stacked stats-table', 'data-currency': currency },
      el('caption', null, t('parts.stats.caption', { currency })),
      el(
        'thead',
        null,
        el(
          'tr',
          null,
          el('th', { scope: 'col' }, t('parts.stats.figure_heading')),
          el('th', { scope: 'col', class: 'amount' }, t('parts.stats.week_of', { label: t('parts.stats.last_week'), monday: stats.last_week.monday })),
          el('th', { scope: 'col', class: 'amount' }, t('parts.stats.week_of', { label: t('parts.stats.this_week'), monday: stats.this_week.monday })),
        ),
      ),
      el('tbody', null, rows),
    ),
  );
}

/** Grouped bars of the amounts: last week's and this week's side by side per figure. */
function chart(stats, currency) {
  const minor = (week, name) => parseMoney(figuresOf(week, currency)?.[name] ?? '0') ?? 0n;
  const values = AMOUNTS.map((name) => [minor(stats.last_week, name), minor(stats.this_week, name)]);
  const max = values.flat().reduce((a, b) => (b > a ? b : a), 0n);
  if (max === 0n) return el('p', { class: 'muted small' }, t('parts.stats.no_amounts'));
  const [width, height, top, bottom, group] = [480, 200, 16, 36, 120];
  const plot = height - top - bottom;
  // A bar's height in pixels: a ratio of exact amounts, rounded to a tenth of a pixel.
  const barHeight = (value) => (max === 0n ? 0 : Number((value * BigInt(plot) * 10n) / max) / 10);
  const bars = [];
  AMOUNTS.forEach((name, index) => {
    const x = index * group + 20;
    values[index].forEach((value, which) => {
      const h = barHeight(value);
      const label = t('parts.stats.bar', {
        figure: t(`parts.stats.figure.${name}`),
        week: t(which === 0 ? 'parts.stats.last_week' : 'parts.stats.this_week'),
        amount: formatMoney(figuresOf(which === 0 ? stats.last_week : stats.this_week, currency)?.[name] ?? '0.00', currency),
      });
      bars.push(
        svg(
          'rect',
          { x: x + which * 42, y: top + plot - h, width: 36, height: Math.max(h, 0.5), class: which === 0 ? 'bar last' : 'bar this' },
          svg('title', null, label),
        ),
      );
    });
    bars.push(svg('text', { x: x + 39, y: height - bottom + 16, 'text-anchor': 'middle', class: 'axis' }, t(`parts.stats.figure.${name}`)));
  });
  const legend = [
    svg('rect', { x: 20, y: height - 12, width: 10, height: 10, class: 'bar last' }),
    svg('text', { x: 34, y: height - 3, class: 'axis' }, t('parts.stats.last_week')),
    svg('rect', { x: 140, y: height - 12, width: 10, height: 10, class: 'bar this' }),
    svg('text', { x: 154, y: height - 3, class: 'axis' }, t('parts.stats.this_week')),
  ];
  return svg(
    'svg',
    { viewBox: `0 0 ${width} ${height}`, class: 'stats-chart', role: 'img', 'aria-label': t('parts.stats.chart', { currency }) },
    svg('line', { x1: 10, y1: top + plot, x2: width - 10, y2: top + plot, class: 'baseline' }),
    ...bars,
    ...legend,
  );
}

/**
 * @param {object} spec
 * @param {(error: Error) => void} spec.expired
 * @param {string} spec.title the heading's string key
 */
export function weeklyStatsSection({ expired, title }) {
  const section = new Section({
    id: 'weekly-stats',
    title,
    load: () => api('GET', '/stats/weekly'),
    expired,
    draw(into, stats) {
      into.append(el('p', { class: 'small muted' }, t('parts.stats.zone', { zone: stats.time_zone })));
      const currencies = stats.this_week.currencies.map((figures) => figures.currency);
      for (const currency of stats.last_week.currencies.map((figures) => figures.currency)) {
        if (!currencies.includes(currency)) currencies.push(currency);
      }
      for (const currency of currencies) into.append(table(stats, currency), chart(stats, currency));
      into.append(
        el(
          'div',
          { class: 'form-actions' },
          el('button', { type: 'button', class: 'secondary', id: 'stats-csv', onclick: () => download(stats) }, t('parts.stats.csv')),
          el('button', { type: 'button', class: 'secondary', onclick: () => section.refresh() }, t('parts.stats.again')),
        ),
      );
    },
  });

  async function download(stats) {
    section.message.clear();
    try {
      await saveDocument('/stats/weekly?format=csv', `weekly-stats-${stats.this_week.monday}.csv`);
    } catch (error) {
      section.message.error(error);
    }
  }

  return section;
}
