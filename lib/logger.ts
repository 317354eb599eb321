/**
 * Where AH Chat writes its log lines, at the bottom of the layers: the stores, the buses, transport
 * and chat all log, and none of them should need the plugin's options for it.
 */

/**
 * Where AH Chat writes its log lines: console, a pino logger, or anything with these methods. They
 * are always called on the logger (`logger.warn(line)`), so methods that need `this` work.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** The default logger: console, each line marked as ours. */
export const consoleLogger: Logger = {
  info: (m) => console.log(`[ahchat] ${m}`),
  warn: (m) => console.warn(`[ahchat] ${m}`),
  error: (m) => console.error(`[ahchat] ${m}`),
};
