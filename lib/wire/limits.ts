/** The size limits of incoming fields (characters unless said otherwise). */

export const MAX_CLIENT_ID = 64;
export const MAX_NAME = 100;
export const MAX_TOKEN = 256;
/** A signed identity is a JWT of a few hundred characters; this leaves room for long names. */
export const MAX_IDENTITY = 4096;
/** RFC 5321's longest forward path. */
export const MAX_EMAIL = 254;
/** Most combining marks in a row a name or text may carry (more is "Zalgo" text that draws over its neighbours). */
export const MAX_COMBINING_RUN = 8;
/** Longest search, and longest quick reply. */
export const MAX_QUERY = 100;
export const MAX_REPLY = 1000;
