import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/**
 * Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it), driven by playwright-core,
 * which ships no browser of its own. CHROMIUM_PATH points elsewhere.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // Chromium refuses its sandbox as root, which is how CI and these machines run the tests.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}

/** One viewport for every test, so the screenshots in docs/console/ are alike. */
export const VIEWPORT = { width: 1280, height: 800 };

export async function newContext(
  browser: Browser,
  options: { bypassCSP?: boolean } = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: VIEWPORT, bypassCSP: options.bypassCSP ?? false });
  // A missing element fails in seconds, not after Playwright's 30 s default.
  context.setDefaultTimeout(10_000);
  return context;
}

/**
 * Everything a page does that a test of escaping must see: dialogs (`alert`), a flag that an injected
 * handler sets (`window.__xss`), console errors and Content-Security-Policy violations (an inline script
 * or handler the policy stopped means markup from a message reached the page unescaped).
 */
export class PageWatch {
  readonly dialogs: string[] = [];
  readonly consoleErrors: string[] = [];
  readonly pageErrors: string[] = [];

  private constructor(private readonly page: Page) {}

  static async attach(page: Page): Promise<PageWatch> {
    const watch = new PageWatch(page);
    page.on('dialog', (dialog) => {
      watch.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void dialog.dismiss().catch(() => undefined);
    });
    page.on('console', (message) => {
      if (message.type() === 'error') watch.consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => watch.pageErrors.push(error.message));
    // Runs before any script of every document the page loads; CSP does not apply to it.
    await page.addInitScript({
      content: `window.__cspViolations = [];
        document.addEventListener('securitypolicyviolation', (e) =>
          window.__cspViolations.push(e.violatedDirective + ': ' + e.blockedURI + ' ' + e.sample));`,
    });
    return watch;
  }

  /** What ran on the current document that should not have: the flag and the CSP violations. */
  async inPage(): Promise<{ xss: unknown; cspViolations: string[] }> {
    return this.page.evaluate(
      '({ xss: window.__xss ?? null, cspViolations: window.__cspViolations ?? [] })',
    ) as Promise<{ xss: unknown; cspViolations: string[] }>;
  }
}

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly string[];
}

/**
 * Runs axe-core (WCAG 2.x A and AA rules and best practices) in the page and returns its serious and
 * critical violations. It is evaluated over the DevTools protocol, so the page's CSP, which allows
 * no inline script, does not stop it.
 */
export async function seriousAccessibilityViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = (await page.evaluate(`axe
    .run(document, { resultTypes: ['violations'] })
    .then((result) => result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => JSON.stringify(n.target)),
    })))`)) as AxeViolation[];
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/**
 * Where screenshots go: docs/console/ when CONSOLE_SCREENSHOTS=docs (`npm run docs:console`), else a
 * folder under the system's temporary directory, so `npm test` leaves the work tree as it was.
 */
export function screenshotFolder(tmp: string): string {
  const folder =
    process.env.CONSOLE_SCREENSHOTS === 'docs' ? path.resolve(__dirname, '../../docs/console') : tmp;
  mkdirSync(folder, { recursive: true });
  return folder;
}
