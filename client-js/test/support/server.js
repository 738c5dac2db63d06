// The real bidroom server for integration tests: the binary on port 0 against a fresh
// SQLite file, and the REST calls that set up what a test needs.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const CLIENT_JS = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const ADMIN = { username: 'admin', password: 'admin-password' };
export const PASSWORD = 'password-123';
/** Valid PRC resident ids (their check digits are right). */
const RESIDENT_IDS = ['11010519491231002X', '110101199003070134'];

/** Starts `bidroom serve` and waits for its ready line. */
export async function startServer() {
  const binary = process.env.BIDROOM_BIN ?? resolve(CLIENT_JS, '../target/debug/bidroom');
  const directory = mkdtempSync(join(tmpdir(), 'bidroom-client-js-'));
  const child = spawn(
    binary,
    [
      'serve',
      '--listen', '127.0.0.1:0',
      '--database-url', `sqlite://${join(directory, 'db.sqlite')}`,
      '--bootstrap-admin', `${ADMIN.username}:${ADMIN.password}`,
      '--bank-secret', 's',
      '--bid-rate-limit', '1000',
      '--account-bid-rate-limit', '1000',
    ],
    { env: { ...process.env, RUST_LOG: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const address = await new Promise((resolveAddress, reject) => {
    const timeout = setTimeout(() => reject(new Error(`${binary} logged no ready line in 30 s`)), 30_000);
    child.once('error', (error) => reject(new Error(`cannot start ${binary} (build it with cargo build --bin bidroom): ${error.message}`)));
    child.once('exit', (code) => reject(new Error(`${binary} exited with ${code} before it was ready`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      // eslint-disable-next-line no-control-regex
      const match = /listening on http:\/\/(\S+)/.exec(line.replace(/\x1b\[[0-9;]*m/g, ''));
      if (match) {
        clearTimeout(timeout);
        resolveAddress(match[1]);
      }
    });
  });
  return new Server(/** @type {string} */ (address), child, directory);
}

export class Server {
  /**
   * @param {string} address
   * @param {import('node:child_process').ChildProcess} child
   * @param {string} directory
   */
  constructor(address, child, directory) {
    this.address = address;
    this.child = child;
    this.directory = directory;
    this.wsUrl = `ws://${address}/ws`;
    this.apiUrl = `http://${address}/api/v1`;
    this.counter = 0;
  }

  async stop() {
    const exited = new Promise((resolveExit) => this.child.once('exit', resolveExit));
    this.child.kill('SIGTERM');
    await exited;
    rmSync(this.directory, { recursive: true, force: true });
  }

  /**
   * @param {string} method
   * @param {string} path
   * @param {{ token?: string, body?: unknown, idempotencyKey?: string, expect?: number }} [options]
   */
  async api(method, path, { token, body, idempotencyKey, expect } = {}) {
    /** @type {Record<string, string>} */
    const headers = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    const response = await fetch(`${this.apiUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const json = text === '' ? null : JSON.parse(text);
    if (expect !== undefined && response.status !== expect) {
      throw new Error(`${method} ${path}: ${response.status} (wanted ${expect}): ${text}`);
    }
    return json;
  }

  /** @param {string} username @param {string} password */
  async signIn(username, password) {
    const session = await this.api('POST', '/sessions', { body: { username, password }, expect: 200 });
    return /** @type {string} */ (session.token);
  }

  async adminToken() {
    this.admin ??= await this.signIn(ADMIN.username, ADMIN.password);
    return this.admin;
  }

  /** @param {string} username @param {'bidder' | 'auctioneer'} role */
  async account(username, role) {
    const creator = role === 'bidder' ? undefined : await this.adminToken();
    const account = await this.api('POST', '/accounts', {
      token: creator,
      body: { username, password: PASSWORD, display_name: `${username} (display)`, role },
      expect: 201,
    });
    return { id: /** @type {number} */ (account.id), username, token: await this.signIn(username, PASSWORD) };
  }

  /** A bidder signed up, verified and topped up. */
  async fundedBidder(username) {
    const bidder = await this.account(username, 'bidder');
    const admin = await this.adminToken();
    const idNumber = RESIDENT_IDS[this.counter++ % RESIDENT_IDS.length];
    await this.api('POST', `/accounts/${bidder.id}/verification`, {
      token: admin,
      body: { real_name: '张三', id_number: idNumber },
      expect: 200,
    });
    const wallet = await this.api('GET', '/wallet', { token: bidder.token, expect: 200 });
    await this.api('POST', '/bank/notifications', {
      token: admin,
      body: {
        transfer_id: `top-up-${bidder.id}`,
        account_number: wallet.account_number,
        amount: '1000000.00',
        currency: 'CNY',
        received_at: '2026-11-23T08:00:00Z',
      },
      expect: 201,
    });
    return bidder;
  }

  /**
   * A published lot opening `opensInMs` from now, with each bidder approved and its
   * deposit lodged.
   * @param {{ token: string }} auctioneer
   * @param {{ token: string }[]} bidders
   * @param {number} opensInMs
   */
  async lot(auctioneer, bidders, opensInMs) {
    const startsAt = Date.now() + opensInMs;
    const at = (/** @type {number} */ ms) => new Date(ms).toISOString();
    const lot = await this.api('POST', '/lots', {
      token: auctioneer.token,
      expect: 201,
      body: {
        title: 'Land-use right, plot 7',
        description: 'A test lot',
        currency: 'CNY',
        start_price: '1000.00',
        increment: '100.00',
        deposit: { kind: 'fixed', amount: '200.00' },
        fee_rate: '0.01',
        applications_close_at: at(startsAt),
        deposit_deadline: at(startsAt),
        starts_at: at(startsAt),
        ends_at: at(startsAt + 120_000),
        extension_window_secs: 10,
        extension_mode: 'reset',
      },
    });
    await this.api('POST', `/lots/${lot.id}/publish`, { token: auctioneer.token, expect: 200 });
    for (const bidder of bidders) {
      const application = await this.api('POST', `/lots/${lot.id}/applications`, { token: bidder.token, expect: 201 });
      await this.api('POST', `/applications/${application.id}/approve`, {
        token: auctioneer.token,
        body: { priority_rank: null },
        expect: 200,
      });
      await this.api('POST', `/applications/${application.id}/deposit`, {
        token: bidder.token,
        body: {},
        idempotencyKey: `deposit-${application.id}`,
        expect: 201,
      });
    }
    return { id: /** @type {number} */ (lot.id), startsAt };
  }
}
