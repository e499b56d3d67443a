import { expect } from 'chai';
import {
  AcceptNotification,
  type AcceptNotificationCommand,
  type AcceptNotificationResult,
} from '../../../../src/application/intake/accept-notification';
import {
  type IdGenerator,
  type OutboxMessage,
  StorageUnavailableError,
  type TransactionalRepositories,
  type UnitOfWork,
} from '../../../../src/application/intake/ports';
import { FixedClock } from '../../../support/fakes/fixed-clock';
import { InMemoryOutbox } from '../../../support/fakes/in-memory-outbox';
import { type CodeLists, codeListsFromFile, UNCHECKED_CODE_LISTS } from '../../../../src/domain/code-lists';
import type { MessageKind } from '../../../../src/domain/notification';
import type { RequestId } from '../../../../src/domain/request-id';
import { gdprSlettetNotifikation, ordningsnotifikation } from '../../../support/fixtures';

class SequentialIds implements IdGenerator {
  private next = 1;
  uuid(): string {
    return `00000000-0000-4000-8000-${String(this.next++).padStart(12, '0')}`;
  }
}

/** Counts how often the use case opens a unit of work, to prove invalid requests never do. */
class CountingUnitOfWork implements UnitOfWork {
  runs = 0;
  constructor(private readonly inner: UnitOfWork) {}
  run<T>(work: (repositories: TransactionalRepositories) => Promise<T>): Promise<T> {
    this.runs++;
    return this.inner.run(work);
  }
}

const EXCHANGE = 'virksomhedsordning.webservicebesked';
const RECEIVED_AT = new Date('2025-03-01T12:00:00.000Z');

