import { FEJL, type Violation } from './errors';

export interface RequestIdBrand {
  readonly RequestId: unique symbol;
}
/**
 * The `x-requestId` header: 1 to 46 printable US-ASCII characters (0x20–0x7E), unique forever
 * across both endpoints. HTTP header values are octets with no declared encoding (RFC 9110
 * §5.5), so a byte outside ASCII cannot be read back as the character the client meant: it is
 * refused rather than stored garbled. A guid, VITAS's usual id, is ASCII.
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
  if (!PRINTABLE_ASCII.test(value)) {
    return {
      path: REQUEST_ID_HEADER,
      fejlkode: FEJL.invalidMessage.fejlkode,
      message: 'must be printable US-ASCII characters (0x20–0x7E)',
    };
  }
  return value as RequestId;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

export function isRequestId(value: RequestId | Violation): value is RequestId {
  return typeof value === 'string';
}
