/**
 * The files of f2b's dashboard page, as the daemon serves them: a fixed list of URL paths, each
 * with the file that answers it and its media type. The daemon reads exactly these files (from
 * this package and from uPlot's), once, at start: a request names a path in this list or gets 404,
 * so no request ever reaches the file system.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface DashboardFile {
  /** The URL path (`/`, `/app.js`, `/vendor/uPlot.iife.min.js`). */
  readonly path: string;
  /** Absolute path of the file. */
  readonly file: string;
  /** Its media type (Content-Type). */
  readonly type: string;
}

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

export function dashboardFiles(): DashboardFile[] {
  const pub = join(dirname(dirname(fileURLToPath(import.meta.url))), 'public');
  // uPlot, wherever npm put it (next to this package or hoisted): no CDN, works offline.
  const uplot = dirname(createRequire(import.meta.url).resolve('uplot/package.json'));
  return [
    { path: '/', file: join(pub, 'index.html'), type: 'text/html; charset=utf-8' },
    { path: '/app.js', file: join(pub, 'app.js'), type: JS },
    { path: '/api.js', file: join(pub, 'api.js'), type: JS },
    { path: '/charts.js', file: join(pub, 'charts.js'), type: JS },
    { path: '/tables.js', file: join(pub, 'tables.js'), type: JS },
    { path: '/style.css', file: join(pub, 'style.css'), type: CSS },
    { path: '/favicon.svg', file: join(pub, 'favicon.svg'), type: 'image/svg+xml' },
    { path: '/vendor/uPlot.iife.min.js', file: join(uplot, 'dist', 'uPlot.iife.min.js'), type: JS },
    { path: '/vendor/uPlot.min.css', file: join(uplot, 'dist', 'uPlot.min.css'), type: CSS },
  ];
}
