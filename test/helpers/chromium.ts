/**
 * Headless Chromium for tests that check a web page as a user sees it (the Temporal UI, dxp's HTML
 * reports): Debian's `chromium`, installed by `npm run setup`, driven by playwright-core (which
 * downloads no browser). A missing browser fails the test with how to install it; it never skips.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function requireChromium(): string {
  const path = process.env.DXP_CHROMIUM ?? CANDIDATES.find((p) => existsSync(p));
  if (path && existsSync(path)) return path;
  throw new Error(
    `Chromium not found${process.env.DXP_CHROMIUM ? ` at DXP_CHROMIUM=${process.env.DXP_CHROMIUM}` : ` (looked in ${CANDIDATES.join(', ')})`}. ` +
      'Run `npm run setup` as root (it installs Debian\'s chromium), or `apt-get install chromium`, or set DXP_CHROMIUM to a Chromium or Chrome binary.',
  );
}

export function launchChromium(): Promise<Browser> {
  // --no-sandbox: Chromium's own sandbox refuses to start as root, which CI runs as.
  return chromium.launch({ executablePath: requireChromium(), headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}
