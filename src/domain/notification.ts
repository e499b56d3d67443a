import * as t from 'io-ts';
import { type Either, isLeft, left, right } from 'fp-ts/lib/Either';
import type { Violation } from './errors';
import { violationsFromErrors } from './violations';
import { CodeValue, DateTime, NonEmptyString, Text, Uuid } from './primitives';

/**
 * The two request bodies of Virksomhedsordning.WebservicebeskedService v1, field for field as
 * the source document publishes them. `t.exact` drops unknown properties on decode, so they are
 * neither stored nor published. Occurrence `0 - 1` is `t.partial` with `null` allowed.
 */

const optional = <C extends t.Mixed>(codec: C) => t.union([codec, t.null]);

/** Which code list each code field draws from (the field's type in the source document). */
export const CODE_LIST_OF_FIELD = {
  jobtilbud: 'JobtilbudTypeCodeList',
  myndighedsomraade: 'MyndighedsomraadeTypeCodeList',
  virksomhedsordningSkabelon: 'VirksomhedsordningSkabelonTypeCodeList',
  virksomhedsordningSubskabelon: 'VirksomhedsordningSubskabelonTypeCodeList',
  ansoegningStatus: 'AnsoegningStatusTypeCodeList',
  bevillingsstatus: 'BevillingsstatusTypeCodeList',
} as const;
export type CodeField = keyof typeof CODE_LIST_OF_FIELD;
export type CodeListName = (typeof CODE_LIST_OF_FIELD)[CodeField];
export const CODE_LIST_NAMES: readonly CodeListName[] = [...new Set(Object.values(CODE_LIST_OF_FIELD))];

export const CaseNotificationWebServiceMessageBodyDto = t.exact(
  t.intersection([
    t.type({
      virksomhedsordningSkabelon: CodeValue,
      virksomhedsordningSubskabelon: CodeValue,
      cvrNummer: NonEmptyString,
      vitasDybtLink: NonEmptyString,
    }),
    t.partial({
      ansvarligMedarbejderEmail: optional(Text),
      jobtilbud: optional(CodeValue),
      myndighedsomraade: optional(CodeValue),
      ansoegningStatus: optional(CodeValue),
      bevillingsstatus: optional(CodeValue),
      pNummer: optional(Text),
      cprNummer: optional(Text),
    }),
  ]),
  'CaseNotificationWebServiceMessageBodyDto',
);

export const OrdningsNotifikationDto = t.exact(
  t.type({
    eksternIdentifier: Uuid,
    jobCenterKode: NonEmptyString,
    erOprettelse: t.boolean,
    registreringsDato: DateTime,
    body: CaseNotificationWebServiceMessageBodyDto,
  }),
  'OrdningsNotifikationDto',
);

export const SendOrdningsnotifikationRequestDto = t.exact(
  t.type({ ordningsnotifikation: OrdningsNotifikationDto }),
  'SendOrdningsnotifikationRequestDto',
);
export type SendOrdningsnotifikationRequestDto = t.TypeOf<typeof SendOrdningsnotifikationRequestDto>;

export const GdprDeletedNotificationWebserviceMessageBodyDto = t.exact(
  t.type({
    vitasSagsId: NonEmptyString,
    virksomhedsordningSkabelon: CodeValue,
    cprNumre: t.array(Text),
    slettedeExternalIdentifiers: t.array(Uuid),
  }),
  'GdprDeletedNotificationWebserviceMessageBodyDto',
);

export const GdprSlettetNotifikationDto = t.exact(
  t.type({
    eksternIdentifier: Uuid,
    jobCenterKode: NonEmptyString,
    registreringsDato: DateTime,
    body: GdprDeletedNotificationWebserviceMessageBodyDto,
  }),
  'GdprSlettetNotifikationDto',
);

export const DispatchGdprDeletedNotificationRequestDto = t.exact(
  t.type({ gdprSlettetNotifikation: GdprSlettetNotifikationDto }),
  'DispatchGdprDeletedNotificationRequestDto',
);
export type DispatchGdprDeletedNotificationRequestDto = t.TypeOf<
  typeof DispatchGdprDeletedNotificationRequestDto
>;

/** The two kinds of webservicebesked; the value is the AMQP `type` property. */
export type MessageKind = 'Ordningsnotifikation' | 'GdprSlettetNotifikation';

export type Aendringstype = 'Oprettelse' | 'Opdatering' | 'Sletning';

/** What every accepted notification has in common, whichever its kind. */
export interface NotificationEnvelope {
  readonly eksternIdentifier: Uuid;
  readonly jobCenterKode: NonEmptyString;
  readonly registreringsDato: DateTime;
}

