import { sql } from 'kysely';
import type { Browser } from 'playwright-core';
import { GroupCommitUnitOfWork } from '../../src/adapters/postgres/group-commit-unit-of-work';
import { launchChromium } from './browser';
import { type RunningConsole, startConsole } from './console';
import { FICTITIOUS_CPR, gdprSlettetNotifikation, ordningsnotifikation } from './fixtures';
import { GDPR_PATH, ORDNINGS_PATH, post, startIntake } from './intake';
import { createTestDatabase, type TestDatabase } from './postgres';
import { deleteTopology, uniqueName } from './rabbitmq';
import { startRelayInProcess } from './relay';
import { TestIdentityProvider } from './tokens';

/** Markup that runs if a page puts it into the DOM unescaped: each sets `window.__xss` or alerts. */
export const XSS = {
  /** In `x-requestId` (printable ASCII, at most 46 characters). */
  requestId: '<img src=x onerror="window.__xss=1;alert(1)">',
  /** In jobCenterKode: the list, the entity, the routing key in the failure's error text. */
  jobCenterKode: '<script>window.__xss=2;alert(2)</script>',
  /** In the payload, shown only when revealed. */
  email: '"><img src=x onerror="window.__xss=3;alert(3)">',
  link: 'javascript:window.__xss=4;alert(4)',
  cvr: '<svg onload="window.__xss=5;alert(5)"></svg>',
} as const;

export const ENTITY = {
  /** Three messages, all delivered. */
  delivered: '3f2b8a4e-1c2d-4e5f-9a8b-7c6d5e4f3a2b',
  /** Its first message cannot be routed (jobcenter 20202 has no queue) and holds the second back. */
  blocked: '7a1e0c2d-3b4f-4a5e-8d6c-1f2e3d4c5b6a',
  /** One unroutable message, in the same failure group as the blocked entity's first. */
  failing: 'c4d5e6f7-0a1b-4c2d-9e3f-5a6b7c8d9e0f',
  /** The message whose fields carry markup. */
  hostile: 'e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b',
} as const;

/** The requestIds the tests look messages up by. */
export const REQUEST = {
  delivered: ['console-delivered-1', 'console-delivered-2', 'console-delivered-3'],
  blocker: 'console-blocker-1',
  blocked: 'console-blocked-2',
  failing: 'console-failing-1',
  notice: 'console-gdpr-1',
} as const;

export interface ConsoleWorld {
  readonly database: TestDatabase;
  readonly console: RunningConsole;
  readonly browser: Browser;
  /** messageId by requestId. */
  readonly messageIds: ReadonlyMap<string, string>;
  close(): Promise<void>;
}

/**
 * A fresh database filled the way production fills it: notifications posted to the real intake over
 * HTTP, the real relay publishing them to RabbitMQ (a queue bound to jobcenter 10101 only, so those
 * of 20202 come back unroutable and stay pending with a real last error); then the console as
 * `wsb-gateway console` wires it, on that database, and Debian's Chromium.
 */
export async function openConsoleWorld(): Promise<ConsoleWorld> {
  const database = await createTestDatabase('wsb_console');
  const exchange = uniqueName('wsb.test.console');
  const queue = uniqueName('wsb.test.console.q');
  let server: RunningConsole | undefined;
  let browser: Browser | undefined;
  try {
    await seed(database, exchange, queue);
    const messageIds = new Map(
      (await database.db.selectFrom('outbox').select(['request_id', 'message_id']).execute()).map((r) => [
        r.request_id,
        r.message_id,
      ]),
    );
    [server, browser] = await Promise.all([startConsole(database.url), launchChromium()]);
    const opened = { console: server, browser };
    return {
      database,
      ...opened,
      messageIds,
      close: async () => {
        await opened.browser.close();
        await opened.console.close();
        await database.drop();
      },
    };
  } catch (error) {
    await browser?.close();
    await server?.close();
    await database.drop();
    throw error;
  } finally {
    await deleteTopology(exchange, [queue]);
  }
}

async function seed(database: TestDatabase, exchange: string, queue: string): Promise<void> {
  const idp = await TestIdentityProvider.create();
  const token = await idp.token();
  const intake = await startIntake({
    unitOfWork: new GroupCommitUnitOfWork(database.db, { maxBatchSize: 100, maxConcurrentBatches: 4 }),
    authenticator: idp.authenticator(),
    exchange,
  });
  const accepted = async (path: string, requestId: string, body: unknown) => {
    const response = await post(intake.baseUrl, path, { token, requestId, body });
    if (response.status !== 200) throw new Error(`${requestId}: ${response.status} ${response.text}`);
  };
  try {
    for (const requestId of REQUEST.delivered) {
      await accepted(ORDNINGS_PATH, requestId, ordningsnotifikation({ eksternIdentifier: ENTITY.delivered }));
    }
    await accepted(
      ORDNINGS_PATH,
      REQUEST.blocker,
      ordningsnotifikation({ eksternIdentifier: ENTITY.blocked, jobCenterKode: '20202' }),
    );
    await accepted(
      ORDNINGS_PATH,
      REQUEST.blocked,
      ordningsnotifikation({ eksternIdentifier: ENTITY.blocked, erOprettelse: false }),
    );
    await accepted(
      ORDNINGS_PATH,
      REQUEST.failing,
      ordningsnotifikation({ eksternIdentifier: ENTITY.failing, jobCenterKode: '20202' }),
    );
    await accepted(
      ORDNINGS_PATH,
      XSS.requestId,
      ordningsnotifikation(
        { eksternIdentifier: ENTITY.hostile, jobCenterKode: XSS.jobCenterKode },
        { ansvarligMedarbejderEmail: XSS.email, vitasDybtLink: XSS.link, cvrNummer: XSS.cvr },
      ),
    );
    await accepted(
      GDPR_PATH,
      REQUEST.notice,
      gdprSlettetNotifikation(
        {},
        { cprNumre: [FICTITIOUS_CPR], slettedeExternalIdentifiers: [ENTITY.delivered] },
      ),
    );
  } finally {
    await intake.close();
  }

  const relay = await startRelayInProcess({
    db: database.db,
    exchange,
    queues: [{ name: queue, bindingKey: '*.10101', type: 'classic' }],
  });
  try {
    await until(async () => {
      const { rows } = await sql<{ delivered: string; failed: string }>`
        select count(*) filter (where status = 'delivered') as delivered,
               count(*) filter (where status = 'pending' and attempts > 0) as failed
          from outbox_audit`.execute(database.db);
      // The three of entity `delivered` and the notice; the two unroutable ones and the hostile one.
      return Number(rows[0]?.delivered) >= 4 && Number(rows[0]?.failed) >= 3;
    });
  } finally {
    await relay.stop();
  }
}

async function until(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('the relay did not settle the seeded messages in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
