import type {
  ActionSearch,
  ConnectedProcess,
  DeliveryMinute,
  EntryDetail,
  ErasureNotice,
  FailureGroup,
  OutboxEntry,
  OutboxExplorer,
  OutboxReadModel,
  OutboxSearch,
  Page,
  RecordedAction,
} from '../../application/operations/ports';

const EMPTY = { items: [], next: null };

/**
 * INTERIM, until the Kysely OutboxExplorer lands (branch readmodel): answers from the read model
 * where it can, empty pages elsewhere, so that every console page answers meanwhile.
 */
export class InterimOutboxExplorer implements OutboxExplorer {
  constructor(private readonly readModel: OutboxReadModel) {}
  search(_search: OutboxSearch): Promise<Page<OutboxEntry>> {
    return Promise.resolve(EMPTY);
  }
  async detail(id: string): Promise<EntryDetail[]> {
    return (await this.readModel.find(id)).map((entry) => ({
      entry,
      hold: entry.status === 'delivered' ? { _tag: 'Delivered' } : { _tag: 'Due' },
      traceId: null,
      redaction: null,
    }));
  }
  entity(_e: string, _after: string | undefined, _limit: number): Promise<Page<EntryDetail>> {
    return Promise.resolve(EMPTY);
  }
  failureGroups(): Promise<FailureGroup[]> {
    return Promise.resolve([]);
  }
  failureGroupMembers(_fingerprint: string): Promise<OutboxEntry[]> {
    return Promise.resolve([]);
  }
  actions(_search: ActionSearch): Promise<Page<RecordedAction>> {
    return Promise.resolve(EMPTY);
  }
  erasureNotices(_after: string | undefined, _limit: number): Promise<Page<ErasureNotice>> {
    return Promise.resolve(EMPTY);
  }
  subjectAccess(_cpr: string): Promise<OutboxEntry[]> {
    return Promise.resolve([]);
  }
  deliveriesPerMinute(_since: Date): Promise<DeliveryMinute[]> {
    return Promise.resolve([]);
  }
  connectedProcesses(): Promise<ConnectedProcess[]> {
    return Promise.resolve([]);
  }
}
