/**
 * Every error code that can appear in a frame's `error` field, with what it means.
 * The first seven come from the original AH Chat README; the rest are AH Chat extensions
 * (documented in docs/PROTOCOL.md). A wire error is always one of these.
 */
export const ERROR_CODES = {
  CHAT_NOT_FOUND: 'The chat does not exist or is not yours.',
  USER_IS_NOT_ONLINE: 'The other side is offline and the server runs with requireOnline: nothing was stored.',
  USER_IS_NOT_SELLER: 'Seller id and token do not match a seller.',
  USER_NOT_FOUND: 'The buyer token is unknown; a client should forget it and ask for a name again.',
  CHAT_ID_IS_REQUIRED: 'The request has no chatId.',
  TEXT_IS_REQUIRED: 'The message has no text, or nothing visible (only white space, zero-width or bidi characters, marks without a letter).',
  DATE_IS_REQUIRED: 'The message has no numeric clientDate.',
  BAD_REQUEST: 'The frame is not JSON, its data is not an object, a field has the wrong type or size, a string holds a NUL or a lone surrogate, or a name or text has more than 8 combining marks in a row.',
  UNKNOWN_COMMAND: 'The command is not one this server knows.',
  NOT_AUTHORIZED: 'Only auth is accepted before a successful auth.',
  ALREADY_AUTHORIZED: 'This socket is already signed in; open a new socket to sign in as someone else.',
  NAME_IS_REQUIRED: 'A buyer without a token must send a name with something visible in it.',
  SELLER_ID_IS_REQUIRED: 'A buyer must name the seller (sellerId).',
  SELLER_NOT_FOUND: 'No seller has that id.',
  TEXT_TOO_LONG: 'The text is longer than the server allows (maxTextLength).',
  RATE_LIMITED: 'Too many frames, sign-ups, new chats or failed seller sign-ins in a short time; nothing was done.',
  CHAT_CLOSED: 'The seller closed this chat; sign in again to start a new one.',
  FORBIDDEN: 'Your side may not do this (for example a buyer closing a chat).',
  MESSAGE_REJECTED: 'The host refused the message (see the reason field).',
  CHAT_ALREADY_OPEN: 'The buyer has another open chat with you (at most one is open), so this one cannot be reopened.',
  REPLY_NOT_FOUND: 'You have no quick reply with that id.',
  LIMIT_REACHED: 'You have as many quick replies as a seller may keep (100); delete one first.',
  IDENTITY_INVALID: 'The signed identity is expired, tampered with, signed with another secret, for the other side, or not accepted by this server (data.reason: expired or invalid); nobody was signed in.',
  INTERNAL_ERROR: 'The server could not complete the request (for example the store failed); nothing was confirmed: resend with the same clientId.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** WebSocket close codes the server uses, and why. */
export const CLOSE_CODES = {
  /** Server shutting down (close() or SIGTERM). */
  GOING_AWAY: 1001,
  /** No successful auth within authTimeout, or a flood that went on after RATE_LIMITED. */
  POLICY_VIOLATION: 1008,
  /** A frame larger than maxPayload. */
  MESSAGE_TOO_BIG: 1009,
  /** Invalid UTF-8 in a text frame (required by RFC 6455; sent by ws). */
  INVALID_PAYLOAD: 1007,
  /** Pushes may have been lost across instances (the bus could not keep them all): reconnect and resume with `since`. */
  SERVICE_RESTART: 1012,
} as const;

/** What an error frame may carry besides its code. */
export interface ErrorDetails {
  /** MESSAGE_REJECTED: the host's reason. IDENTITY_INVALID: 'expired' or 'invalid'. BAD_REQUEST on a context: 'REFUSED'. */
  reason?: string;
  /** BAD_REQUEST on a page context: the field at fault. */
  field?: string;
  /** RATE_LIMITED on a seller sign-in: how long to wait. */
  retryAfterMs?: number;
  /** The refused message's own key, when it had one. */
  clientId?: string;
}

/** An error the server answers with: carries its wire code. */
export class ChatError extends Error {
  constructor(
    readonly code: ErrorCode,
    /** Optional extra data sent with the error (e.g. the host's reason for MESSAGE_REJECTED). */
    readonly details?: ErrorDetails,
  ) {
    super(code);
    this.name = 'ChatError';
  }
}

/**
 * Thrown by a host's beforeMessage hook to refuse a message; the sender gets MESSAGE_REJECTED with
 * `data.reason` set to this reason (a short code of the host's, e.g. 'PHONE_NUMBER').
 */
export class MessageRejected extends Error {
  constructor(readonly reason: string = 'REJECTED') {
    super(`message rejected: ${reason}`);
    this.name = 'MessageRejected';
  }
}
