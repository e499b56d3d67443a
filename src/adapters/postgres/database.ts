import type { ColumnType, Generated } from 'kysely';
import type { OperatorActionKind, RedactionReason } from '../../application/operations/ports';

/** The schema as kysely sees it; migrations/ is the source of truth. */
export interface OutboxTable {
  seq: Generated<string>;
  message_id: string;
  request_id: string;
  message_type: string;
  ekstern_identifier: string;
  jobcenter_kode: string;
  registrerings_dato: ColumnType<Date, Date, Date>;
  aendringstype: string;
  client_id: string;
  client_cert_subject: string | null;
  received_at: ColumnType<Date, Date, Date>;
  exchange: string;
  routing_key: string;
  payload: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  redacted_at: Date | null;
  /** W3C trace context (migration 0004); null for rows accepted before it. */
  traceparent: ColumnType<string | null, string | null | undefined, string | null>;
  tracestate: ColumnType<string | null, string | null | undefined, string | null>;
}

/** One row per undelivered message (migration 0005); deleted when it is delivered. */
export interface OutboxPendingTable {
  seq: string;
  ekstern_identifier: string;
  received_at: ColumnType<Date, Date, Date>;
  parked: Generated<boolean>;
  attempts: Generated<number>;
  last_error: string | null;
  next_attempt_at: ColumnType<Date, Date | undefined, Date>;
}

/** One row per delivered message (migration 0005), inserted in the commit that delivers it. */
export interface OutboxDeliveryTable {
  seq: string;
  delivered_at: Generated<Date | null>;
  attempts: Generated<number>;
  last_error: string | null;
  payload_held: Generated<boolean>;
  /** Why the payload was redacted (migration 0007); null while held, or where the history did not tell. */
  redaction_reason: ColumnType<
    RedactionReason | null,
    RedactionReason | null | undefined,
    RedactionReason | null
  >;
  /** For 'gdpr': the messageId of the notice that erased it. */
  redacted_by: ColumnType<string | null, string | null | undefined, string | null>;
}

/** The auditors' view (CONTRACT §3): every outbox row once, with its delivery state. */
export interface OutboxAuditView {
  seq: string;
  message_id: string;
  request_id: string;
  message_type: string;
  ekstern_identifier: string;
  jobcenter_kode: string;
  registrerings_dato: Date;
  aendringstype: string;
  client_id: string;
  client_cert_subject: string | null;
  received_at: Date;
  exchange: string;
  routing_key: string;
  payload: Record<string, unknown> | null;
  status: 'pending' | 'delivered' | 'parked';
  attempts: number;
  last_error: string | null;
  delivered_at: Date | null;
  redacted_at: Date | null;
  traceparent: string | null;
  tracestate: string | null;
  redaction_reason: RedactionReason | null;
  redacted_by: string | null;
}

export interface OperatorActionTable {
  id: Generated<string>;
  action: OperatorActionKind;
  message_id: string | null;
  request_id: string | null;
  actor: string;
  reason: string;
  at: Generated<Date>;
  dry_run: boolean;
  details: ColumnType<Record<string, unknown>, string, string>;
}

/** Every message an action touched (migration 0007). */
export interface OperatorActionTargetTable {
  action_id: string;
  message_id: string;
}

export interface Database {
  outbox: OutboxTable;
  outbox_pending: OutboxPendingTable;
  outbox_delivery: OutboxDeliveryTable;
  outbox_audit: OutboxAuditView;
  operator_action: OperatorActionTable;
  operator_action_target: OperatorActionTargetTable;
}
