// `/me`, the bidder's centre (会员中心): the account and its wallet with the virtual
// account number to transfer to, applications and their deposits or guarantees,
// settlements to pay with their documents, and withdrawals.

import { loadStrings, translate } from '../i18n.js';
import { renderHeader } from '../layout.js';
import { passGate, sessionExpired } from '../parts/gate.js';
import { passwordCard } from '../parts/password.js';
import { accountSection } from './me/account.js';
import { applicationsSections } from './me/applications.js';
import { settlementsSections } from './me/settlements.js';
import { walletSection } from './me/wallet.js';
import { withdrawalsSection } from './me/withdrawals.js';

const NEED = 'parts.gate.need_bidder';

async function main() {
  await loadStrings('parts');
  await loadStrings('me');
  translate(document);
  renderHeader('me');
  const mainNode = document.getElementById('main');
  if (!passGate(mainNode, ['bidder'], NEED)) return;
  const expired = () => sessionExpired(mainNode, NEED);

  const account = accountSection({ expired });
  const wallet = walletSection({ expired });
  // Whatever moves money refreshes the balances and the entries.
  const moneyMoved = () => Promise.all([wallet.refresh(), account.refresh()]);
  const { apply, applications } = applicationsSections({ expired, moneyMoved, account });
  const { settlements, documents } = settlementsSections({ expired, moneyMoved });
  const withdrawals = withdrawalsSection({ expired, moneyMoved, wallet });

  const heading = document.createElement('h1');
  heading.dataset.i18n = 'me.heading';
  mainNode.append(
    heading,
    account.node,
    wallet.node,
    applications.node,
    apply.node,
    settlements.node,
    documents.node,
    withdrawals.node,
    passwordCard({ required: false }),
  );
  translate(mainNode);
  await Promise.all(
    [account, wallet, applications, apply, settlements, withdrawals].map((section) =>
      section.refresh(),
    ),
  );
}

main();
