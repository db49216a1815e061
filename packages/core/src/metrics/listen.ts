/** Where an HTTP endpoint of the daemon listens (config `metrics.listen`). */
import { errors } from '../errors.js';

export interface ListenAddress {
  host: string;
  port: number;
}

/** `127.0.0.1:9191`, `[::1]:9191`, `localhost:9191` → host and port; port 0 picks a free one. */
export function parseListen(value: string, path: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw errors.F2B_ERR_CONFIG_INVALID(
      path,
      `must be "host:port" (e.g. "127.0.0.1:9191"), not ${JSON.stringify(value)}`,
      'Write the address to listen on and its port: "127.0.0.1:9191", or "[::1]:9191" for IPv6.',
    );
  }
  return { host: m[1] ?? m[2]!, port };
}
