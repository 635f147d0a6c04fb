import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

// Headless Chromium from Debian's package, driven by playwright-core (which never downloads
// a browser). These flags and a fresh profile keep it off the network (FIELD-NOTES).

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, name);
    if (dir && fs.existsSync(p)) return p;
  }
  return undefined;
}

/** Debian's package puts it at /usr/bin/chromium; EGOVCTL_CHROMIUM names another. */
export const CHROMIUM = process.env.EGOVCTL_CHROMIUM ?? (fs.existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : (onPath('chromium') ?? '/usr/bin/chromium'));

/** Why the browser tests cannot run here, or null when they can. */
export function noBrowserReason(): string | null {
  if (!fs.existsSync(CHROMIUM)) {
    return `no Chromium at ${CHROMIUM}: .ci/run installs Debian's "chromium" package when apt-get can; install it (or set EGOVCTL_CHROMIUM to a Chromium binary) to run the browser tests`;
  }
  return null;
}

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/** A desktop window, or (phone) a 375 px wide touch screen that honours the page's viewport meta. */
export async function launch(opts: { phone?: boolean } = {}): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const { chromium } = await import('playwright-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'egovctl-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    ...(opts.phone
      ? { viewport: { width: 375, height: 800 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }
      : { viewport: { width: 1100, height: 900 } }),
  });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface Opened {
  page: Page;
  /** every URL the page asked for */
  requests: string[];
  /** URLs other than the page's own file, which were refused */
  refused: string[];
}

/** Opens a file:// page; any request for anything but that file is refused and recorded. */
export async function openFile(context: BrowserContext, file: string, viewport?: { width: number; height: number }): Promise<Opened> {
  const url = new URL(`file://${path.resolve(file)}`).href;
  const page = await context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  const requests: string[] = [];
  const refused: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.route('**/*', (route) => {
    if (route.request().url() === url) return route.continue();
    refused.push(route.request().url());
    return route.abort();
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, requests, refused };
}
