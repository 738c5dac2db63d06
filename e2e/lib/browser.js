// Debian's chromium driven by playwright-core: never a downloaded browser.

import { chromium } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * A headless chromium. playwright starts it on a fresh temporary profile of its own
 * (and removes it on close); each person in a test gets a context of their own, with its
 * own storage, so three people sign in side by side.
 */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/** A person's own browser window: viewport, language and time zone of a viewer. */
export async function personContext(browser, { width = 1280, height = 900, locale = 'zh-CN' } = {}) {
  return browser.newContext({
    viewport: { width, height },
    locale,
    timezoneId: 'Asia/Shanghai',
  });
}
