/**
 * The page's files, from the installed `@f2b/dashboard` package (found like a plugin: from the
 * config's directory upward, next to f2b, the global prefix; only inside the trust boundary, as
 * code is). The package names a fixed list of URL paths and files; they are read once, here, so a
 * request is a lookup in a map and never a path on disk.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { errors } from '../errors.js';
import { resolveTrusted } from '../resolve.js';
import { trustBoundary } from '../trust.js';

export const DASHBOARD_PACKAGE = '@f2b/dashboard';
/** No file of the page is larger (uPlot is 50 kB). */
const MAX_FILE_BYTES = 2 * 1024 * 1024;

export interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

interface DashboardFile {
  path: string;
  file: string;
  type: string;
}

export async function loadAssets(dirs: string[]): Promise<Map<string, Asset>> {
  const main = resolveTrusted(DASHBOARD_PACKAGE, dirs, (file, problem) => errors.F2B_ERR_PLUGIN_UNTRUSTED(DASHBOARD_PACKAGE, file, problem, 'dashboard'));
  if (!main) throw errors.F2B_ERR_DASHBOARD_PAGE(DASHBOARD_PACKAGE);
  const mod = (await import(pathToFileURL(main).href)) as { dashboardFiles?: () => DashboardFile[] };
  if (typeof mod.dashboardFiles !== 'function') throw errors.F2B_ERR_DASHBOARD_PAGE(DASHBOARD_PACKAGE, 'it exports no dashboardFiles()');
  const trust = trustBoundary();
  const assets = new Map<string, Asset>();
  for (const f of mod.dashboardFiles()) {
    // What the browser runs is code too: a file another user could write is refused like a plugin.
    const problem = trust.problem(f.file);
    if (problem !== null) throw errors.F2B_ERR_PLUGIN_UNTRUSTED(DASHBOARD_PACKAGE, f.file, problem, 'dashboard');
    let body: Buffer;
    try {
      body = readFileSync(f.file);
    } catch (err) {
      throw errors.F2B_ERR_DASHBOARD_PAGE(DASHBOARD_PACKAGE, `its file ${f.file} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    if (body.length > MAX_FILE_BYTES) throw errors.F2B_ERR_DASHBOARD_PAGE(DASHBOARD_PACKAGE, `its file ${f.file} is larger than 2 MiB`);
    assets.set(f.path, { body, type: f.type });
  }
  return assets;
}
