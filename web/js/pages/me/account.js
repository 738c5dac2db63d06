// The account itself: who it is and whether real-name verification (实名认证) is done,
// without which it cannot apply for lots.

import { api } from '../../api.js';
import { el } from '../../dom.js';
import { t } from '../../i18n.js';
import { Section } from '../../parts/section.js';

export function accountSection({ expired }) {
  const section = new Section({
    id: 'account',
    title: 'me.account.title',
    load: () => api('GET', '/me'),
    expired,
    draw(into, me) {
      const terms = el(
        'dl',
        { class: 'terms' },
        el('dt', null, t('me.account.username')),
        el('dd', null, me.username),
        el('dt', null, t('me.account.display_name')),
        el('dd', null, me.display_name),
        el('dt', null, t('me.account.kind')),
        el('dd', null, t(`parts.kind.${me.kind}`)),
      );
      if (me.verified && me.real_name) {
        terms.append(
          el('dt', null, t(me.kind === 'organisation' ? 'me.account.organisation_name' : 'me.account.real_name')),
          el('dd', null, me.real_name),
          el('dt', null, t('me.account.id_number')),
          el('dd', null, `${t(idTypeKey(me.id_type))} ${me.id_number_masked}`),
        );
      }
      into.append(
        el(
          'p',
          { class: me.verified ? 'message good' : 'message warn' },
          t(me.verified ? 'me.account.verified' : 'me.account.not_verified'),
        ),
        terms,
      );
    },
  });
  return section;
}

function idTypeKey(type) {
  return ['resident_id', 'passport', 'unified_social_credit_code'].includes(type)
    ? `parts.id_type.${type}`
    : 'parts.id_type.other';
}
