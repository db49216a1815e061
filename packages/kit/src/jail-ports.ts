/**
 * A jail's `port`/`protocol` (the action context's `ports`/`protocols`) as the default of a firewall
 * action's own `ports`/`protocol` options: what the action's options say wins; the jail's protocols
 * apply only where there are ports (a protocol alone restricts nothing in fail2ban either).
 */
export interface JailPortsContext {
  ports?: readonly string[];
  protocols?: readonly ('tcp' | 'udp' | 'sctp')[];
}

export function withJailPorts<O extends { ports?: (number | string)[]; protocol?: P | P[]; allports?: boolean }, P extends string = 'tcp' | 'udp' | 'sctp'>(
  options: O,
  jail: JailPortsContext,
): O {
  if (options.allports === true) return options;
  const ports = options.ports ?? (jail.ports ? [...jail.ports] : undefined);
  if (ports === undefined) return options;
  const protocol = options.protocol ?? (jail.protocols ? ([...jail.protocols] as P[]) : undefined);
  return { ...options, ports, ...(protocol !== undefined ? { protocol } : {}) };
}