interface KindDefinition<C extends t.Mixed> {
  readonly kind: MessageKind;
  /** The request body's single top-level property. */
  readonly rootProperty: string;
  readonly codec: C;
  readonly routingKeyPrefix: string;
  envelope(request: t.TypeOf<C>): NotificationEnvelope;
  aendringstype(request: t.TypeOf<C>): Aendringstype;
  /** The code fields present in the decoded request, with their JSON paths. */
  codes(request: t.TypeOf<C>): ReadonlyArray<{ path: string; field: CodeField; code: number }>;
}

function presentCodes(
  root: string,
  body: Partial<Record<CodeField, number | null>>,
): Array<{ path: string; field: CodeField; code: number }> {
  const found: Array<{ path: string; field: CodeField; code: number }> = [];
  for (const field of Object.keys(CODE_LIST_OF_FIELD) as CodeField[]) {
    const code = body[field];
    if (typeof code === 'number') found.push({ path: `${root}.body.${field}`, field, code });
  }
  return found;
}

export const ORDNINGSNOTIFIKATION: KindDefinition<typeof SendOrdningsnotifikationRequestDto> = {
  kind: 'Ordningsnotifikation',
  rootProperty: 'ordningsnotifikation',
  codec: SendOrdningsnotifikationRequestDto,
  routingKeyPrefix: 'ordningsnotifikation',
  envelope: (r) => r.ordningsnotifikation,
  aendringstype: (r) => (r.ordningsnotifikation.erOprettelse ? 'Oprettelse' : 'Opdatering'),
  codes: (r) => presentCodes('ordningsnotifikation', r.ordningsnotifikation.body),
};

export const GDPR_SLETTET_NOTIFIKATION: KindDefinition<typeof DispatchGdprDeletedNotificationRequestDto> = {
  kind: 'GdprSlettetNotifikation',
  rootProperty: 'gdprSlettetNotifikation',
  codec: DispatchGdprDeletedNotificationRequestDto,
  routingKeyPrefix: 'gdprslettetnotifikation',
  envelope: (r) => r.gdprSlettetNotifikation,
  aendringstype: () => 'Sletning',
  codes: (r) => presentCodes('gdprSlettetNotifikation', r.gdprSlettetNotifikation.body),
};

/** A request body that passed its codec, reduced to what every kind has. */
export interface DecodedNotification {
  readonly kind: MessageKind;
  readonly rootProperty: string;
  readonly envelope: NotificationEnvelope;
  readonly aendringstype: Aendringstype;
  readonly codes: ReadonlyArray<{ path: string; field: CodeField; code: number }>;
  /** The body as accepted: unknown properties dropped, codes as integers. */
  readonly payload: Readonly<Record<string, unknown>>;
}

function decodeWith<C extends t.Mixed>(
  definition: KindDefinition<C>,
  body: unknown,
): Either<Violation[], DecodedNotification> {
  const decoded = definition.codec.decode(body);
  if (isLeft(decoded)) return left(violationsFromErrors(decoded.left));
  const request: t.TypeOf<C> = decoded.right;
  return right({
    kind: definition.kind,
    rootProperty: definition.rootProperty,
    envelope: definition.envelope(request),
    aendringstype: definition.aendringstype(request),
    codes: definition.codes(request),
    payload: definition.codec.encode(request) as Record<string, unknown>,
  });
}

/** Decodes a request body of the given kind, reporting every failing path. */
export function decodeNotification(
  kind: MessageKind,
  body: unknown,
): Either<Violation[], DecodedNotification> {
  switch (kind) {
    case 'Ordningsnotifikation':
      return decodeWith(ORDNINGSNOTIFIKATION, body);
    case 'GdprSlettetNotifikation':
      return decodeWith(GDPR_SLETTET_NOTIFIKATION, body);
    default: {
      const unknownKind: never = kind;
      throw new Error(`unknown message kind ${String(unknownKind)}`);
    }
  }
}

const ROUTING_KEY_PREFIX: Record<MessageKind, string> = {
  Ordningsnotifikation: ORDNINGSNOTIFIKATION.routingKeyPrefix,
  GdprSlettetNotifikation: GDPR_SLETTET_NOTIFIKATION.routingKeyPrefix,
};

/** AMQP routing keys are at most 255 bytes (short strings); the key is `<prefix>.<jobCenterKode>`. */
export const MAX_ROUTING_KEY_BYTES = 255;

export function routingKeyFor(kind: MessageKind, jobCenterKode: string): string {
  return `${ROUTING_KEY_PREFIX[kind]}.${jobCenterKode}`;
}
