import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { newContext, seriousAccessibilityViolations } from '../../support/browser';
import { type ConsoleRole, fingerprintsOf, signIn } from '../../support/console-browser';
import { type ConsoleWorld, ENTITY, REQUEST } from '../../support/console-world';

/** axe-core in Chromium on every page, signed out and in each role: no serious or critical violation. */
export function accessibility(world: () => ConsoleWorld): void {
  describe('accessibility (axe-core)', () => {
    const pagesOf = async (page: Page, base: string) => {
      const ids = world().messageIds;
      const [fingerprint] = await fingerprintsOf(page, base);
      return [
        '/',
        '/messages',
        `/messages?requestId=${REQUEST.blocked}`,
        `/messages/${ids.get(REQUEST.blocker)}`,
        `/messages/${ids.get(REQUEST.delivered[0])}`,
        `/entities/${ENTITY.blocked}`,
        '/failures',
        ...(fingerprint === undefined ? [] : [`/failures/${fingerprint}`]),
        '/actions',
        '/gdpr',
      ];
    };

    it('finds none on the sign-in page', async () => {
      const context = await newContext(world().browser);
      try {
        const page = await context.newPage();
        await page.goto(`${world().console.baseUrl}/login`);
        expect(await seriousAccessibilityViolations(page)).to.deep.equal([]);
      } finally {
        await context.close();
      }
    });

    for (const role of ['operator', 'auditor'] as ConsoleRole[]) {
      it(`finds none on any page as ${role}`, async () => {
        const context = await newContext(world().browser);
        try {
          const page = await context.newPage();
          const base = world().console.baseUrl;
          await signIn(page, base, role);
          const found: Record<string, unknown> = {};
          for (const url of await pagesOf(page, base)) {
            const response = await page.goto(`${base}${url}`);
            if (response?.status() !== 200) {
              found[url] = `HTTP ${response?.status()}`;
              continue;
            }
            const violations = await seriousAccessibilityViolations(page);
            if (violations.length > 0) found[url] = violations;
          }
          expect(found).to.deep.equal({});
        } finally {
          await context.close();
        }
      });
    }
  });
}
