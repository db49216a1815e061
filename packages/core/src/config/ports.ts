/**
 * A jail's `port` and `protocol` (fail2ban's `port = ssh,2222`, `protocol = tcp`): the ports its
 * firewall actions ban when they are not told otherwise. Written as a number, a service name from
 * /etc/services, a range (`1000:2000` as fail2ban and iptables write it, or `1000-2000`), a
 * comma-separated string of those or a list; resolved here, at config time, to numbers and `from-to`
 * ranges, so every action reads the same ports and a misspelt service is a config error, not a
 * firewall error at the first ban. A range covering every port (`0:65535`, `1:65535`) means all.
 */
import { readFileSync } from 'node:fs';
import { errors } from '../errors.js';

export type PortProtocol = 'tcp' | 'udp' | 'sctp';
export const PORT_PROTOCOLS: readonly PortProtocol[] = ['tcp', 'udp', 'sctp'];

export const PORT_SCHEMA = {
  oneOf: [
    { type: 'integer', minimum: 1, maximum: 65535 },
    { type: 'string', minLength: 1, maxLength: 1000 },
    {
      type: 'array',
      minItems: 1,
      maxItems: 64,
      items: {
        oneOf: [
          { type: 'integer', minimum: 1, maximum: 65535 },
          { type: 'string', minLength: 1, maxLength: 64 },
        ],
      },
    },
  ],
};
export const PROTOCOL_SCHEMA = {
  oneOf: [
    { type: 'string', minLength: 1, maxLength: 32 },
    { type: 'array', minItems: 1, items: { enum: PORT_PROTOCOLS } },
  ],
};

export type PortInput = number | string | (number | string)[];
export type ProtocolInput = string | PortProtocol[];

/** Service name → port per protocol, read from a services(5) file (once per config resolution). */
export class ServiceNames {
  private table: Map<string, number> | undefined;

  constructor(private readonly file = '/etc/services') {}

  /** The port of `name` for `protocol`, or undefined when the file does not name it. */
  lookup(name: string, protocol: PortProtocol): number | undefined {
    this.table ??= this.read();
    return this.table.get(`${name.toLowerCase()}/${protocol}`);
  }

  private read(): Map<string, number> {
    const table = new Map<string, number>();
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return table; // no services file: only numbers are understood (the error says so)
    }
    for (const line of text.split('\n')) {
      const [name, portProto, ...aliases] = line.replace(/#.*/, '').trim().split(/\s+/);
      const m = /^([0-9]{1,5})\/([a-z]+)$/.exec(portProto ?? '');
      if (!name || !m) continue;
      for (const n of [name, ...aliases]) {
        const key = `${n.toLowerCase()}/${m[2]}`;
        if (!table.has(key)) table.set(key, Number(m[1]));
      }
    }
    return table;
  }
}

/** `protocol` as a list; `all` (fail2ban's every protocol) is no restriction: undefined. */
export function resolveProtocols(value: ProtocolInput | undefined, path: string, file?: string): PortProtocol[] | undefined {
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : value.split(/[\s,]+/).filter(Boolean);
  if (list.length === 1 && list[0]!.toLowerCase() === 'all') return undefined;
  const out: PortProtocol[] = [];
  for (const p of list) {
    const proto = p.toLowerCase() as PortProtocol;
    if (!PORT_PROTOCOLS.includes(proto))
      throw errors.F2B_ERR_CONFIG_INVALID(path, `names the protocol ${JSON.stringify(p)}`, 'Write tcp, udp or sctp, a list of them, or all.', file);
    if (!out.includes(proto)) out.push(proto);
  }
  return out;
}

/**
 * `port` as numbers and `from-to` ranges (service names looked up for the jail's first protocol,
 * tcp by default); undefined for every port.
 */
export function resolvePorts(
  value: PortInput | undefined,
  protocols: readonly PortProtocol[] | undefined,
  path: string,
  services: ServiceNames,
  file?: string,
): string[] | undefined {
  if (value === undefined) return undefined;
  const items = (Array.isArray(value) ? value : [value]).flatMap((v) => (typeof v === 'number' ? [String(v)] : v.split(/[\s,]+/).filter(Boolean)));
  const out: string[] = [];
  for (const item of items) {
    const port = (text: string): number => {
      if (/^[0-9]{1,5}$/.test(text)) {
        const n = Number(text);
        if (n <= 65535) return n;
      } else if (/^[a-z][a-z0-9_.+-]{0,63}$/i.test(text)) {
        for (const proto of protocols?.length ? protocols : (['tcp'] as const)) {
          const n = services.lookup(text, proto);
          if (n !== undefined) return n;
        }
        throw errors.F2B_ERR_CONFIG_INVALID(
          path,
          `names the service ${JSON.stringify(text)}, which /etc/services does not list`,
          'Write the port number (22), or a service name from /etc/services (ssh, http, imaps).',
          file,
        );
      }
      throw errors.F2B_ERR_CONFIG_INVALID(
        path,
        `has ${JSON.stringify(item)}, not a port, range or service name`,
        'Write ports as 22, "ssh", "1000:2000", "ssh,2222" or a list of them.',
        file,
      );
    };
    // `from:to` (names allowed on both sides) or `from-to` of numbers: service names may hold a dash.
    const range = /^([^:]+):([^:]+)$/.exec(item) ?? /^([0-9]+)-([0-9]+)$/.exec(item);
    if (!range) {
      const n = port(item);
      if (n === 0) throw errors.F2B_ERR_CONFIG_INVALID(path, 'has port 0', 'Write a port from 1 to 65535, or leave port out for every port.', file);
      out.push(String(n));
      continue;
    }
    const [from, to] = [port(range[1]!), port(range[2]!)];
    if (from > to)
      throw errors.F2B_ERR_CONFIG_INVALID(
        path,
        `has the range ${JSON.stringify(item)}, which ends before it starts`,
        'Write the lower port first: "1000:2000".',
        file,
      );
    if (from <= 1 && to === 65535) return undefined; // every port
    out.push(from === to ? String(from) : `${Math.max(from, 1)}-${to}`);
  }
  return [...new Set(out)];
}
