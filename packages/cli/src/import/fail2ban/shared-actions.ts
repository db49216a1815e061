/**
 * fail2ban sets the ban action once (`banaction` in [DEFAULT]) and the ports per jail (`port`); the
 * imported config says it the same way when it can: `defaults.actions` once, and `port`/`protocol`
 * per jail, which the nftables action reads from the jail. That holds when every imported jail ends
 * up with the same actions once its one nftables action's ports are taken out; otherwise (a jail
 * with an action of its own, two firewall actions, an action that could not be imported) each jail
 * keeps its full list, as before.
 */
import type { ImportedJail } from './importer.js';
import type { Origin, OutValue } from './jail.js';

/** The action value's origins that are the jail's ports, not the action. */
const PORT_NAMES = new Set(['port', 'protocol']);

interface Split {
  actions: unknown[];
  port?: unknown;
  protocol?: unknown;
}

/**
 * Move the actions every jail shares into `defaults` (and out of `recidive` when it has the same),
 * writing each jail's ports as its `port`/`protocol`. Returns the new values; the inputs stay as they are.
 */
export function shareActions(
  defaults: OutValue[],
  jails: ImportedJail[],
  recidive: OutValue[] | null,
): { defaults: OutValue[]; jails: ImportedJail[]; recidive: OutValue[] | null } {
  const unchanged = { defaults, jails, recidive };
  if (jails.length === 0) return unchanged;
  const splits = jails.map((j) => {
    const v = j.values.find((x) => x.key === 'actions');
    return v ? { value: v, split: split(v.value as unknown[]) } : undefined;
  });
  if (splits.some((s) => !s || !s.split)) return unchanged;
  const shared = JSON.stringify(splits[0]!.split!.actions);
  if (splits.some((s) => JSON.stringify(s!.split!.actions) !== shared)) return unchanged;

  const origins = new Map<string, Origin>();
  for (const s of splits) for (const o of s!.value.from) if (!PORT_NAMES.has(o.name)) origins.set(`${o.name}\0${o.where}`, o);
  const actions: OutValue = { key: 'actions', value: splits[0]!.split!.actions, from: [...origins.values()] };
  const portsFrom = (v: OutValue, name: string) => v.from.filter((o) => o.name === name);
  const out = jails.map((j, i) => {
    const { value, split: parts } = splits[i]!;
    const values = j.values.flatMap((v): OutValue[] => {
      if (v !== value) return [v];
      const ports: OutValue[] = [];
      if (parts!.port !== undefined) ports.push({ key: 'port', value: parts!.port, from: portsFrom(v, 'port') });
      if (parts!.protocol !== undefined) ports.push({ key: 'protocol', value: parts!.protocol, from: portsFrom(v, 'protocol') });
      return ports;
    });
    return { ...j, values };
  });
  const sameAsShared = (v: OutValue) => v.key === 'actions' && JSON.stringify(v.value) === shared;
  return { defaults: [...defaults, actions], jails: out, recidive: recidive && recidive.filter((v) => !sameAsShared(v)) };
}

/** The actions with the ports of their one nftables action taken out; undefined when that cannot be said per jail. */
function split(actions: unknown[]): Split | undefined {
  const firewall = actions.filter((a) => typeof a === 'object' && a !== null && (a as { type?: unknown }).type === 'nftables');
  if (firewall.length > 1) return undefined; // two sets of ports (named sets): per jail, as imported
  if (firewall.length === 0) return { actions };
  const { ports, protocol, ...rest } = firewall[0] as Record<string, unknown>;
  if (rest.allports === true || ports === undefined) return { actions };
  return {
    actions: actions.map((a) => (a === firewall[0] ? rest : a)),
    port: ports,
    ...(protocol !== undefined ? { protocol } : {}),
  };
}
