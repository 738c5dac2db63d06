// `/admin`, the exchange's back office: identities to verify, bank transfers to enter,
// unmatched transfers to resolve, guarantees to decide, settlements to default,
// announcements to review, the ledger's reconciliation, the weekly statistics,
// suspensions, and new staff accounts. A supervisor (监督) sees it read-only.

import { el } from '../dom.js';
import { loadStrings, translate } from '../i18n.js';
import { renderHeader } from '../layout.js';
import { passGate, sessionExpired } from '../parts/gate.js';
import { announcementsSection } from './admin/announcements.js';
import { bankSections } from './admin/bank.js';
import { guaranteesSection } from './admin/guarantees.js';
import { identitiesSection } from './admin/identities.js';
import { reconciliationSection } from './admin/reconciliation.js';
import { settlementsSection } from './admin/settlements.js';
import { accountsCard } from './admin/accounts.js';
import { suspensionsSection } from './admin/suspensions.js';
import { weeklyStatsSection } from '../parts/weekly-stats.js';

const NEED = 'parts.gate.need_staff';

async function main() {
  await loadStrings('parts');
  await loadStrings('admin');
  translate(document);
  renderHeader('admin');
  const mainNode = document.getElementById('main');
  const account = passGate(mainNode, ['admin', 'supervisor'], NEED);
  if (!account) return;
  // A supervisor sees the same back office with every control that writes hidden (the
  // server refuses its writes whatever the page shows).
  const readOnly = account.role === 'supervisor';
  mainNode.classList.toggle('read-only', readOnly);
  const expired = () => sessionExpired(mainNode, NEED);

  const reconciliation = reconciliationSection({ expired });
  // Every decision that moves money is checked against the ledger again.
  const moneyMoved = () => reconciliation.refresh();
  const identities = identitiesSection({ expired });
  const { entry, unmatched } = bankSections({ expired, moneyMoved });
  const guarantees = guaranteesSection({ expired, moneyMoved });
  const settlements = settlementsSection({ expired, moneyMoved });
  const announcements = announcementsSection({ expired });
  const suspensions = suspensionsSection({ expired });
  const stats = weeklyStatsSection({ expired, title: 'parts.stats.title' });
  const parts = [
    el('h1', { 'data-i18n': 'admin.heading' }),
    readOnly ? el('p', { class: 'muted', id: 'read-only-note', 'data-i18n': 'admin.read_only' }) : null,
    identities.node,
    // Entering a transfer is all form: nothing to read.
    readOnly ? null : entry.node,
    unmatched.node,
    guarantees.node,
    settlements.node,
    announcements.node,
    reconciliation.node,
    stats.node,
    suspensions.node,
    readOnly ? null : accountsCard(),
  ];
  mainNode.append(...parts.filter(Boolean));
  translate(mainNode);
  await Promise.all(
    [identities, unmatched, guarantees, settlements, announcements, reconciliation, stats, suspensions].map(
      (section) => section.refresh(),
    ),
  );
}

main();
