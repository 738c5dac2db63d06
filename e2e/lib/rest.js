// The REST calls that set up an exchange for a browser test (the same steps as
// tests/common/*.rs): an auctioneer, verified and funded bidders, a lot opening soon.

import { ADMIN } from './server.js';

export const PASSWORD = 'password-123';
const RESIDENT_ID = '11010519491231002X';

export class Rest {
  constructor(origin) {
    this.base = `${origin}/api/v1`;
  }

  async call(method, path, { token, body, headers = {} } = {}) {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const parsed = text ? JSON.parse(text) : null;
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return parsed;
  }

  async signIn(username, password = PASSWORD) {
    return (await this.call('POST', '/sessions', { body: { username, password } })).token;
  }

  async admin() {
    this.adminToken ??= await this.signIn(ADMIN.username, ADMIN.password);
    return this.adminToken;
  }

  async createUser(username, role, displayName) {
    const creator = role === 'bidder' ? undefined : await this.admin();
    const account = await this.call('POST', '/accounts', {
      token: creator,
      body: { username, password: PASSWORD, display_name: displayName, role },
    });
    return { ...account, username, token: await this.signIn(username) };
  }

  /** A bidder that signed up, was verified and has money in its wallet. */
  async fundedBidder(username, displayName, amount = '100000.00') {
    const user = await this.createUser(username, 'bidder', displayName);
    const admin = await this.admin();
    await this.call('POST', `/accounts/${user.id}/verification`, {
      token: admin,
      body: { real_name: displayName, id_number: RESIDENT_ID },
    });
    const wallet = await this.call('GET', '/wallet', { token: user.token });
    await this.call('POST', '/bank/notifications', {
      token: admin,
      body: {
        transfer_id: `e2e-${user.id}-${Date.now()}`,
        account_number: wallet.account_number,
        amount,
        currency: 'CNY',
        received_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      },
    });
    return user;
  }

  /** Creates and publishes a lot; the deadlines for applications and deposits are its start. */
  async publishedLot(auctioneer, { startsAtMs, runsForMs, title }) {
    const startsAt = rfc3339(startsAtMs);
    const lot = await this.call('POST', '/lots', {
      token: auctioneer.token,
      body: {
        title,
        description: '位于城东新区的国有建设用地，面积 12,000 平方米。\nA plot of state-owned land in the eastern district.',
        currency: 'CNY',
        start_price: '1000000.00',
        increment: '10000.00',
        deposit: { kind: 'fixed', amount: '20000.00' },
        fee_rate: '0.015',
        applications_close_at: startsAt,
        deposit_deadline: startsAt,
        starts_at: startsAt,
        ends_at: rfc3339(startsAtMs + runsForMs),
        extension_window_secs: 10,
        extension_mode: 'reset',
      },
    });
    await this.call('POST', `/lots/${lot.id}/publish`, { token: auctioneer.token });
    return lot;
  }

  /** Applies, is approved by the auctioneer and lodges the deposit; returns the bidder number. */
  async register(bidder, auctioneer, lotId) {
    const application = await this.call('POST', `/lots/${lotId}/applications`, { token: bidder.token });
    const approved = await this.call('POST', `/applications/${application.id}/approve`, {
      token: auctioneer.token,
      body: {},
    });
    await this.call('POST', `/applications/${application.id}/deposit`, {
      token: bidder.token,
      body: {},
      headers: { 'idempotency-key': `deposit-${application.id}` },
    });
    return approved.bidder_number;
  }
}

export function rfc3339(ms) {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}
