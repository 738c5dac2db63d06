// `bidroom serve` as a child process on port 0 against a fresh SQLite database, as
// tests/common/process.rs starts it: the address comes from the ready line on stdout.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const REPOSITORY = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ADMIN = { username: 'e2e-admin', password: 'e2e-admin-password' };

/** @returns {Promise<{origin: string, stop: () => Promise<void>}>} */
export async function startServer() {
  const binary = process.env.BIDROOM_BINARY ?? join(REPOSITORY, 'target', 'debug', 'bidroom');
  const directory = mkdtempSync(join(tmpdir(), 'bidroom-e2e-'));
  const child = spawn(
    binary,
    [
      'serve',
      '--listen', '127.0.0.1:0',
      '--database-url', `sqlite://${join(directory, 'bidroom.db')}`,
      '--bootstrap-admin', `${ADMIN.username}:${ADMIN.password}`,
      '--bid-rate-limit', '100',
      '--account-bid-rate-limit', '100',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'info' } },
  );
  const exited = new Promise((done) => child.once('exit', done));
  const origin = await new Promise((found, failed) => {
    const timer = setTimeout(() => failed(new Error('no ready line from bidroom within 30 s')), 30_000);
    child.once('exit', (code) => failed(new Error(`bidroom exited with ${code} before it was ready`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const address = line.split('listening on http://')[1];
      if (address) {
        clearTimeout(timer);
        found(`http://${address.split(/\s/)[0]}`);
      }
    });
  });
  return {
    origin,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
