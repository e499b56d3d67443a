import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { newContext } from '../../support/browser';
import { csrfTokenOf, fingerprintsOf, postForm, signIn, submit } from '../../support/console-browser';
import { deliveryState, loggedActions } from '../../support/console-state';
import { type ConsoleWorld, ENTITY, REQUEST } from '../../support/console-world';
import { FICTITIOUS_CPR } from '../../support/fixtures';

const OPERATOR_FORMS = 'form[action$="/replay"], form[action$="/park"], form[action$="/reveal"]';

/**
 * The auditor reads every page but is refused every operator action on the server: the forms are
 * absent, and the same POSTs sent directly, with the session's valid CSRF token, get 403 and change
 * nothing.
 */
export function roles(world: () => ConsoleWorld): void {
  describe('the auditor', () => {
    let context: BrowserContext;
    let page: Page;
    let base: string;
    const idOf = (requestId: string) => world().messageIds.get(requestId) ?? '';

    before(async () => {
      base = world().console.baseUrl;
      context = await newContext(world().browser);
      page = await context.newPage();
      await signIn(page, base, 'auditor');
    });

    after(async () => {
      await context.close();
    });

    it('reads every page, none of which offers an operator action', async () => {
      const pages = [
        '/',
        '/messages',
        `/messages?requestId=${REQUEST.blocked}`,
        `/messages/${idOf(REQUEST.blocker)}`,
        `/entities/${ENTITY.blocked}`,
        '/failures',
        '/actions',
        '/gdpr',
      ];
      for (const url of pages) {
        const response = await page.goto(`${base}${url}`);
        expect(response?.status(), url).to.equal(200);
        expect(new URL(page.url()).pathname, url).to.equal(new URL(`${base}${url}`).pathname);
        expect(await page.locator(OPERATOR_FORMS).count(), `operator forms on ${url}`).to.equal(0);
      }
    });

    it('sees no payload and no whole CPR number on a message page', async () => {
      await page.goto(`${base}/messages/${idOf(REQUEST.delivered[0])}`);
      const text = (await page.textContent('body')) ?? '';
      expect(text).to.not.contain('vitas.example/sag/4711');
      expect(text).to.not.contain(FICTITIOUS_CPR);
    });

    it('is refused each operator action with 403, and nothing changes', async () => {
      await page.goto(`${base}/gdpr`);
      const csrf = await csrfTokenOf(page);
      const target = idOf(REQUEST.blocked);
      const before = await deliveryState(world().database, target);
      const logged = (await loggedActions(world().database)).length;
      const fingerprints = await fingerprintsOf(page, base);
      const posts: Array<[string, Record<string, string>]> = [
        [`/messages/${target}/replay`, { reason: 'auditor tries', _csrf: csrf }],
        [`/messages/${target}/park`, { reason: 'auditor tries', _csrf: csrf }],
        [`/messages/${target}/reveal`, { reason: 'auditor tries', _csrf: csrf }],
        ...fingerprints.flatMap((fingerprint): Array<[string, Record<string, string>]> => [
          [`/failures/${fingerprint}/replay`, { reason: 'auditor tries', expected: '1', _csrf: csrf }],
          [`/failures/${fingerprint}/park`, { reason: 'auditor tries', expected: '1', _csrf: csrf }],
        ]),
      ];
      expect(fingerprints.length, 'failure groups to try').to.be.greaterThan(0);
      for (const [url, form] of posts) {
        const response = await postForm(page, `${base}${url}`, form);
        expect(response.status(), url).to.equal(403);
      }
      expect(await deliveryState(world().database, target)).to.deep.equal(before);
      expect((await loggedActions(world().database)).length, 'nothing logged').to.equal(logged);
      await page.goto(`${base}/messages/${target}`);
      expect((await page.textContent('body')) ?? '', 'no payload revealed').to.not.contain('vitas.example');
    });

    it('may run a subject-access search, which the log records as the auditor', async () => {
      await page.goto(`${base}/gdpr`);
      await submit(page, page.locator('form[action="/gdpr/subject-access"]'), {
        cpr: FICTITIOUS_CPR,
        reason: 'Auditor: subject access request 2026-18',
      });
      expect((await page.textContent('body')) ?? '').to.contain(REQUEST.delivered[0]);
      const logged = await loggedActions(world().database);
      expect(logged.at(-1)).to.include({
        action: 'subject-access',
        actor: 'dev:auditor',
        reason: 'Auditor: subject access request 2026-18',
      });
    });
  });
}
