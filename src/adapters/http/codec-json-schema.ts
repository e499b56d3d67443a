import * as t from 'io-ts';
import { CODE_LIST_OF_FIELD, type CodeField } from '../../domain/notification';
import {
  CODE_MAX,
  CODE_MIN,
  CODE_STRING_PATTERN,
  DATE_TIME_SCHEMA_PATTERN,
  STORABLE_STRING_PATTERN,
  UUID_PATTERN_TEXT,
} from '../../domain/primitives';
import { REQUEST_ID_HEADER } from '../../domain/request-id';

/**
 * JSON Schemas derived from the io-ts codecs, so that the documents built from them (the OpenAPI
 * document of the intake, the AsyncAPI document of what the relay publishes) cannot say something
 * the gateway does not do. Only the prose is written by hand: the Danish descriptions are STAR's,
 * copied from the source document (webservicebesked-service-v1.txt).
 */

export type JsonSchema = { readonly [keyword: string]: unknown };

/** STAR's descriptions, by property name (a name means the same in both DTOs). */
export const DESCRIPTIONS: Readonly<Record<string, string>> = {
  [REQUEST_ID_HEADER]:
    "Unikt id for requestet (typisk guid). Hvis api'et modtager samme requestId mere end én gang returneres http status kode 412. Max længde for id'et er 46 chars",
  // Sic: the source document gives this description for the request body of SendOrdningsnotifikation.
  SendOrdningsnotifikationRequestDto: 'Dto for Nytteindsats bevilling',
  eksternIdentifier: 'Identifikation på det data entitet beskeden vedrører',
  jobCenterKode: 'Jobcenterkode på det jobcenter som ejer entiteten',
  erOprettelse: 'Fortæller om entiten er oprettet eller redigeret',
  registreringsDato: 'Tidspunkt for registreringen',
  ansvarligMedarbejderEmail:
    'Angives hvis en jobcentermedarbejder/anden aktør er sat ansvarlig på ansøgningen. Der angives E-mailadresse på den bruger, der er sat ansvarlig og kan matches til bruger i KSS løsning.',
  cvrNummer: 'CVR-nummer på virksomhed som sagen er oprettet på.',
  pNummer: 'P-nummer på virksomhed som sagen er oprettet på.',
  cprNummer: 'Angives hvis sagen er knyttet til en borger.',
  vitasDybtLink: 'Dybt link til sagen i Vitas. Linket vil sende brugeren til den præcise sagsakt i Vitas.',
  vitasSagsId:
    'ID-nummer på sagen i VITAS, det sagsnummer der indeholder ansøgning, bevillingen og evt. forlængelse/ophør.',
  cprNumre: 'CPR-numre på borgere, der er knyttet til sagen.',
  slettedeExternalIdentifiers: 'Id på de slettede elementer i sagen.',
};

/** The schema of each leaf codec, by the codec's name. */
const LEAF_SCHEMAS: Readonly<Record<string, JsonSchema>> = {
  NonEmptyString: { type: 'string', minLength: 1, pattern: STORABLE_STRING_PATTERN },
  Text: { type: 'string', pattern: STORABLE_STRING_PATTERN },
  Uuid: { type: 'string', format: 'uuid', pattern: UUID_PATTERN_TEXT },
  // No `format: date-time`: RFC 3339's requires an offset, and the contract reads a time without one
  // as Danish local time. The pattern is exactly what the codec accepts, calendar included.
  DateTime: {
    type: 'string',
    pattern: DATE_TIME_SCHEMA_PATTERN,
    description:
      'ISO 8601 (date-time). Uden offset eller Z læses tidspunktet som dansk tid (Europe/Copenhagen). / Without an offset or Z the time is read as Danish local time. A leap second (…:59:60) is accepted.',
  },
  Code: {
    oneOf: [
      { type: 'integer', minimum: CODE_MIN, maximum: CODE_MAX },
      { type: 'string', pattern: CODE_STRING_PATTERN },
    ],
    description: `Kode fra STAR-kodeliste (CodeListItemIdentifierType, ${CODE_MIN}–${CODE_MAX}). A string of digits is accepted and normalised to the integer.`,
  },
  string: { type: 'string' },
  boolean: { type: 'boolean' },
  null: { type: 'null' },
};

