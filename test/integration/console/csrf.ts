import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { newContext } from '../../support/browser';
import { csrfTokenOf, fingerprintsOf, postForm, signIn } from '../../support/console-browser';
import { deliveryState, loggedActions } from '../../support/console-state';
import { type ConsoleWorld, REQUEST } from '../../support/console-world';
import { FICTITIOUS_CPR } from '../../support/fixtures';

/**
 * An operator's session, and POSTs that carry no CSRF token, a wrong one, or one from another
 * session: each gets 403 and changes nothing.
 */
export function csrf(world: () => ConsoleWorld): void {
  describe('CSRF', () => {
    let context: BrowserContext;
    let page: Page;
    let base: string;
    let otherSessionToken: string;

    before(async () => {
      base = world().console.baseUrl;
      const other = await newContext(world().browser);
      try {
        const otherPage = await other.newPage();
        await signIn(otherPage, base, 'operator');
        await otherPage.goto(`${base}/gdpr`);
        otherSessionToken = await csrfTokenOf(otherPage);
      } finally {
        await other.close();
      }
      context = await newContext(world().browser);
      page = await context.newPage();
      await signIn(page, base, 'operator');
    });

    after(async () => {
      await context.close();
    });

    it('refuses every state-changing POST without a valid token with 403, and nothing changes', async () => {
      await page.goto(`${base}/gdpr`);
      const valid = await csrfTokenOf(page);
      const target = world().messageIds.get(REQUEST.blocked) ?? '';
      const [fingerprint] = await fingerprintsOf(page, base);
      expect(fingerprint, 'a failure group').to.not.equal(undefined);
      const before = await deliveryState(world().database, target);
      const logged = (await loggedActions(world().database)).length;
      const actions: Array<[string, Record<string, string>]> = [
        [`/messages/${target}/park`, { reason: 'csrf test' }],
        [`/messages/${target}/replay`, { reason: 'csrf test' }],
        [`/messages/${target}/reveal`, { reason: 'csrf test' }],
        [`/failures/${fingerprint}/park`, { reason: 'csrf test', expected: '1' }],
        [`/failures/${fingerprint}/replay`, { reason: 'csrf test', expected: '1' }],
        ['/gdpr/subject-access', { cpr: FICTITIOUS_CPR, reason: 'csrf test' }],
      ];
      const wrongTokens: Array<[string, Record<string, string>]> = [
        ['no token', {}],
        ['an empty token', { _csrf: '' }],
        ['a wrong token', { _csrf: `${valid.slice(0, -2)}xx` }],
        ["another session's token", { _csrf: otherSessionToken }],
      ];
      for (const [url, fields] of actions) {
        for (const [what, token] of wrongTokens) {
          const response = await postForm(page, `${base}${url}`, { ...fields, ...token });
          expect(response.status(), `${url} with ${what}`).to.equal(403);
        }
        const header = await page.request.post(`${base}${url}`, {
          form: fields,
          headers: { 'x-csrf-token': 'not-the-token' },
          maxRedirects: 0,
          failOnStatusCode: false,
        });
        expect(header.status(), `${url} with a wrong x-csrf-token header`).to.equal(403);
      }
      expect(await deliveryState(world().database, target)).to.deep.equal(before);
      expect((await loggedActions(world().database)).length, 'nothing logged').to.equal(logged);
    });

    it('accepts the same POST with the valid token (so the 403s above were the token)', async () => {
      await page.goto(`${base}/gdpr`);
      const target = world().messageIds.get(REQUEST.blocked) ?? '';
      const response = await postForm(page, `${base}/messages/${target}/park`, {
        reason: 'csrf test: the valid token',
        _csrf: await csrfTokenOf(page),
      });
      expect(response.status()).to.be.within(300, 399);
      expect((await deliveryState(world().database, target)).status).to.equal('parked');
      const replayed = await postForm(page, `${base}/messages/${target}/replay`, {
        reason: 'csrf test: undo the park',
        _csrf: await csrfTokenOf(page),
      });
      expect(replayed.status()).to.be.within(300, 399);
      expect((await deliveryState(world().database, target)).status).to.equal('pending');
    });
  });
}
