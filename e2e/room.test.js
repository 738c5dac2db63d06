// Two bidders and an auctioneer in three browser pages of one live room: sign in through
// the pages, bids flow, a rejection is explained, one bidder's socket is dropped and
// resumes with the right price and no duplicated history row, the auctioneer sees who
// bids and announces, the language is switched and remembered, and screenshots of every
// page are saved under e2e/screenshots/.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { launchBrowser, personContext } from './lib/browser.js';
import { PASSWORD, Rest } from './lib/rest.js';
import { startServer } from './lib/server.js';

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

/** A page that records every script error and console error (a CSP refusal is one). */
async function openPage(context, name, { expectedStatus } = {}) {
  const page = await context.newPage();
  page.on('pageerror', (error) => problems.push(`${name}: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    // A refused request the test provokes is logged by the browser too.
    if (expectedStatus && message.text().includes(`status of ${expectedStatus}`)) return;
    problems.push(`${name}: console: ${message.text()} (${message.location().url})`);
  });
  return page;
}

async function signInThroughThePage(page, username) {
  await page.locator('#sign-in-form input[name=username]').fill(username);
  await page.locator('#sign-in-form input[name=password]').fill(PASSWORD);
  await page.locator('#sign-in-form button[type=submit]').click();
}

async function shot(page, name) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

const text = (page, selector) => page.locator(selector).innerText();

test('two bidders and an auctioneer in one live room', { timeout: 240_000 }, async (t) => {
  const rest = new Rest(server.origin);
  const auctioneer = await rest.createUser('e2e-auctioneer', 'auctioneer', '城东拍卖有限公司');
  const alice = await rest.fundedBidder('e2e-alice', '王小丽');
  const bob = await rest.fundedBidder('e2e-bob', 'Robert Chen');
  const startsAtMs = Date.now() + 12_000;
  const lot = await rest.publishedLot(auctioneer, {
    startsAtMs,
    runsForMs: 45_000,
    title: '城东新区 12 号地块国有建设用地使用权',
  });
  const aliceNumber = await rest.register(alice, auctioneer, lot.id);
  const bobNumber = await rest.register(bob, auctioneer, lot.id);

  // Alice's socket goes through a proxy the test can cut.
  const aliceContext = await personContext(browser);
  const alicePage = await openPage(aliceContext, 'alice');
  const aliceSockets = [];
  let refuseAliceSockets = false;
  await alicePage.routeWebSocket(/\/ws$/, (socket) => {
    if (refuseAliceSockets) {
      socket.close({ code: 4000, reason: 'held by the test' });
      return;
    }
    const toServer = socket.connectToServer();
    aliceSockets.push({ socket, toServer });
  });
  const bobContext = await personContext(browser, { locale: 'en-US' });
  const bobPage = await openPage(bobContext, 'bob');
  const auctioneerContext = await personContext(browser);
  const auctioneerPage = await openPage(auctioneerContext, 'auctioneer');

  await t.test('the index lists the lot and signs in; a room link brings the visitor back', async () => {
    await alicePage.goto(`${server.origin}/lots/${lot.id}`);
    await alicePage.locator('#bid-controls a.button').click();
    await alicePage.waitForURL(/\/\?next=/);
    await alicePage.locator(`.lot-item[data-lot="${lot.id}"]`).waitFor();
    await shot(alicePage, 'index-desktop');
    await signInThroughThePage(alicePage, alice.username);
    await alicePage.waitForURL(`${server.origin}/lots/${lot.id}`);

    await bobPage.goto(server.origin);
    await signInThroughThePage(bobPage, bob.username);
    await bobPage.locator('.site-header .who').waitFor();
    await bobPage.goto(`${server.origin}/lots/${lot.id}`);

    await auctioneerPage.goto(server.origin);
    await signInThroughThePage(auctioneerPage, auctioneer.username);
    await auctioneerPage.locator('.site-header .who').waitFor();
    await auctioneerPage.goto(`${server.origin}/console/lots/${lot.id}`);
  });

  await t.test('a wrong password is explained on the form', async () => {
    const page = await openPage(await personContext(browser), 'visitor', { expectedStatus: 401 });
    await page.goto(server.origin);
    await page.locator('#sign-in-form input[name=username]').fill(alice.username);
    await page.locator('#sign-in-form input[name=password]').fill('not-the-password');
    await page.locator('#sign-in-form button[type=submit]').click();
    await page.locator('#sign-in-form [role=alert]:has-text("用户名或密码错误")').waitFor();
    await page.context().close();
  });

  await t.test('every page is connected and shows the lot before it opens', async () => {
    for (const page of [alicePage, bobPage, auctioneerPage]) {
      await page.locator('#connection[data-state=connected]').waitFor();
      assert.equal(await text(page, '#lot-title'), lot.title);
      assert.equal(await text(page, '#price'), '¥1,000,000.00');
    }
    assert.match(await text(alicePage, '#price-capital'), /人民币壹佰万元整/);
    assert.match(await text(alicePage, '#my-status'), new RegExp(`竞买号 ${aliceNumber}`));
  });

  await t.test('the room opens and bids flow to every page', async () => {
    await alicePage.locator('#lot-state:has-text("竞价中")').waitFor({ timeout: 30_000 });
    await alicePage.locator('.quick-bid').first().click();
    await alicePage.locator('#bid-feedback:has-text("出价成功")').waitFor();
    for (const page of [alicePage, bobPage, auctioneerPage]) {
      await page.locator('#price:has-text("¥1,000,000.00")').waitFor();
      await page.locator(`#leader:has-text("${aliceNumber}")`).waitFor();
    }
    await alicePage.locator('#my-status:has-text("您当前领先")').waitFor();

    // Bob bids two increments above the lowest next bid.
    await bobPage.locator('.quick-bid[data-amount="1030000.00"]').click();
    await bobPage.locator('#bid-feedback:has-text("Bid accepted")').waitFor();
    await alicePage.locator('#price:has-text("¥1,030,000.00")').waitFor();
    await alicePage.locator('#my-status:has-text("已被超越")').waitFor();
    assert.match(await text(alicePage, '#price-capital'), /壹佰零叁万元整/);
  });

  await t.test('a rejection is explained in words', async () => {
    // Bob leads and may not raise his own bid.
    await bobPage.locator('.quick-bid').first().click();
    await bobPage.locator('#bid-feedback[data-code=already_leading]').waitFor();
    assert.match(await text(bobPage, '#bid-feedback'), /already the highest bidder/);
  });

  await t.test('a custom amount is checked before it is sent', async () => {
    const input = alicePage.locator('#custom-amount');
    await input.fill('1040000.555');
    await alicePage.locator('#custom-bid button[type=submit]').click();
    await alicePage.locator('#bid-feedback:has-text("最多两位小数")').waitFor();
    await input.fill('1045000');
    await alicePage.locator('#custom-bid button[type=submit]').click();
    await alicePage.locator('#bid-feedback:has-text("加价幅度")').waitFor();
    await input.fill('1000000');
    await alicePage.locator('#custom-bid button[type=submit]').click();
    await alicePage.locator('#bid-feedback:has-text("低于最低可出价")').waitFor();

    // Far above the lowest next bid: a dialog asks first; cancelling sends nothing.
    await input.fill('2000000');
    await alicePage.locator('#custom-bid button[type=submit]').click();
    const dialog = alicePage.locator('dialog[open]');
    await dialog.waitFor();
    await shot(alicePage, 'room-confirm-dialog');
    await dialog.locator('button[value=cancel]').click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await text(alicePage, '#price'), '¥1,030,000.00');

    await input.fill('1050000.00');
    await alicePage.locator('#custom-bid button[type=submit]').click();
    await alicePage.locator('#bid-feedback:has-text("出价成功")').waitFor();
    await bobPage.locator('#price:has-text("¥1,050,000.00")').waitFor();
  });

  await t.test('the auctioneer sees who bids, presence and the bid rate, and announces', async () => {
    await auctioneerPage.locator('#monitor-card:not([hidden])').waitFor();
    await auctioneerPage.locator('#bid-history td:has-text("王小丽")').first().waitFor();
    await auctioneerPage.locator('#bid-history td:has-text("Robert Chen")').first().waitFor();
    assert.equal(await auctioneerPage.locator(`#bid-history td:has-text("${alice.id}")`).count() > 0, true);
    await auctioneerPage.waitForFunction(() => Number(document.getElementById('bidders')?.textContent) >= 2);
    assert.equal(await text(auctioneerPage, '#bids-per-minute'), '3');
    // Bidders never see identities.
    assert.equal(await bobPage.locator('#bid-history td:has-text("王小丽")').count(), 0);

    await auctioneerPage.locator('#announce-text').fill('请各位竞买人注意：本场设有延时。<b>不是标记</b>');
    await auctioneerPage.locator('#announce').click();
    for (const page of [alicePage, bobPage]) {
      await page.locator('#event-log li.announcement:has-text("<b>不是标记</b>")').waitFor();
    }
    assert.equal(await alicePage.locator('#event-log b').count(), 0, 'announcements are text, never markup');
  });

  await t.test("a dropped socket resumes with the right price and no duplicated history row", async () => {
    refuseAliceSockets = true;
    for (const { socket, toServer } of aliceSockets.splice(0)) {
      await toServer.close();
      await socket.close();
    }
    await alicePage.locator('#connection[data-state=reconnecting]').waitFor();
    await shot(alicePage, 'room-reconnecting');
    assert.equal(await alicePage.locator('.quick-bid:disabled').count(), 4, 'no bid while disconnected');

    // While Alice is away, Bob outbids her.
    await bobPage.locator('.quick-bid').first().click();
    await bobPage.locator('#bid-feedback:has-text("Bid accepted")').waitFor();
    await auctioneerPage.locator('#price:has-text("¥1,060,000.00")').waitFor();
    assert.equal(await text(alicePage, '#price'), '¥1,050,000.00');

    refuseAliceSockets = false;
    await alicePage.locator('#connection[data-state=connected]').waitFor({ timeout: 40_000 });
    await alicePage.locator('#connection:has-text("已恢复连接")').waitFor();
    await alicePage.locator('#price:has-text("¥1,060,000.00")').waitFor();
    await alicePage.locator('#my-status:has-text("已被超越")').waitFor();
    const seqs = await alicePage.locator('#bid-history tbody tr').evaluateAll((rows) => rows.map((row) => row.dataset.seq));
    assert.equal(seqs.length, 4, `four bids, each once: ${seqs}`);
    assert.equal(new Set(seqs).size, seqs.length, `no row twice: ${seqs}`);
    const bobSeqs = await bobPage.locator('#bid-history tbody tr').evaluateAll((rows) => rows.map((row) => row.dataset.seq));
    assert.deepEqual(seqs, bobSeqs);
  });

  await t.test('the language switches and is remembered on reload', async () => {
    await alicePage.locator('.lang-switch').click();
    await alicePage.locator('#you-title:has-text("My bidding")').waitFor();
    assert.match(await text(alicePage, '#my-status'), /outbid/);
    await alicePage.reload();
    await alicePage.locator('#you-title:has-text("My bidding")').waitFor();
    assert.equal(await alicePage.evaluate(() => document.documentElement.lang), 'en');
    await alicePage.locator('#price:has-text("¥1,060,000.00")').waitFor();
    await alicePage.locator('.lang-switch').click();
    await alicePage.locator('#you-title:has-text("我的竞价")').waitFor();
  });

  await t.test('screenshots of every page, desktop and phone', async () => {
    await shot(alicePage, 'room-bidder-alice-desktop');
    await shot(bobPage, 'room-bidder-bob-desktop-en');
    await shot(auctioneerPage, 'room-monitor-desktop');
    await alicePage.setViewportSize({ width: 390, height: 844 });
    await shot(alicePage, 'room-bidder-phone');
    await auctioneerPage.setViewportSize({ width: 390, height: 844 });
    await shot(auctioneerPage, 'room-monitor-phone');
    for (const page of [alicePage, auctioneerPage]) {
      const wide = await page.evaluate(() =>
        [...document.querySelectorAll('body *')]
          .filter((node) => node.getBoundingClientRect().right > 390.5 && !node.closest('.table-wrap'))
          .map((node) => `${node.tagName}#${node.id}.${node.className}`),
      );
      assert.deepEqual(wide, [], 'nothing wider than the phone');
    }
    await alicePage.setViewportSize({ width: 1280, height: 900 });
    await auctioneerPage.setViewportSize({ width: 1280, height: 900 });
  });

  await t.test('a bid in the timed phase extends the deadline, and everyone is told', async () => {
    await alicePage.locator('#phase:has-text("限时竞价")').waitFor({ timeout: 90_000 });
    const deadlineBefore = await text(alicePage, '#deadline');
    await alicePage.locator('.quick-bid').first().click();
    await alicePage.locator('#bid-feedback:has-text("出价成功")').waitFor();
    for (const page of [alicePage, auctioneerPage]) {
      await page.locator('#event-log li[data-key="room.log.extended"]').waitFor();
      await page.locator('#extensions:has-text("1")').waitFor();
    }
    await bobPage.locator('#event-log li:has-text("extended the deadline")').waitFor();
    assert.notEqual(await text(alicePage, '#deadline'), deadlineBefore);
    await shot(auctioneerPage, 'room-monitor-timed-extended');
  });

  await t.test('at the close the winner gets the result and the confirmation', async () => {
    await alicePage.locator('#result-card:not([hidden])').waitFor({ timeout: 60_000 });
    await alicePage.locator(`#result:has-text("${aliceNumber}")`).waitFor();
    await alicePage.locator('#my-status:has-text("恭喜")').waitFor();
    await bobPage.locator('#my-status:has-text("did not win")').waitFor();
    await auctioneerPage.locator('#result:has-text("成交")').waitFor();
    const download = alicePage.waitForEvent('download');
    await alicePage.locator('#confirmation').click();
    const file = await download;
    assert.match(file.suggestedFilename(), /confirmation-lot-/);
    const saved = join(SCREENSHOTS, 'confirmation.html');
    await file.saveAs(saved);
    assert.match(readFileSync(saved, 'utf8'), /成交确认书/);
    await shot(alicePage, 'room-closed-winner');
    await shot(bobPage, 'room-closed-bidder-en');
    await shot(auctioneerPage, 'room-closed-monitor');
  });

  assert.deepEqual(problems, [], 'no script errors and no policy violations');
});