/** Builds JSON Schemas from the codecs; `leaves` replaces leaf schemas (the published body's codes are integers). */
export class SchemaBuilder {
  readonly components: Record<string, JsonSchema> = {};

  constructor(private readonly leaves: Readonly<Record<string, JsonSchema>> = {}) {}

  /** The schema of a codec; a named `t.exact` object becomes a component and is referenced. */
  schemaOf(codec: t.Mixed, propertyName?: string): JsonSchema {
    if (codec instanceof t.ExactType) {
      const name = codec.name;
      if (this.components[name] === undefined) {
        this.components[name] = {}; // reserved first: a codec that refers to itself must not loop
        const description = DESCRIPTIONS[name];
        this.components[name] = {
          ...this.objectSchema(codec.type as t.Mixed),
          ...(description !== undefined ? { description } : {}),
        };
      }
      return { $ref: `#/components/schemas/${name}` };
    }
    if (
      codec instanceof t.InterfaceType ||
      codec instanceof t.PartialType ||
      codec instanceof t.IntersectionType
    ) {
      return this.objectSchema(codec);
    }
    if (codec instanceof t.UnionType) return this.unionSchema(codec.types as t.Mixed[], propertyName);
    if (codec instanceof t.ArrayType) return { type: 'array', items: this.schemaOf(codec.type as t.Mixed) };
    const leaf = this.leaves[codec.name] ?? LEAF_SCHEMAS[codec.name];
    if (leaf === undefined) throw new Error(`no OpenAPI schema for codec ${codec.name}`);
    return leaf;
  }

  private objectSchema(codec: t.Mixed): JsonSchema {
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    const collect = (c: t.Mixed): void => {
      if (c instanceof t.IntersectionType) {
        for (const member of c.types as t.Mixed[]) collect(member);
      } else if (c instanceof t.InterfaceType || c instanceof t.PartialType) {
        for (const [key, property] of Object.entries(c.props as Record<string, t.Mixed>)) {
          properties[key] = this.propertySchema(key, property);
          if (c instanceof t.InterfaceType) required.push(key);
        }
      } else if (c instanceof t.ExactType) {
        collect(c.type as t.Mixed);
      } else {
        throw new Error(`no OpenAPI object schema for codec ${c.name}`);
      }
    };
    collect(codec);
    // Unknown properties are ignored (dropped), not refused, so additionalProperties stays open.
    return { type: 'object', required, properties };
  }

  private propertySchema(name: string, codec: t.Mixed): JsonSchema {
    const schema = this.schemaOf(codec, name);
    const ownDescription = typeof schema.description === 'string' ? schema.description : undefined;
    const description =
      [DESCRIPTIONS[name], ownDescription].filter((d) => d !== undefined).join(' — ') || undefined;
    const codeList = name in CODE_LIST_OF_FIELD ? CODE_LIST_OF_FIELD[name as CodeField] : undefined;
    return {
      ...schema,
      ...(codeList !== undefined ? { 'x-codeList': codeList } : {}),
      ...(description !== undefined ? { description } : {}),
    };
  }

  /** `X | null` becomes `type: [X, 'null']` (or a `null` branch of a oneOf); other unions a oneOf. */
  private unionSchema(members: t.Mixed[], propertyName?: string): JsonSchema {
    const nonNull = members.filter((m) => !(m instanceof t.NullType));
    if (nonNull.length === members.length || nonNull.length !== 1) {
      return { oneOf: members.map((m) => this.schemaOf(m, propertyName)) };
    }
    const inner = this.schemaOf(nonNull[0] as t.Mixed, propertyName);
    if (typeof inner.type === 'string') return { ...inner, type: [inner.type, 'null'] };
    if (Array.isArray(inner.oneOf))
      return { ...inner, oneOf: [...(inner.oneOf as unknown[]), { type: 'null' }] };
    return { oneOf: [inner, { type: 'null' }] };
  }
}
