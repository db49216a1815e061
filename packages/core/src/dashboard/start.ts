/**
 * Starting the dashboard (config `dashboard`): the page's files from `@f2b/dashboard`, the JSON
 * API over the running jails, the activity rings and the live stream — on its own server, or on
 * the metrics server when both are configured with the same address. The daemon calls this once.
 */
import type { ListenAddress } from '../metrics/listen.js';
import type { MetricsServer } from '../metrics/server.js';
import { Activity } from './activity.js';
import { DashboardApi, type DashboardSources } from './api.js';
import { loadAssets } from './assets.js';
import { LiveUpdates } from './live.js';
import { DashboardServer, dashboardHandler, isLoopbackHost } from './server.js';

export interface RunningDashboard {
  /** The port it answers on (the one bound when the config asked for 0). */
  readonly port: number;
  close(): Promise<void>;
}

export async function startDashboard(
  src: DashboardSources,
  opts: {
    listen: ListenAddress;
    /** node_modules directories to find `@f2b/dashboard` in (the daemon's plugin search). */
    searchDirs: string[];
    /** The metrics endpoint, when it runs: shared if it listens on the same address. */
    metrics?: { server: MetricsServer; listen: ListenAddress; port: number } | null;
  },
): Promise<RunningDashboard> {
  const assets = await loadAssets(opts.searchDirs);
  const logger = src.core.getLogger('dashboard');
  const activity = new Activity(src.core, src.jails, src.store);
  await activity.load();
  const api = new DashboardApi(src, activity);
  const live = new LiveUpdates(src.core, () => api.changed());
  const handler = dashboardHandler({ assets, api, live, logger, listenHost: opts.listen.host });
  const { host } = opts.listen;
  const shown = (port: number) => `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  if (!isLoopbackHost(host)) {
    logger.warn(
      `The dashboard listens on ${host}, not on loopback: anyone who can reach it sees the bans and the attackers' log lines (it has no login). Keep it behind a firewall or an authenticating proxy.`,
    );
  }
  const m = opts.metrics;
  if (m && m.listen.host === host && m.listen.port === opts.listen.port) {
    m.server.mount(handler);
    logger.info(`Dashboard on ${shown(m.port)} (with the metrics)`);
    return {
      port: m.port,
      close: async () => {
        live.close();
        await activity.close();
      },
    };
  }
  const server = new DashboardServer(handler, logger);
  let bound: ListenAddress;
  try {
    bound = await server.listen(opts.listen);
  } catch (err) {
    live.close();
    await activity.close();
    throw err;
  }
  logger.info(`Dashboard on ${shown(bound.port)}`);
  return {
    port: bound.port,
    close: async () => {
      live.close();
      await activity.close();
      await server.close();
    },
  };
}
