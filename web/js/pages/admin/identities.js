// Real-name verification (实名认证): the bidder accounts not yet verified, each verified
// with the person's real name and identity document, or an organisation's registered
// name and unified social credit code (统一社会信用代码).

import { api } from '../../api.js';
import { el } from '../../dom.js';
import { formatTime } from '../../format.js';
import { t } from '../../i18n.js';
import { openDialog } from '../../parts/dialog.js';
import { InputProblem, field, select, value } from '../../parts/form.js';
import { Section } from '../../parts/section.js';
import { dataTable } from '../../parts/table.js';
import { checkCreditCode } from './credit-code.js';
import { checkResidentId } from './resident-id.js';

const NAME_CHARS = 100;

export function identitiesSection({ expired }) {
  const section = new Section({
    id: 'identities',
    title: 'admin.identities.title',
    load: () => api('GET', '/accounts?verification=pending&role=bidder&limit=200'),
    expired,
    draw(into, accounts) {
      into.append(
        dataTable({
          caption: 'admin.identities.caption',
          key: (account) => account.id,
          empty: 'admin.identities.none',
          rows: accounts,
          columns: [
            { label: 'admin.identities.username', cell: (account) => account.username },
            { label: 'admin.identities.display_name', cell: (account) => account.display_name },
            { label: 'admin.identities.kind', cell: (account) => t(`parts.kind.${account.kind}`) },
            { label: 'admin.identities.signed_up', cell: (account) => formatTime(account.created_at) },
            {
              label: 'admin.actions',
              cell: (account) =>
                el('button', { type: 'button', onclick: () => verify(account) }, t('admin.identities.verify')),
            },
          ],
        }),
      );
    },
  });

  async function verify(account) {
    // An organisation has one document: its credit code; a person chooses theirs.
    const organisation = account.kind === 'organisation';
    const idTypes = organisation
      ? [['unified_social_credit_code', 'parts.id_type.unified_social_credit_code']]
      : [
          ['resident_id', 'parts.id_type.resident_id'],
          ['passport', 'parts.id_type.passport'],
        ];
    const done = await openDialog({
      title: organisation ? 'admin.identities.verify_organisation_title' : 'admin.identities.verify_title',
      body: [
        el('p', null, el('strong', null, account.display_name), ` (${account.username}, ${t(`parts.kind.${account.kind}`)})`),
        field({
          name: 'real_name',
          label: organisation ? 'admin.identities.organisation_name' : 'admin.identities.real_name',
          attrs: { maxlength: NAME_CHARS, autocomplete: 'off' },
        }),
        field({ name: 'id_type', label: 'admin.identities.id_type', control: select(idTypes) }),
        field({
          name: 'id_number',
          label: organisation ? 'admin.identities.credit_code' : 'admin.identities.id_number',
          hint: 'admin.identities.id_number_hint',
          attrs: { autocomplete: 'off', spellcheck: 'false', maxlength: organisation ? 18 : 64 },
        }),
      ],
      submit: 'admin.identities.verify',
      async action(form) {
        const realName = value(form, 'real_name');
        if (!realName || [...realName].length > NAME_CHARS) {
          throw new InputProblem('real_name', 'admin.identities.name_invalid', { max: NAME_CHARS });
        }
        const idType = value(form, 'id_type');
        const idNumber = value(form, 'id_number');
        if (!idNumber) throw new InputProblem('id_number', 'admin.identities.id_required');
        if (idType === 'resident_id') {
          const verdict = checkResidentId(idNumber);
          if (verdict !== 'ok') throw new InputProblem('id_number', `admin.identities.id_${verdict}`);
        }
        if (idType === 'unified_social_credit_code') {
          const verdict = checkCreditCode(idNumber);
          if (verdict !== 'ok') throw new InputProblem('id_number', `admin.identities.code_${verdict}`);
        }
        return api('POST', `/accounts/${account.id}/verification`, {
          body: { real_name: realName, id_type: idType, id_number: idNumber },
        });
      },
    });
    if (done) {
      section.message.done('admin.identities.done', { name: done.real_name, masked: done.id_number_masked });
      await section.refresh();
    }
  }

  return section;
}
