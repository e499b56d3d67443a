import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { newContext, PageWatch } from '../../support/browser';
import { signIn, submit } from '../../support/console-browser';
import { type ConsoleWorld, ENTITY, XSS } from '../../support/console-world';

/** Elements the hostile values would make if they reached the DOM as markup. */
const INJECTED =
  'img[src="x"], svg[onload], script:not([src]):not([type="application/json"]), [onerror], [onload], a[href^="javascript:"]';

/**
 * A message posted through the real intake carries `<script>` and `<img onerror>` in its requestId,
 * its jobCenterKode (and so its routing key and its last error) and its payload. Every page that shows
 * it shows the markup as text, and nothing runs: no dialog, no flag set, no CSP violation.
 *
 * Twice: with the page's Content-Security-Policy bypassed, so an unescaped handler would actually run
 * and the test sees the escaping alone; and with it enforced, where any violation would mean markup
 * got through and the policy stopped it.
 */
export function escaping(world: () => ConsoleWorld): void {
  describe('values from a message are text, never markup', () => {
    const hostile = () => world().messageIds.get(XSS.requestId) ?? '';
    const pages = () => [
      '/',
      '/messages',
      `/messages?requestId=${encodeURIComponent(XSS.requestId)}`,
      `/messages?jobcenterKode=${encodeURIComponent(XSS.jobCenterKode)}`,
      `/messages/${hostile()}`,
      `/entities/${ENTITY.hostile}`,
      '/failures',
      '/actions',
      '/gdpr',
    ];

    const visitAll = async (page: Page, watch: PageWatch, base: string) => {
      // Reveal the hostile payload first, so the message page shows it and the log names it.
      await page.goto(`${base}/messages/${hostile()}`);
      await submit(page, page.locator(`form[action="/messages/${hostile()}/reveal"]`), {
        reason: 'Escaping test: <b>reason</b> as text',
      });
      const shown: string[] = [];
      for (const url of pages()) {
        await page.goto(`${base}${url}`);
        expect(await page.locator(INJECTED).count(), `injected elements on ${url}`).to.equal(0);
        const ran = await watch.inPage();
        expect(ran.xss, `flag set on ${url}`).to.equal(null);
        expect(ran.cspViolations, `CSP violations on ${url}`).to.deep.equal([]);
        shown.push((await page.textContent('body')) ?? '');
      }
      expect(watch.dialogs, 'dialogs').to.deep.equal([]);
      expect(watch.pageErrors, 'page errors').to.deep.equal([]);
      expect(
        watch.consoleErrors.filter((e) => /Content Security Policy|Refused to/i.test(e)),
        'CSP reports in the console',
      ).to.deep.equal([]);
      return shown.join('\n');
    };

    it('shows the markup as text on every page, with the CSP bypassed, and nothing runs', async () => {
      const context = await newContext(world().browser, { bypassCSP: true });
      try {
        const page = await context.newPage();
        const watch = await PageWatch.attach(page);
        const base = world().console.baseUrl;
        await signIn(page, base, 'operator');
        const shown = await visitAll(page, watch, base);
        for (const value of [XSS.requestId, XSS.jobCenterKode])
          expect(shown, 'shown as text').to.contain(value);
        // The revealed payload is shown as JSON text, so its quotes come escaped.
        for (const value of [XSS.email, XSS.cvr, XSS.link]) {
          expect(shown, 'payload shown as text').to.contain(JSON.stringify(value));
        }
        expect(shown).to.contain('<b>reason</b>');
      } finally {
        await context.close();
      }
    });

    it('breaks no rule of the Content-Security-Policy on any page', async () => {
      const context = await newContext(world().browser);
      try {
        const page = await context.newPage();
        const watch = await PageWatch.attach(page);
        const base = world().console.baseUrl;
        await signIn(page, base, 'operator');
        await visitAll(page, watch, base);
      } finally {
        await context.close();
      }
    });
  });
}
