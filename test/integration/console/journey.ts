import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { newContext, screenshotFolder } from '../../support/browser';
import { signIn, submit } from '../../support/console-browser';
import { deliveryState, loggedActions } from '../../support/console-state';
import { type ConsoleWorld, ENTITY, REQUEST } from '../../support/console-world';
import { FICTITIOUS_CPR } from '../../support/fixtures';

const REVEAL_REASON = 'Case 2026-4711: the jobcenter asks what was sent';
const GROUP_REPLAY_REASON = 'Queue for jobcenter 20202 bound again';
const PARK_REASON = 'Hold until the jobcenter confirms the case';
const SUBJECT_ACCESS_REASON = 'Subject access request 2026-17';

/**
 * An operator's day: sign in, find a message by requestId, open its entity, reveal a payload with a
 * reason, replay a failure group after its preview, park a message, run a subject-access search,
 * and find every one of those in the action log. Takes the screenshots docs/console.md shows.
 */
export function journey(world: () => ConsoleWorld): void {
  describe("an operator's journey", () => {
    let context: BrowserContext;
    let page: Page;
    let base: string;
    const shots = screenshotFolder(mkdtempSync(path.join(tmpdir(), 'wsb-console-')));
    const shoot = (name: string) =>
      page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
    const idOf = (requestId: string) => {
      const id = world().messageIds.get(requestId);
      if (id === undefined) throw new Error(`no message ${requestId}`);
      return id;
    };

    before(async () => {
      base = world().console.baseUrl;
      context = await newContext(world().browser);
      page = await context.newPage();
    });

    after(async () => {
      await context.close();
    });

    it('sends a visitor without a session to /login, which offers both roles in development mode', async () => {
      const response = await page.goto(`${base}/messages`);
      expect(new URL(page.url()).pathname).to.equal('/login');
      expect(response?.status()).to.equal(200);
      expect(await page.locator('form[action="/login/dev"]').count()).to.be.greaterThan(0);
      expect((await page.textContent('body'))?.toLowerCase()).to.contain('development mode');
      await shoot('login');
    });

    it('signs in as operator onto the overview, with a session cookie that scripts cannot read', async () => {
      await signIn(page, base, 'operator');
      await page.goto(`${base}/`);
      const text = (await page.textContent('body')) ?? '';
      expect(text.toLowerCase()).to.contain('development mode');
      // A short history is counted: the figure is exact, not "about" an estimate.
      expect(await page.locator('#fig-delivered').textContent()).to.match(/^\s*\d+\s*$/);
      expect(await page.locator('#delivered-estimated').count()).to.equal(0);
      const cookies = await context.cookies(base);
      expect(cookies.length, 'a session cookie').to.be.greaterThan(0);
      for (const cookie of cookies) {
        expect(cookie.httpOnly, `${cookie.name} HttpOnly`).to.equal(true);
        expect(cookie.sameSite, `${cookie.name} SameSite`).to.equal('Strict');
      }
      await shoot('overview');
    });

    it('finds a message by requestId with the search form, on a URL that can be bookmarked', async () => {
      await page.goto(`${base}/messages`);
      await shoot('messages');
      await page.locator('input[name="requestId"]').fill(REQUEST.blocked);
      await page.locator('input[name="requestId"]').press('Enter');
      await page.waitForURL((url) => url.searchParams.get('requestId') === REQUEST.blocked);
      const link = page.locator(`a[href="/messages/${idOf(REQUEST.blocked)}"]`).first();
      expect(await link.count()).to.equal(1);
      expect(await page.locator(`a[href="/messages/${idOf(REQUEST.blocker)}"]`).count()).to.equal(0);
      await link.click();
      await page.waitForURL(`${base}/messages/${idOf(REQUEST.blocked)}`);
      expect(await page.textContent('body')).to.contain(REQUEST.blocked);
    });

    it("opens the message's entity, which shows the message that holds the rest back", async () => {
      await page.locator(`a[href="/entities/${ENTITY.blocked}"]`).first().click();
      await page.waitForURL(`${base}/entities/${ENTITY.blocked}`);
      const text = (await page.textContent('main')) ?? '';
      const blocker = text.indexOf(idOf(REQUEST.blocker));
      const blocked = text.lastIndexOf(idOf(REQUEST.blocked));
      expect(blocker, 'the blocker is named').to.be.greaterThan(-1);
      expect(blocked, 'acceptance order: the blocker first').to.be.greaterThan(blocker);
      expect(text.replace(/\s+/g, ' ')).to.contain(`Holding the rest back: ${idOf(REQUEST.blocker)}`);
      expect(text).to.contain(`waits for ${idOf(REQUEST.blocker)}`);
      await shoot('entity');
    });

    it('shows a payload only after the operator reveals it with a reason', async () => {
      const id = idOf(REQUEST.blocker);
      await page.goto(`${base}/messages/${id}`);
      const before = (await page.textContent('body')) ?? '';
      expect(before, 'payload hidden').to.not.contain('vitas.example/sag/4711');
      expect(before, 'CPR number not whole').to.not.contain(FICTITIOUS_CPR);
      await shoot('message');
      await submit(page, page.locator(`form[action="/messages/${id}/reveal"]`), { reason: REVEAL_REASON });
      const after = (await page.textContent('body')) ?? '';
      expect(after).to.contain('https://vitas.example/sag/4711');
      expect(after).to.contain(FICTITIOUS_CPR);
      await shoot('message-revealed');
    });

    it('replays a failure group after a preview of how many messages it touches', async () => {
      const members = [idOf(REQUEST.blocker), idOf(REQUEST.failing)];
      const before = await Promise.all(members.map((id) => deliveryState(world().database, id)));
      await page.goto(`${base}/failures`);
      await shoot('failures');
      const group = page
        .locator('tr')
        .filter({ hasText: 'no queue is bound' })
        .filter({ hasNotText: '<script>' })
        .last();
      await group.locator('a[href^="/failures/"], button').first().click();
      const form = page.locator('form[action$="/replay"]').first();
      await form.waitFor();
      expect(await form.locator('[name="expected"]').inputValue()).to.equal('2');
      expect((await page.textContent('body')) ?? '').to.contain('2');
      await shoot('failure-preview');
      await submit(page, form, { reason: GROUP_REPLAY_REASON });
      const after = await Promise.all(members.map((id) => deliveryState(world().database, id)));
      after.forEach((state, i) => {
        expect(state.status).to.equal('pending');
        expect(state.next_attempt_at, 'due again').to.not.deep.equal(before[i]!.next_attempt_at);
      });
    });

    it('parks one message with a reason', async () => {
      const id = idOf(REQUEST.failing);
      await page.goto(`${base}/messages/${id}`);
      await submit(page, page.locator(`form[action="/messages/${id}/park"]`), { reason: PARK_REASON });
      expect((await deliveryState(world().database, id)).status).to.equal('parked');
    });

    it('runs a subject-access search by CPR number with a reason', async () => {
      await page.goto(`${base}/gdpr`);
      await submit(page, page.locator('form[action="/gdpr/subject-access"]'), {
        cpr: FICTITIOUS_CPR,
        reason: SUBJECT_ACCESS_REASON,
      });
      const text = (await page.textContent('body')) ?? '';
      expect(text, 'a delivered message that names the CPR number').to.contain(REQUEST.delivered[0]);
      expect(text, 'the erasure notice').to.contain(REQUEST.notice);
      await shoot('gdpr');
    });

    it('shows all of it in the action log, with who, why and what', async () => {
      await page.goto(`${base}/actions`);
      const text = (await page.textContent('body')) ?? '';
      for (const reason of [REVEAL_REASON, GROUP_REPLAY_REASON, PARK_REASON, SUBJECT_ACCESS_REASON]) {
        expect(text).to.contain(reason);
      }
      expect(text).to.contain('dev:operator');
      await shoot('actions');
      const logged = await loggedActions(world().database);
      expect(logged.map((a) => [a.action, a.actor, a.reason])).to.deep.include.members([
        ['reveal', 'dev:operator', REVEAL_REASON],
        ['replay', 'dev:operator', GROUP_REPLAY_REASON],
        ['park', 'dev:operator', PARK_REASON],
        ['subject-access', 'dev:operator', SUBJECT_ACCESS_REASON],
      ]);
    });

    it('signs out, ending the session on the server', async () => {
      const cookies = await context.cookies(base);
      const signOut = page.locator('form[action="/logout"] [type="submit"]').first();
      await signOut.click();
      await page.waitForURL((url) => url.pathname === '/login' || url.pathname === '/');
      // The old cookie, replayed, no longer opens anything.
      const replayed = await world().browser.newContext();
      try {
        await replayed.addCookies(cookies);
        const again = await replayed.newPage();
        await again.goto(`${base}/actions`);
        expect(new URL(again.url()).pathname).to.equal('/login');
      } finally {
        await replayed.close();
      }
    });
  });
}
