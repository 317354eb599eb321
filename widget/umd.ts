/**
 * The entry of ahchat.js: hands AHChat to the UMD wrapper (RequireJS `ahchat`, CommonJS, or
 * window.AHChat) that the build puts around this file as esbuild's banner and footer.
 */
import { AHChat } from './index.js';

/** Defined by that wrapper (scripts/build-widget.mjs). */
declare const ahchatExport: (value: typeof AHChat) => void;

ahchatExport(AHChat);
