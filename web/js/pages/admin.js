// `/admin`, the exchange's back office: identities to verify, bank transfers to enter,
// unmatched transfers to resolve, guarantees to decide, settlements to default, the
// ledger's reconciliation and the weekly statistics.

import { el } from '../dom.js';
import { loadStrings, translate } from '../i18n.js';
import { renderHeader } from '../layout.js';
import { passGate, sessionExpired } from '../parts/gate.js';
import { bankSections } from './admin/bank.js';
import { guaranteesSection } from './admin/guarantees.js';
import { identitiesSection } from './admin/identities.js';
import { reconciliationSection } from './admin/reconciliation.js';
import { settlementsSection } from './admin/settlements.js';
import { weeklyStatsSection } from '../parts/weekly-stats.js';

const NEED = 'parts.gate.need_admin';

async function main() {
  await loadStrings('parts');
  await loadStrings('admin');
  translate(document);
  renderHeader('admin');
  const mainNode = document.getElementById('main');
  if (!passGate(mainNode, ['admin'], NEED)) return;
  const expired = () => sessionExpired(mainNode, NEED);

  const reconciliation = reconciliationSection({ expired });
  // Every decision that moves money is checked against the ledger again.
  const moneyMoved = () => reconciliation.refresh();
  const identities = identitiesSection({ expired });
  const { entry, unmatched } = bankSections({ expired, moneyMoved });
  const guarantees = guaranteesSection({ expired, moneyMoved });
  const settlements = settlementsSection({ expired, moneyMoved });
  const stats = weeklyStatsSection({ expired, title: 'parts.stats.title' });
  mainNode.append(
    el('h1', { 'data-i18n': 'admin.heading' }),
    identities.node,
    entry.node,
    unmatched.node,
    guarantees.node,
    settlements.node,
    reconciliation.node,
    stats.node,
  );
  translate(mainNode);
  await Promise.all(
    [identities, unmatched, guarantees, settlements, reconciliation, stats].map((section) => section.refresh()),
  );
}

main();
