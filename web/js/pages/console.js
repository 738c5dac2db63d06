// `/console`, the auctioneer's: my lots (drafts included) with their state and a link to
// each live monitor, a new lot with every term of SPEC §2, publishing, and the
// applications to approve (with a priority rank) or reject with a reason, a lot's item
// list (imported from CSV or XLSX), the lots' announcements to draft and submit for
// review, and the weekly statistics of my lots.

import { el } from '../dom.js';
import { loadStrings, translate } from '../i18n.js';
import { renderHeader } from '../layout.js';
import { passGate, sessionExpired } from '../parts/gate.js';
import { announcementsSection } from './console/announcements.js';
import { applicationsSection } from './console/applications.js';
import { createLotSection } from './console/create.js';
import { itemsSection } from './console/items.js';
import { lotsSection } from './console/lots.js';
import { weeklyStatsSection } from '../parts/weekly-stats.js';

const NEED = 'parts.gate.need_auctioneer';

async function main() {
  await loadStrings('parts');
  await loadStrings('console');
  translate(document);
  renderHeader('console');
  const mainNode = document.getElementById('main');
  const account = passGate(mainNode, ['auctioneer', 'admin'], NEED);
  if (!account) return;
  const expired = () => sessionExpired(mainNode, NEED);

  const applications = applicationsSection({ expired });
  const items = itemsSection({ expired });
  const stats = weeklyStatsSection({ expired, title: 'parts.stats.title_own' });
  const lots = lotsSection({
    account,
    expired,
    showApplications: (lot) => {
      applications.show(lot);
      applications.node.scrollIntoView({ behavior: 'smooth', block: 'start' });
      applications.node.querySelector('h2')?.focus();
    },
    showItems: (lot) => {
      items.show(lot);
      items.node.scrollIntoView({ behavior: 'smooth', block: 'start' });
      items.node.querySelector('h2')?.focus();
    },
  });
  const announcements = announcementsSection({ account, expired });
  const create = createLotSection({ created: () => Promise.all([lots.refresh(), announcements.refresh()]) });
  mainNode.append(
    el('h1', { 'data-i18n': 'console.heading' }),
    lots.node,
    applications.node,
    items.node,
    announcements.node,
    create.node,
    stats.node,
  );
  translate(mainNode);
  await Promise.all([lots.refresh(), announcements.refresh(), stats.refresh()]);
}

main();
