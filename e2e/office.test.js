// The bidder's centre, the auctioneer's console and the back office in a real browser:
// the auctioneer creates a lot through the form (a refused amount explained first, the
// times entered in Shanghai time reaching the server in UTC), publishes it and approves
// an application with a priority rank; the bidder sees the wallet's virtual account
// number, applies and lodges the deposit; the admin verifies an identity (a wrong check
// digit explained first) and sees the ledger consistent; a company signs up as an
// organisation, the admin verifies it by its unified social credit code (a wrong check
// character explained first), and a top-up paid by someone else is held unmatched and
// credited by the admin with a note; a language switch keeps what was typed; the
// auctioneer imports a lot's item list (a refused file explained cell by cell) that the
// lot page then lists; the weekly statistics show on both office pages and download as
// CSV; an announcement is drafted, reviewed and found on the home page. Screenshots of
// each page, in both languages and at phone width, are saved under
// e2e/screenshots/office-*.png.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { launchBrowser, personContext } from './lib/browser.js';
import { PASSWORD, Rest } from './lib/rest.js';
import { ADMIN, startServer } from './lib/server.js';

const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), 'screenshots');
mkdirSync(SCREENSHOTS, { recursive: true });

let server;
let browser;
const problems = [];

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A signed-in person's page: the session as the index page saves it after signing in. */
async function signedInPage(rest, username, { password = PASSWORD, ...options } = {}) {
  const context = await personContext(browser, options);
  const session = await rest.call('POST', '/sessions', { body: { username, password } });
  // Only on the first page: what the pages save later (a changed password) is kept.
  await context.addInitScript((saved) => {
    if (!localStorage.getItem('bidroom.session')) localStorage.setItem('bidroom.session', JSON.stringify(saved));
  }, { token: session.token, account: session.account });
  const page = await context.newPage();
  page.on('pageerror', (error) => problems.push(`${username}: ${error.message}`));
  page.on('console', (message) => {
    // The browser asks for a favicon of its own accord; the server has none to give.
    if (message.location().url.endsWith('/favicon.ico')) return;
    if (message.type() === 'error') problems.push(`${username}: console: ${message.text()} (${message.location().url})`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${username}: ${response.status()} ${response.url()}`);
  });
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: join(SCREENSHOTS, `office-${name}.png`), fullPage: true });
}

test('the bidder, the auctioneer and the admin at work in their pages', { timeout: 180_000 }, async (t) => {
  const rest = new Rest(server.origin);
  const auctioneer = await rest.createUser('office-auctioneer', 'auctioneer', '城东拍卖有限公司');
  const bidder = await rest.fundedBidder('office-alice', '王小丽');
  const unverified = await rest.createUser('office-dora', 'bidder', 'Dora Zhou');
  const wallet = await rest.call('GET', '/wallet', { token: bidder.token });

  const console_ = await signedInPage(rest, auctioneer.username);
  const me = await signedInPage(rest, bidder.username, { locale: 'en-US' });
  const admin = await signedInPage(rest, ADMIN.username, { password: ADMIN.password });
  let lotId;

  await t.test('the auctioneer creates a lot, is told what is wrong first, and publishes it', async () => {
    await console_.goto(`${server.origin}/console`);
    const form = console_.locator('#create form');
    await form.locator('input[name=title]').fill('城东 9 号仓库租赁权');
    await form.locator('input[name=start_price]').fill('12,000');
    await form.locator('input[name=increment]').fill('500');
    await form.locator('input[name=deposit_amount]').fill('2000');
    await form.locator('input[name=starts_at]').fill('2030-06-01T10:00');
    await form.locator('input[name=applications_close_at]').fill('2030-06-01T10:00');
    await form.locator('input[name=deposit_deadline]').fill('2030-06-01T09:00');
    await form.locator('input[name=ends_at]').fill('2030-06-01T11:00');
    await form.locator('button[type=submit]').click();
    await form.locator('[role=alert]:has-text("起拍价")').waitFor();
    assert.equal(await form.locator('input[name=start_price]').getAttribute('aria-invalid'), 'true');
    assert.equal(await form.locator('input[name=title]').inputValue(), '城东 9 号仓库租赁权');
    await shot(console_, 'console-refused');

    // The language switch relabels the form and keeps what was typed.
    await console_.locator('.lang-switch').click();
    await console_.locator('#create h2:has-text("Create a lot")').waitFor();
    assert.equal(await form.locator('input[name=title]').inputValue(), '城东 9 号仓库租赁权');
    await console_.locator('.lang-switch').click();
    await console_.locator('#create h2:has-text("创建标的")').waitFor();

    await form.locator('input[name=start_price]').fill('12000');
    await form.locator('button[type=submit]').click();
    await form.locator('.message.good').waitFor();
    const row = console_.locator('#lots tr:has-text("城东 9 号仓库租赁权")');
    lotId = Number(await row.getAttribute('data-key'));
    const lot = await rest.call('GET', `/lots/${lotId}`, { token: auctioneer.token });
    // 10:00 in Shanghai is 02:00 UTC.
    assert.equal(lot.starts_at, '2030-06-01T02:00:00Z');
    assert.equal(lot.deposit_deadline, '2030-06-01T01:00:00Z');
    assert.equal(lot.start_price, '12000.00');
    assert.deepEqual(lot.deposit, { kind: 'fixed', amount: '2000.00' });
    assert.equal(lot.state, 'draft');
    await row.locator('button:has-text("发布")').click();
    await console_.locator(`#lots tr[data-key="${lotId}"] a[href="/console/lots/${lotId}"]`).waitFor();
    assert.equal((await rest.call('GET', `/lots/${lotId}`)).state, 'published');
  });

  await t.test('the auctioneer imports the lot\'s items: a bad file is explained cell by cell', async () => {
    await console_.locator(`#lots tr[data-key="${lotId}"] button:has-text("标的物清单")`).click();
    const section = console_.locator('#lot-items');
    await section.locator('p:has-text("尚无标的物清单")').waitFor();
    const input = section.locator('#items-file');
    await input.setInputFiles({
      name: 'items.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('名称,数量,单位,颜色\n叉车,2,台,\n货架,-3,组,\n'),
    });
    await section.locator('#items-upload').click();
    await section.locator('#item-errors li:has-text("第 1 行 D 列")').waitFor();
    const errors = await section.locator('#item-errors li').allInnerTexts();
    assert.equal(errors.length, 2, errors.join('\n'));
    assert.match(errors[1], /^第 3 行 B 列 \(数量\): quantity must be a positive decimal/);
    // That refusal (and the browser's console line about it) is the 400 this step
    // expects, not a problem of the page.
    const refused = (problem) => problem.includes('400') && problem.includes(`/api/v1/lots/${lotId}/items`);
    assert.ok(problems.some(refused), problems.join('\n'));
    problems.splice(0, problems.length, ...problems.filter((problem) => !refused(problem)));
    await shot(console_, 'console-items-refused');

    await input.setInputFiles({
      name: 'items.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('名称,数量,单位,备注\n叉车,2,台,2019 年购入\n货架,12.5,组,\n'),
    });
    await section.locator('#items-upload').click();
    await section.locator('.message.good:has-text("已导入 2 项")').waitFor();
    await section.locator('tbody tr').nth(1).waitFor();
    assert.equal(await section.locator('#item-errors').isHidden(), true);
    const stored = await rest.call('GET', `/lots/${lotId}/items`);
    assert.deepEqual(stored.items.map((item) => [item.name, item.quantity]), [['叉车', '2'], ['货架', '12.5']]);
    await shot(console_, 'console-items');

    // The public lot page lists them.
    await me.goto(`${server.origin}/lots/${lotId}`);
    await me.locator('#lot-items tbody tr').nth(1).waitFor();
    assert.match(await me.locator('#items-card h2').innerText(), /Items \(2\)/);
    assert.match(await me.locator('#lot-items tbody tr').first().innerText(), /叉车\s+2 台\s+2019 年购入/);
    await shot(me, 'room-items-en');
  });

  await t.test('the bidder sees the wallet number and applies', async () => {
    await me.goto(`${server.origin}/me`);
    await me.locator('.account-number').waitFor();
    assert.equal(await me.locator('.account-number').innerText(), wallet.account_number);
    await me.locator(`#apply tr[data-key="${lotId}"] button`).click();
    await me.locator(`#applications tr[data-key="${lotId}"]:has-text("Under review")`).waitFor();
    // The lists refresh after the confirmation shows; wait for the row to go.
    await me.locator(`#apply tr[data-key="${lotId}"]`).waitFor({ state: 'detached' });
  });

  await t.test('the auctioneer approves the application with a priority rank', async () => {
    await console_.locator(`#lots tr[data-key="${lotId}"] button:has-text("报名")`).click();
    const approve = console_.locator('#lot-applications button:has-text("通过")').first();
    await approve.click();
    const dialog = console_.locator('dialog');
    await dialog.locator('input[name=priority_rank]').fill('0');
    await dialog.locator('button[type=submit]').click();
    await dialog.locator('[role=alert]').waitFor();
    await dialog.locator('input[name=priority_rank]').fill('1');
    await dialog.locator('button[type=submit]').click();
    await console_.locator('#lot-applications .message.good').waitFor();
    await shot(console_, 'console-approved');
    // The auctioneer's own weekly statistics are on the console too.
    await console_.locator('#weekly-stats h2:has-text("我的标的周统计")').waitFor();
    await console_.locator('#weekly-stats tr[data-key="lots_opened"]').waitFor();
  });

  await t.test('the bidder lodges the deposit and sees the bidder number', async () => {
    await me.reload();
    const row = me.locator(`#applications tr[data-key="${lotId}"]`);
    await row.locator('text=Approved').waitFor();
    const [application] = (await rest.call('GET', '/me/applications', { token: bidder.token })).filter(
      (listed) => listed.lot_id === lotId,
    );
    assert.match(await row.innerText(), new RegExp(application.bidder_number));
    await row.locator('button:has-text("Lodge deposit")').click();
    await me.locator('dialog button[type=submit]').click();
    await me.locator(`#applications tr[data-key="${lotId}"]:has-text("Held")`).waitFor();
    const after = await rest.call('GET', '/wallet', { token: bidder.token });
    assert.equal(after.frozen, '2000.00');
    await shot(me, 'me-en');
    await me.setViewportSize({ width: 390, height: 844 });
    await shot(me, 'me-phone-en');
  });

  await t.test('the admin verifies an identity and sees the ledger consistent', async () => {
    await admin.goto(`${server.origin}/admin`);
    const row = admin.locator(`#identities tr[data-key="${unverified.id}"]`);
    await row.locator('button').click();
    const dialog = admin.locator('dialog');
    await dialog.locator('input[name=real_name]').fill('周多拉');
    await dialog.locator('input[name=id_number]').fill('110105194912310021');
    await dialog.locator('button[type=submit]').click();
    await dialog.locator('[role=alert]:has-text("校验码")').waitFor();
    await dialog.locator('input[name=id_number]').fill('11010519491231002X');
    await dialog.locator('button[type=submit]').click();
    await admin.locator('#identities .message.good').waitFor();
    await row.waitFor({ state: 'detached' });
    const account = await rest.call('GET', `/accounts?verification=verified&role=bidder`, {
      token: await rest.admin(),
    });
    assert.ok(account.some((listed) => listed.id === unverified.id && listed.real_name === '周多拉'));
    await admin.locator('#reconciliation .verdict.good').waitFor();

    // The weekly statistics hold this week's deposit, and download as CSV.
    const held = admin.locator('#weekly-stats tr[data-key="deposits_held"]');
    await held.waitFor();
    assert.match(await held.locator('td').nth(1).innerText(), /¥2,000\.00/);
    await admin.locator('#weekly-stats svg.stats-chart rect.bar.this').first().waitFor();
    const [download] = await Promise.all([
      admin.waitForEvent('download'),
      admin.locator('#stats-csv').click(),
    ]);
    assert.match(download.suggestedFilename(), /^weekly-stats-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = await (await download.createReadStream()).toArray();
    const lines = Buffer.concat(csv).toString('utf8').trim().split('\n');
    assert.match(lines[0], /^week,monday,starts_at,ends_at,currency,lots_opened/);
    assert.match(lines[1], /^this,.*,CNY,0,0,0\.00,0\.00,2000\.00,0,0\.00$/);
    await admin.locator('#weekly-stats').scrollIntoViewIfNeeded();
    await shot(admin, 'admin');
    await admin.setViewportSize({ width: 390, height: 844 });
    await shot(admin, 'admin-phone');
  });

  await t.test('an announcement is drafted, submitted, reviewed and published', async () => {
    await console_.goto(`${server.origin}/console`);
    const section = console_.locator('#announcements');
    await section.locator('button:has-text("新建公告")').click();
    const dialog = console_.locator('dialog');
    await dialog.locator('select[name=lot_id]').selectOption(String(lotId));
    await dialog.locator('select[name=kind]').selectOption('auction');
    await dialog.locator('input[name=title]').fill('城东 9 号仓库租赁权拍卖公告');
    await dialog.locator('button[type=submit]').click();
    await dialog.locator('[role=alert]:has-text("正文")').waitFor();
    await dialog.locator('textarea[name=body]').fill('第一条 标的：城东 9 号仓库租赁权\n第二条 保证金 2,000.00 元');
    await dialog.locator('button[type=submit]').click();
    const row = section.locator('tr:has-text("城东 9 号仓库租赁权拍卖公告")');
    await row.locator('.badge:has-text("草稿")').waitFor();
    await row.locator('button:has-text("提交审核")').click();
    await console_.locator('dialog button[type=submit]').click();
    await row.locator('.badge:has-text("审核中")').waitFor();
    await shot(console_, 'console-announcements');

    await admin.setViewportSize({ width: 1280, height: 900 });
    await admin.goto(`${server.origin}/admin`);
    const queued = admin.locator('#announcements tr:has-text("城东 9 号仓库租赁权拍卖公告")');
    await queued.locator('button').first().click();
    await admin.locator('dialog pre:has-text("第二条")').waitFor();
    await shot(admin, 'admin-announcement-review');
    await admin.locator('dialog button[type=submit]').click();
    await admin.locator('#announcements .message.good').waitFor();
    await queued.waitFor({ state: 'detached' });
    const published = await rest.call('GET', `/announcements?lot_id=${lotId}`);
    assert.deepEqual(published.map((entry) => [entry.kind, entry.status]), [['auction', 'approved']]);

    // Anyone finds it on the home page, by its words, and reads it there.
    const visitor = await (await personContext(browser)).newPage();
    await visitor.goto(`${server.origin}/`);
    const listed = visitor.locator('#announcements li:has-text("城东 9 号仓库租赁权拍卖公告")');
    await listed.waitFor();
    await visitor.locator('#announcement-q').fill('没有这个词');
    await visitor.locator('#announcements button[type=submit]').click();
    await visitor.locator('#announcements p.muted:has-text("没有符合条件的公告")').waitFor();
    await visitor.locator('#announcement-q').fill('仓库');
    await visitor.locator('#announcement-kind').selectOption('auction');
    await visitor.locator('#announcements button[type=submit]').click();
    await listed.locator('summary').click();
    await listed.locator('pre:has-text("第二条 保证金")').waitFor();
    await shot(visitor, 'index-announcements');
    await visitor.context().close();
  });

  await t.test('an organisation signs up, is verified by its credit code, and a top-up from another payer is held', async () => {
    const visitor = await (await personContext(browser, { locale: 'en-US' })).newPage();
    visitor.on('pageerror', (error) => problems.push(`organisation: ${error.message}`));
    await visitor.goto(`${server.origin}/`);
    await visitor.fill('#sign-up-username', 'office-xingcheng');
    await visitor.fill('#sign-up-display_name', '星城置业');
    await visitor.fill('#sign-up-password', PASSWORD);
    await visitor.locator('#sign-up-form input[name=kind][value=organisation]').check();
    await shot(visitor, 'sign-up-organisation-en');
    await visitor.locator('#sign-up-form button[type=submit]').click();
    await visitor.locator('.who:has-text("星城置业")').waitFor();
    const token = await rest.signIn('office-xingcheng');
    const company = await rest.call('GET', '/me', { token });
    assert.equal(company.kind, 'organisation');
    await visitor.context().close();

    await admin.setViewportSize({ width: 1280, height: 900 });
    await admin.goto(`${server.origin}/admin`);
    const row = admin.locator(`#identities tr[data-key="${company.id}"]`);
    await row.locator('td:has-text("机构")').waitFor();
    await row.locator('button').click();
    const dialog = admin.locator('dialog');
    await dialog.locator('h2:has-text("机构认证")').waitFor();
    await dialog.locator('input[name=real_name]').fill('长沙星城置业有限公司');
    await dialog.locator('input[name=id_number]').fill('9144030071526726XH');
    await dialog.locator('button[type=submit]').click();
    await dialog.locator('[role=alert]:has-text("校验码")').waitFor();
    await shot(admin, 'admin-organisation-code');
    await dialog.locator('input[name=id_number]').fill('9144030071526726XG');
    await dialog.locator('button[type=submit]').click();
    await admin.locator('#identities .message.good').waitFor();
    await row.waitFor({ state: 'detached' });
    const verified = await rest.call('GET', '/me', { token });
    assert.equal(verified.real_name, '长沙星城置业有限公司');
    assert.equal(verified.id_type, 'unified_social_credit_code');

    const entry = admin.locator('#bank-entry form');
    await entry.locator('input[name=transfer_id]').fill('e2e-someone-else');
    await entry.locator('input[name=account_number]').fill(verified.wallet.account_number);
    await entry.locator('input[name=amount]').fill('5000');
    await entry.locator('input[name=payer_name]').fill('李四');
    await entry.locator('button[type=submit]').click();
    await admin.locator('#bank-entry .message:has-text("付款人")').waitFor();
    const held = admin.locator('#unmatched tr[data-key="e2e-someone-else"]');
    await held.locator('td:has-text("付款人非账户本人")').waitFor();
    await held.locator('td:has-text("长沙星城置业有限公司")').waitFor();
    await shot(admin, 'admin-payer-held');
    assert.equal((await rest.call('GET', '/wallet', { token })).available, '0.00');
    await held.locator('button').click();
    await dialog.locator('p:has-text("李四")').waitFor();
    await dialog.locator('textarea[name=note]').fill('李四 is the company\'s director; confirmed by the company in writing');
    await dialog.locator('button[type=submit]').click();
    await admin.locator('#unmatched .message.good').waitFor();
    await held.waitFor({ state: 'detached' });
    assert.equal((await rest.call('GET', '/wallet', { token })).available, '5000.00');
    await admin.locator('#reconciliation .verdict.good').waitFor();
  });

  await t.test('a visitor and another role see who the page is for, with a sign-in link', async () => {
    const visitor = await (await personContext(browser)).newPage();
    await visitor.goto(`${server.origin}/me`);
    await visitor.locator('.gate a[href="/#sign-in"]').waitFor();
    await me.goto(`${server.origin}/admin`);
    await me.locator('.gate h1:has-text("not for your account")').waitFor();
    await shot(me, 'gate-wrong-role-en');
    await visitor.context().close();
  });

  assert.deepEqual(problems, []);
});

test('staff accounts: a supervisor with a temporary password, and a suspension', { timeout: 180_000 }, async (t) => {
  const rest = new Rest(server.origin);
  const adminToken = await rest.admin();
  const admin = await signedInPage(rest, ADMIN.username, { password: ADMIN.password, locale: 'en-GB' });
  const bidder = await rest.call('POST', '/accounts', {
    body: { username: 'suspended-sam', password: PASSWORD, display_name: 'Sam Suspended' },
  });

  await t.test('the admin creates a supervisor who must change its password', async () => {
    await admin.goto(`${server.origin}/admin`);
    const form = admin.locator('#new-account form');
    await form.locator('input[name=username]').fill('watcher');
    await form.locator('input[name=display_name]').fill('Wang Watcher');
    await form.locator('input[name=password]').fill('temporary-pass-1');
    await form.locator('select[name=role]').selectOption('supervisor');
    await form.locator('button[type=submit]').click();
    await form.locator('.message.good').waitFor();
  });

  await t.test('the supervisor changes the password first, then sees the back office read-only', async () => {
    const supervisor = await signedInPage(rest, 'watcher', { password: 'temporary-pass-1', locale: 'en-GB' });
    await supervisor.goto(`${server.origin}/admin`);
    const card = supervisor.locator('#password');
    await card.locator('h2:has-text("first")').waitFor();
    await shot(supervisor, 'password-required');
    await card.locator('input[name=current]').fill('temporary-pass-1');
    await card.locator('input[name=new]').fill('my-own-password-2');
    await card.locator('input[name=confirm]').fill('my-own-password-3');
    await card.locator('button[type=submit]').click();
    await card.locator('[role=alert]:has-text("differ")').waitFor();
    await card.locator('input[name=confirm]').fill('my-own-password-2');
    await card.locator('button[type=submit]').click();
    await supervisor.locator('#read-only-note').waitFor();
    await supervisor.locator('#reconciliation .verdict.good').waitFor();
    assert.equal(await supervisor.locator('#new-account').count(), 0);
    assert.equal(await supervisor.locator('#suspensions form').isVisible(), false);
    await shot(supervisor, 'admin-supervisor');
    await rest.call('POST', '/sessions', { body: { username: 'watcher', password: 'my-own-password-2' } });
    await supervisor.context().close();
  });

  await t.test('the admin suspends a bidder and lifts the suspension, both with a reason', async () => {
    await admin.reload();
    const section = admin.locator('#suspensions');
    await section.locator(`select[name=account] option[value="${bidder.id}"]`).waitFor({ state: 'attached' });
    await section.locator('select[name=account]').selectOption(String(bidder.id));
    await section.locator('input[name=days]').fill('30');
    await section.locator('textarea[name=reason]').fill('forged documents');
    await section.locator('form button[type=submit]').click();
    const row = section.locator(`tr[data-key="${bidder.id}"]`);
    await row.waitFor();
    assert.match(await row.textContent(), /forged documents/);
    await shot(admin, 'admin-suspensions');
    await row.locator('button:has-text("Lift")').click();
    const dialog = admin.locator('dialog');
    await dialog.locator('textarea[name=reason]').fill('documents checked again');
    await dialog.locator('button[type=submit]').click();
    await row.waitFor({ state: 'detached' });
    const history = await rest.call('GET', `/accounts/${bidder.id}/suspensions`, { token: adminToken });
    assert.deepEqual(history.map((record) => record.action), ['suspend', 'lift']);
  });

  assert.deepEqual(problems, []);
});
