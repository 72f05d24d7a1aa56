// A real browser for tests: playwright-core driving the machine's Chromium (Debian's
// `chromium` package; .ci/run installs it). Where none is installed, browser tests are
// skipped with a loud message instead of failing on a missing binary.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** CHROMIUM_PATH, else the first Chromium found in the usual places, else null. */
export function chromiumPath(): string | null {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : null;
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/** Says loudly why browser tests do not run; returns whether they can. */
export function browserAvailable(suite: string): boolean {
  if (chromiumPath()) return true;
  const line = '!'.repeat(100);
  console.warn(`\n${line}\n!! ${suite}: SKIPPED — no Chromium on this machine (looked at CHROMIUM_PATH and ${CANDIDATES.join(', ')}).\n!! Install it with \`apt-get install -y chromium\` (.ci/run does) to run the browser tests.\n${line}\n`);
  return false;
}

export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error('no Chromium: call browserAvailable() first');
  // --no-sandbox: CI runs as root, where Chromium's own sandbox refuses to start.
  return chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/** Where browser tests keep their screenshots (kept after the run, ignored by git). */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../test-artifacts/screenshots/', import.meta.url));

/** Docs screenshots are refreshed from test runs with LANES_DOC_SCREENSHOTS=1. */
export const DOCS_IMAGE_DIR = fileURLToPath(new URL('../../docs/images/', import.meta.url));

export function screenshotPaths(name: string): string[] {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const paths = [join(SCREENSHOT_DIR, `${name}.png`)];
  if (process.env.LANES_DOC_SCREENSHOTS === '1') {
    mkdirSync(DOCS_IMAGE_DIR, { recursive: true });
    paths.push(join(DOCS_IMAGE_DIR, `${name}.png`));
  }
  return paths;
}
