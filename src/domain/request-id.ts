import { FEJL, type Violation } from './errors';

export interface RequestIdBrand {
  readonly RequestId: unique symbol;
}
/**
 * The `x-requestId` header: 1 to 46 printable US-ASCII characters (0x20–0x7E), unique forever
 * across both endpoints. HTTP header values are octets with no declared encoding (RFC 9110
 * §5.5), so a byte outside ASCII cannot be read back as the character the client meant: it is
 * refused rather than stored garbled. A guid, VITAS's usual id, is ASCII. A space may not come
 * first or last: HTTP strips it from a header value (RFC 9110 §5.5), so such an id could never
 * arrive as sent, and the OpenAPI document, which says the same, must not promise it would.
 */
export type RequestId = string & RequestIdBrand;

export const REQUEST_ID_MAX_LENGTH = 46;
export const REQUEST_ID_HEADER = 'x-requestId';

export function parseRequestId(value: string | undefined): RequestId | Violation {
  if (value === undefined || value.length === 0) {
    return { path: REQUEST_ID_HEADER, fejlkode: FEJL.invalidMessage.fejlkode, message: 'header is required' };
  }
  if (value.length > REQUEST_ID_MAX_LENGTH) {
    return {
      path: REQUEST_ID_HEADER,
      fejlkode: FEJL.invalidMessage.fejlkode,
      message: `must be at most ${REQUEST_ID_MAX_LENGTH} characters`,
    };
  }
  if (!REQUEST_ID_CHARACTERS.test(value)) {
    return {
      path: REQUEST_ID_HEADER,
      fejlkode: FEJL.invalidMessage.fejlkode,
      message: 'must be printable US-ASCII characters (0x20–0x7E), neither first nor last a space',
    };
  }
  return value as RequestId;
}

/** What an x-requestId may consist of, as a JSON Schema `pattern` too (its length is checked apart). */
export const REQUEST_ID_PATTERN_TEXT = '^[\\x21-\\x7E](?:[\\x20-\\x7E]*[\\x21-\\x7E])?$';
const REQUEST_ID_CHARACTERS = new RegExp(REQUEST_ID_PATTERN_TEXT);

export function isRequestId(value: RequestId | Violation): value is RequestId {
  return typeof value === 'string';
}
