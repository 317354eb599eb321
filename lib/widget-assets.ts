/** Serves the widget bundle and default template that `npm run build` writes to dist/widget/. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Response } from 'express';

/** lib/ (sources, under vitest) and dist/ (built) are both one level below the package root. */
export const WIDGET_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'widget');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.tpl': 'text/html; charset=utf-8',
};

/**
 * Static handler for WIDGET_DIR. `?v=<anything>` marks a versioned URL, cached for a year as
 * immutable; a plain URL is revalidated each time with its ETag, so a deploy shows at once.
 */
export function widgetAssets(warn: (message: string) => void): express.Handler {
  if (!existsSync(WIDGET_DIR)) warn(`widget files not found in ${WIDGET_DIR}: run "npm run build"`);
  return express.static(WIDGET_DIR, {
    index: false,
    etag: true,
    cacheControl: false,
    setHeaders(res: Response, path: string) {
      const type = TYPES[path.slice(path.lastIndexOf('.'))];
      if (type) res.setHeader('Content-Type', type);
      const versioned = res.req.query.v !== undefined;
      res.setHeader('Cache-Control', versioned ? 'public, max-age=31536000, immutable' : 'no-cache');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      // The widget is embedded into other sites' pages by design.
      res.setHeader('Access-Control-Allow-Origin', '*');
    },
  });
}
