/**
 * The field tables of webservicebesked-service-v1.txt, copied by hand: the oracle that the codecs
 * and the OpenAPI document are tested against. Change this only when the source document changes.
 *
 * `path` is the JSON path from the request body; `type` is the type column (code lists by name);
 * `required` is Forekomst `1` (`0 - 1` is optional); `minLength` is Detaljer `MinLength`.
 */
export type SourceType =
  | 'uuid'
  | 'string'
  | 'boolean'
  | 'date-time'
  | 'object'
  | 'stringCollection'
  | 'uuidCollection'
  | `${string}TypeCodeList`;

export interface SourceField {
  readonly path: string;
  /** The component name in the source document, for objects. */
  readonly dto?: string;
  readonly type: SourceType;
  readonly required: boolean;
  readonly minLength?: 1;
}

export interface SourceOperation {
  readonly path: string;
  readonly kind: 'Ordningsnotifikation' | 'GdprSlettetNotifikation';
  readonly requestDto: string;
  readonly fields: readonly SourceField[];
}

export const SEND_ORDNINGSNOTIFIKATION: SourceOperation = {
  path: '/v1/Webservicebesked/SendOrdningsnotifikation',
  kind: 'Ordningsnotifikation',
  requestDto: 'SendOrdningsnotifikationRequestDto',
  fields: [
    { path: 'ordningsnotifikation', dto: 'OrdningsNotifikationDto', type: 'object', required: true },
    { path: 'ordningsnotifikation.eksternIdentifier', type: 'uuid', required: true },
    { path: 'ordningsnotifikation.jobCenterKode', type: 'string', required: true, minLength: 1 },
    { path: 'ordningsnotifikation.erOprettelse', type: 'boolean', required: true },
    { path: 'ordningsnotifikation.registreringsDato', type: 'date-time', required: true },
    {
      path: 'ordningsnotifikation.body',
      dto: 'CaseNotificationWebServiceMessageBodyDto',
      type: 'object',
      required: true,
    },
    { path: 'ordningsnotifikation.body.ansvarligMedarbejderEmail', type: 'string', required: false },
    { path: 'ordningsnotifikation.body.jobtilbud', type: 'JobtilbudTypeCodeList', required: false },
    {
      path: 'ordningsnotifikation.body.myndighedsomraade',
      type: 'MyndighedsomraadeTypeCodeList',
      required: false,
    },
    {
      path: 'ordningsnotifikation.body.virksomhedsordningSkabelon',
      type: 'VirksomhedsordningSkabelonTypeCodeList',
      required: true,
    },
    {
      path: 'ordningsnotifikation.body.virksomhedsordningSubskabelon',
      type: 'VirksomhedsordningSubskabelonTypeCodeList',
      required: true,
    },
    {
      path: 'ordningsnotifikation.body.ansoegningStatus',
      type: 'AnsoegningStatusTypeCodeList',
      required: false,
    },
    {
      path: 'ordningsnotifikation.body.bevillingsstatus',
      type: 'BevillingsstatusTypeCodeList',
      required: false,
    },
    { path: 'ordningsnotifikation.body.cvrNummer', type: 'string', required: true, minLength: 1 },
    { path: 'ordningsnotifikation.body.pNummer', type: 'string', required: false },
    { path: 'ordningsnotifikation.body.cprNummer', type: 'string', required: false },
    { path: 'ordningsnotifikation.body.vitasDybtLink', type: 'string', required: true, minLength: 1 },
  ],
};

export const SEND_GDPR_SLETTET_NOTIFIKATION: SourceOperation = {
  path: '/v1/Webservicebesked/SendGdprSlettetNotifikation',
  kind: 'GdprSlettetNotifikation',
  requestDto: 'DispatchGdprDeletedNotificationRequestDto',
  fields: [
    { path: 'gdprSlettetNotifikation', dto: 'GdprSlettetNotifikationDto', type: 'object', required: true },
    { path: 'gdprSlettetNotifikation.eksternIdentifier', type: 'uuid', required: true },
    { path: 'gdprSlettetNotifikation.jobCenterKode', type: 'string', required: true, minLength: 1 },
    { path: 'gdprSlettetNotifikation.registreringsDato', type: 'date-time', required: true },
    {
      path: 'gdprSlettetNotifikation.body',
      dto: 'GdprDeletedNotificationWebserviceMessageBodyDto',
      type: 'object',
      required: true,
    },
    { path: 'gdprSlettetNotifikation.body.vitasSagsId', type: 'string', required: true, minLength: 1 },
    {
      path: 'gdprSlettetNotifikation.body.virksomhedsordningSkabelon',
      type: 'VirksomhedsordningSkabelonTypeCodeList',
      required: true,
    },
    { path: 'gdprSlettetNotifikation.body.cprNumre', type: 'stringCollection', required: true },
    {
      path: 'gdprSlettetNotifikation.body.slettedeExternalIdentifiers',
      type: 'uuidCollection',
      required: true,
    },
  ],
};

export const SOURCE_OPERATIONS: readonly SourceOperation[] = [
  SEND_ORDNINGSNOTIFIKATION,
  SEND_GDPR_SLETTET_NOTIFIKATION,
];

export const WRITE_SCOPE_FROM_SOURCE = 'virksomhedsordning.webservicebesked.write';
export const REQUEST_ID_MAX_LENGTH_FROM_SOURCE = 46;

export function isCodeListType(type: SourceType): boolean {
  return type.endsWith('TypeCodeList');
}

/** A deep copy of `value` with the property at `path` set (or deleted, for `undefined`). */
export function withPath(value: unknown, path: string, replacement: unknown): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  const keys = path.split('.');
  let node: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = keys[keys.length - 1] as string;
  if (replacement === undefined) delete node[last];
  else node[last] = replacement;
  return copy;
}

/** The value at `path`, or undefined. */
export function atPath(value: unknown, path: string): unknown {
  let node: unknown = value;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}
