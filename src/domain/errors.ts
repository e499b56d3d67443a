/** STAR's numeric error codes (fejlkoder) and their texts (fejltekster). */
export const FEJL = {
  invalidMessage: { fejlkode: 1014, fejltekst: 'The submitted message is not valid' },
  invalidCodeListValue: { fejlkode: 2002, fejltekst: 'Invalid CodeList value' },
  expiredCodeListValue: { fejlkode: 2003, fejltekst: 'Use of expired CodeList value not allowed' },
  logonFailed: { fejlkode: 1012, fejltekst: 'Logon failed' },
  notAuthorized: { fejlkode: 4575, fejltekst: 'You are not authorized to execute the operation' },
} as const;

export type ViolationCode = 1014 | 2002 | 2003;

/** One reason a request was refused, at one JSON path. Never carries the offending value. */
export interface Violation {
  readonly path: string;
  readonly fejlkode: ViolationCode;
  readonly message: string;
}

/** Expected outcomes of accepting a notification that are not success. */
export type AcceptFailure =
  | { readonly _tag: 'InvalidNotification'; readonly violations: readonly Violation[] }
  | { readonly _tag: 'DuplicateRequestId' };
