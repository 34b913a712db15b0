import { AxeBuilder } from '@axe-core/playwright';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * The machine's own Chromium (Debian's package), never a downloaded one: CHROMIUM_PATH, else
 * whatever `chromium` (or `chromium-browser`) is on PATH.
 */
export function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const found = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (found) return found;
    } catch {
      // not this one
    }
  }
  throw new Error('no Chromium found: install Debian\'s chromium package or set CHROMIUM_PATH');
}

export async function launchBrowser(): Promise<Browser> {
  // --no-sandbox: CI and these machines run the tests as root, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** Where a suite's screenshots go: test-artifacts/<suite>/ of the checkout (git-ignored). */
export function artifactsDir(suite: string): string {
  const dir = path.join(__dirname, '..', '..', 'test-artifacts', suite);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** axe-core's WCAG 2 A and AA rules on the page as it is now: the violations, in words. */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  return results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}