describe('application/AcceptNotification', () => {
  let outbox: InMemoryOutbox;
  let unitOfWork: CountingUnitOfWork;
  let clock: FixedClock;
  let ids: SequentialIds;

  function useCase(codeLists: CodeLists = UNCHECKED_CODE_LISTS, uow: UnitOfWork = unitOfWork) {
    return new AcceptNotification(codeLists, uow, clock, ids, { exchange: EXCHANGE });
  }

  function command(kind: MessageKind, requestId: string, body: unknown): AcceptNotificationCommand {
    return { kind, requestId: requestId as RequestId, body, clientId: 'vitas-test-client' };
  }

  function violationsOf(result: AcceptNotificationResult) {
    if (result._tag !== 'InvalidNotification')
      throw new Error(`expected InvalidNotification, got ${result._tag}`);
    return result.violations;
  }

  beforeEach(() => {
    outbox = new InMemoryOutbox();
    unitOfWork = new CountingUnitOfWork(outbox.unitOfWork);
    clock = new FixedClock(RECEIVED_AT);
    ids = new SequentialIds();
  });

  describe('an accepted Ordningsnotifikation', () => {
    it('is appended as one row with every field of the outbox message', async () => {
      const body = ordningsnotifikation(
        { eksternIdentifier: '3F2B8A4E-1C2D-4E5F-9A8B-7C6D5E4F3A2B', ukendtKuvert: true },
        { jobtilbud: '17', ukendtFelt: 'x' },
      );
      const result = await useCase().execute({
        ...command('Ordningsnotifikation', 'req-accept-1', body),
        clientCertSubject: 'CN=vitas-test',
      });
      expect(result).to.deep.equal({ _tag: 'Accepted', messageId: '00000000-0000-4000-8000-000000000001' });
      const expectedPayload = ordningsnotifikation(
        { eksternIdentifier: '3F2B8A4E-1C2D-4E5F-9A8B-7C6D5E4F3A2B' },
        { jobtilbud: 17 },
      );
      const expected: OutboxMessage = {
        messageId: '00000000-0000-4000-8000-000000000001',
        requestId: 'req-accept-1' as RequestId,
        kind: 'Ordningsnotifikation',
        eksternIdentifier: '3f2b8a4e-1c2d-4e5f-9a8b-7c6d5e4f3a2b',
        jobCenterKode: '10101',
        registreringsDato: new Date('2025-03-01T09:15:30.000Z'),
        aendringstype: 'Oprettelse',
        clientId: 'vitas-test-client',
        clientCertSubject: 'CN=vitas-test',
        receivedAt: RECEIVED_AT,
        exchange: EXCHANGE,
        routingKey: 'ordningsnotifikation.10101',
        payload: expectedPayload,
      };
      expect(outbox.rows).to.deep.equal([expected]);
    });

    it('keeps the uuid as sent in the payload, lower-cased only in the row', async () => {
      const upper = '3F2B8A4E-1C2D-4E5F-9A8B-7C6D5E4F3A2B';
      await useCase().execute(
        command('Ordningsnotifikation', 'req-case-1', ordningsnotifikation({ eksternIdentifier: upper })),
      );
      const row = outbox.rows[0] as OutboxMessage;
      expect(row.eksternIdentifier).to.equal(upper.toLowerCase());
      expect(
        (row.payload as ReturnType<typeof ordningsnotifikation>).ordningsnotifikation.eksternIdentifier,
      ).to.equal(upper);
    });

    it('is Opdatering when erOprettelse is false', async () => {
      await useCase().execute(
        command('Ordningsnotifikation', 'req-edit-1', ordningsnotifikation({ erOprettelse: false })),
      );
      expect(outbox.rows[0]?.aendringstype).to.equal('Opdatering');
    });

    it('reads registreringsDato without an offset as Danish time', async () => {
      await useCase().execute(
        command(
          'Ordningsnotifikation',
          'req-local-1',
          ordningsnotifikation({ registreringsDato: '2025-07-01T12:00:00' }),
        ),
      );
      expect(outbox.rows[0]?.registreringsDato.toISOString()).to.equal('2025-07-01T10:00:00.000Z');
    });

    it('records the clock time as receivedAt and a fresh id per message', async () => {
      await useCase().execute(command('Ordningsnotifikation', 'req-a', ordningsnotifikation()));
      clock.current = new Date('2025-03-01T12:00:01.000Z');
      await useCase().execute(command('Ordningsnotifikation', 'req-b', ordningsnotifikation()));
      expect(outbox.rows.map((r) => [r.messageId, r.receivedAt.toISOString()])).to.deep.equal([
        ['00000000-0000-4000-8000-000000000001', '2025-03-01T12:00:00.000Z'],
        ['00000000-0000-4000-8000-000000000002', '2025-03-01T12:00:01.000Z'],
      ]);
    });
  });

  describe('an accepted GdprSlettetNotifikation', () => {
    it('is appended with aendringstype Sletning and its own routing key', async () => {
      const body = gdprSlettetNotifikation({ jobCenterKode: '20202' }, { virksomhedsordningSkabelon: '3' });
      const result = await useCase().execute(command('GdprSlettetNotifikation', 'req-gdpr-1', body));
      expect(result._tag).to.equal('Accepted');
      const row = outbox.rows[0] as OutboxMessage;
      expect(row.kind).to.equal('GdprSlettetNotifikation');
      expect(row.aendringstype).to.equal('Sletning');
      expect(row.routingKey).to.equal('gdprslettetnotifikation.20202');
      expect(row.exchange).to.equal(EXCHANGE);
      expect(row.eksternIdentifier).to.equal('9d1c2b3a-4e5f-4a6b-8c7d-0e1f2a3b4c5d');
      expect(row.registreringsDato.toISOString()).to.equal('2025-03-02T08:00:00.000Z');
      expect(row.clientCertSubject).to.equal(undefined);
      expect(row.payload).to.deep.equal(gdprSlettetNotifikation({ jobCenterKode: '20202' }));
    });
  });

  describe('a duplicate requestId', () => {
    it('is DuplicateRequestId and writes nothing, on the same endpoint', async () => {
      await useCase().execute(command('Ordningsnotifikation', 'req-dup-1', ordningsnotifikation()));
      const again = await useCase().execute(
        command('Ordningsnotifikation', 'req-dup-1', ordningsnotifikation({ erOprettelse: false })),
      );
      expect(again).to.deep.equal({ _tag: 'DuplicateRequestId' });
      expect(outbox.rows).to.have.length(1);
      expect(outbox.rows[0]?.aendringstype).to.equal('Oprettelse');
    });

    it('is DuplicateRequestId across the two endpoints', async () => {
      await useCase().execute(command('GdprSlettetNotifikation', 'req-dup-2', gdprSlettetNotifikation()));
      const again = await useCase().execute(
        command('Ordningsnotifikation', 'req-dup-2', ordningsnotifikation()),
      );
      expect(again._tag).to.equal('DuplicateRequestId');
      expect(outbox.rows.map((r) => r.kind)).to.deep.equal(['GdprSlettetNotifikation']);
    });

    it('gives exactly one Accepted for concurrent requests with one requestId', async () => {
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          useCase().execute(command('Ordningsnotifikation', 'req-race-1', ordningsnotifikation())),
        ),
      );
      expect(results.filter((r) => r._tag === 'Accepted')).to.have.length(1);
      expect(results.filter((r) => r._tag === 'DuplicateRequestId')).to.have.length(9);
      expect(outbox.rows).to.have.length(1);
    });
  });

  describe('an invalid notification', () => {
    it('is InvalidNotification with its violations, opens no unit of work and writes nothing', async () => {
      const result = await useCase().execute(
        command(
          'Ordningsnotifikation',
          'req-bad-1',
          ordningsnotifikation({ eksternIdentifier: 'x' }, { cvrNummer: '' }),
        ),
      );
      expect(violationsOf(result).map((v) => [v.path, v.fejlkode])).to.deep.equal([
        ['ordningsnotifikation.eksternIdentifier', 1014],
        ['ordningsnotifikation.body.cvrNummer', 1014],
      ]);
      expect(unitOfWork.runs).to.equal(0);
      expect(outbox.rows).to.deep.equal([]);
    });

    it('does not use up its requestId', async () => {
      await useCase().execute(command('Ordningsnotifikation', 'req-retry-1', { ordningsnotifikation: {} }));
      const retry = await useCase().execute(
        command('Ordningsnotifikation', 'req-retry-1', ordningsnotifikation()),
      );
      expect(retry._tag).to.equal('Accepted');
      expect(outbox.rows.map((r) => r.requestId)).to.deep.equal(['req-retry-1']);
    });

    it('is checked against the endpoint’s own codec', async () => {
      const result = await useCase().execute(
        command('GdprSlettetNotifikation', 'req-wrong-kind', ordningsnotifikation()),
      );
      expect(violationsOf(result).map((v) => v.path)).to.deep.equal(['gdprSlettetNotifikation']);
    });
  });

  describe('code lists', () => {
    // Fictitious lists: the gateway checks what the file says, whatever the codes mean.
    const codeLists = codeListsFromFile({
      lists: {
        JobtilbudTypeCodeList: [{ code: 1, name: 'Eksempel – fiktiv kode 1' }],
        VirksomhedsordningSkabelonTypeCodeList: [
          { code: 3, name: 'Eksempel – fiktiv skabelon', validFrom: '2025-01-01', validTo: '2025-06-01' },
        ],
      },
    });

    it('accepts codes that are in their lists and valid at the time of the request', async () => {
      const result = await useCase(codeLists).execute(
        command('Ordningsnotifikation', 'req-cl-ok', ordningsnotifikation()),
      );
      expect(result._tag).to.equal('Accepted');
    });

    it('reports an unknown code as 2002 and an expired one as 2003, both at once, with their paths', async () => {
      clock.current = new Date('2025-06-01T00:00:00.000Z'); // after validTo (Danish midnight = 2025-05-31T22:00Z)
      const result = await useCase(codeLists).execute(
        command('Ordningsnotifikation', 'req-cl-bad', ordningsnotifikation({}, { jobtilbud: 2 })),
      );
      expect(violationsOf(result).map((v) => [v.path, v.fejlkode])).to.deep.equal([
        ['ordningsnotifikation.body.jobtilbud', 2002],
        ['ordningsnotifikation.body.virksomhedsordningSkabelon', 2003],
      ]);
      expect(unitOfWork.runs).to.equal(0);
      expect(outbox.rows).to.deep.equal([]);
    });

    it('checks validity at the time the request is received', async () => {
      clock.current = new Date('2024-12-31T22:59:59.999Z'); // just before Danish 2025-01-01
      const early = await useCase(codeLists).execute(
        command('GdprSlettetNotifikation', 'req-cl-early', gdprSlettetNotifikation()),
      );
      expect(violationsOf(early)).to.deep.equal([
        {
          path: 'gdprSlettetNotifikation.body.virksomhedsordningSkabelon',
          fejlkode: 2003,
          message: 'is not valid in VirksomhedsordningSkabelonTypeCodeList at the time of the request',
        },
      ]);
      clock.current = new Date('2024-12-31T23:00:00.000Z');
      const onTime = await useCase(codeLists).execute(
        command('GdprSlettetNotifikation', 'req-cl-early', gdprSlettetNotifikation()),
      );
      expect(onTime._tag, 'and the refused requestId was not used up').to.equal('Accepted');
    });

    it('does not check a code that is absent or null', async () => {
      const result = await useCase(codeLists).execute(
        command('Ordningsnotifikation', 'req-cl-null', ordningsnotifikation({}, { jobtilbud: null })),
      );
      expect(result._tag).to.equal('Accepted');
    });
  });

  describe('the routing key', () => {
    const ordningsPrefix = 'ordningsnotifikation.'.length; // 21
    const gdprPrefix = 'gdprslettetnotifikation.'.length; // 24

    it('accepts a jobCenterKode that makes a routing key of exactly 255 bytes', async () => {
      const result = await useCase().execute(
        command(
          'Ordningsnotifikation',
          'req-rk-255',
          ordningsnotifikation({ jobCenterKode: '1'.repeat(255 - ordningsPrefix) }),
        ),
      );
      expect(result._tag).to.equal('Accepted');
      expect(Buffer.byteLength(outbox.rows[0]?.routingKey ?? '')).to.equal(255);
    });

    const tooLong: Array<[MessageKind, string, string]> = [
      ['Ordningsnotifikation', '1'.repeat(256 - ordningsPrefix), 'ASCII, 256 bytes'],
      ['Ordningsnotifikation', 'æ'.repeat(118), 'two-byte characters: 117 characters but 257 bytes'],
      ['GdprSlettetNotifikation', '1'.repeat(256 - gdprPrefix), 'ASCII, 256 bytes'],
    ];
    for (const [kind, jobCenterKode, what] of tooLong) {
      it(`refuses a jobCenterKode that makes the ${kind} routing key longer than 255 bytes (${what})`, async () => {
        const body =
          kind === 'Ordningsnotifikation'
            ? ordningsnotifikation({ jobCenterKode })
            : gdprSlettetNotifikation({ jobCenterKode });
        const result = await useCase().execute(command(kind, `req-rk-${kind}`, body));
        const root = kind === 'Ordningsnotifikation' ? 'ordningsnotifikation' : 'gdprSlettetNotifikation';
        expect(violationsOf(result)).to.deep.equal([
          {
            path: `${root}.jobCenterKode`,
            fejlkode: 1014,
            message: 'is too long to route: the routing key would exceed 255 bytes',
          },
        ]);
        expect(outbox.rows).to.deep.equal([]);
      });
    }

    it('counts bytes, not characters: 117 two-byte characters fit', async () => {
      const result = await useCase().execute(
        command(
          'Ordningsnotifikation',
          'req-rk-utf8',
          ordningsnotifikation({ jobCenterKode: 'æ'.repeat(117) }),
        ),
      );
      expect(result._tag).to.equal('Accepted');
    });
  });

  describe('infrastructure failures', () => {
    it('are thrown, not returned', async () => {
      const failing: UnitOfWork = {
        run: () => Promise.reject(new StorageUnavailableError('the database is unreachable')),
      };
      let thrown: unknown;
      try {
        await useCase(UNCHECKED_CODE_LISTS, failing).execute(
          command('Ordningsnotifikation', 'req-down', ordningsnotifikation()),
        );
      } catch (error) {
        thrown = error;
      }
      expect(thrown).to.be.instanceOf(StorageUnavailableError);
    });
  });
});
