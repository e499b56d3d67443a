import type { Violation } from './errors';

export interface RequestIdBrand {
  readonly RequestId: unique symbol;
}
/** The `x-requestId` header: 1 to 46 characters, unique forever across both endpoints. */
export type RequestId = string & RequestIdBrand;

export const REQUEST_ID_MAX_LENGTH = 46;
export const REQUEST_ID_HEADER = 'x-requestId';

export function parseRequestId(value: string | undefined): RequestId | Violation {
  if (value === undefined || value.length === 0) {
    return { path: REQUEST_ID_HEADER, fejlkode: 1014, message: 'header is required' };
  }
  if (value.length > REQUEST_ID_MAX_LENGTH) {
    return {
      path: REQUEST_ID_HEADER,
      fejlkode: 1014,
      message: `must be at most ${REQUEST_ID_MAX_LENGTH} characters`,
    };
  }
  return value as RequestId;
}

export function isRequestId(value: RequestId | Violation): value is RequestId {
  return typeof value === 'string';
}
