/**
 * fail2ban actions (the `action` value after interpolation: `banaction`, `port`, `protocol` and the
 * `action_*` shorthands resolved) as f2b actions. Firewall bans of any kind (iptables, nftables,
 * firewalld, ufw, shorewall) become `@f2b/action-nftables` with the same ports and protocols; the
 * `*-allports` variants ban every port; `cloudflare` becomes `@f2b/action-cloudflare`, its token
 * left where it is (never copied); `dummy` becomes `log`; `route` becomes `@f2b/action-route`; the
 * mail actions become `@f2b/action-mail` through the local sendmail; a custom action whose commands
 * are simple becomes `@f2b/action-exec` (custom-action.ts). Reporting and other actions are reported.
 */
import type { ActionInput } from '@f2b/core';
import type { Item } from './items.js';
import { ports as mapPorts } from './values.js';
import { customAction } from './custom-action.js';

/** What the report says of an action: `warning` for an imported action to check, else not imported. */
export interface ActionNote {
  action: string;
  problem: string;
  fix: string;
  level?: 'warning';
}

const FIREWALL = /^(?:iptables|ip6tables|nftables|firewallcmd|shorewall|ufw|pf|npf|ipfw|bsd-ipfw|apf|ipfilter|symbiosis-blacklist)(?:-|$)/;
const ALLPORTS = /-allports$/;
const MAIL = /^(?:mail|sendmail)(?:-|$)/;
const ROUTE_TYPES = new Set(['blackhole', 'unreachable', 'prohibit']);
const REPORTING =
  /^(?:smtp\.py|complain|mynetwatchman|xarf-login-attack|abuseipdb|blocklist_de|dshield|badips|ipthreat|apprise|nsupdate|netscaler|osx-|nginx-block-map|hostsdeny)/;
// Arguments the firewall mapping reads, or that only name fail2ban's own chains and tables.
const FIREWALL_ARGS = new Set([
  'port',
  'protocol',
  'chain',
  'name',
  'actname',
  'blocktype',
  'returntype',
  'bantime',
  'actionstart_on_demand',
  'actionrepair_on_unban',
  'lockingopt',
  'iptables',
  'type',
]);

/**
 * Map a jail's action items; `jail` names sets when one jail needs two nftables actions; `dir` is the
 * imported directory, where a custom action's `action.d` file is read.
 */
export function mapActions(items: readonly Item[], jail: string, dir?: string): { actions: ActionInput[]; notes: ActionNote[] } {
  const notes: ActionNote[] = [];
  const firewall: { ports?: (string | number)[]; protocols: string[]; blocktype?: 'drop' | 'reject'; hook?: 'forward'; name: string }[] = [];
  const others: ActionInput[] = [];
  for (const item of items) {
    const name = item.name.replace(/\.(?:conf|local)$/, '');
    if (FIREWALL.test(name)) {
      const one = firewallAction(item, name, jail, notes);
      if (!one) continue;
      // fail2ban needs one action per protocol (nsd: tcp and udp); f2b takes a protocol list.
      const same = firewall.find((f) => JSON.stringify(f.ports) === JSON.stringify(one.ports) && f.blocktype === one.blocktype && f.hook === one.hook);
      if (same) same.protocols = [...new Set([...same.protocols, ...one.protocols])];
      else firewall.push(one);
    } else if (name === 'cloudflare' || name === 'cloudflare-token') {
      others.push({ type: 'cloudflare', tokenEnv: 'CLOUDFLARE_API_TOKEN' });
      notes.push({
        action: item.name,
        problem: 'was imported as the cloudflare action, without its credentials (a token is never copied into a config file)',
        fix: 'Put an API token with the "Account Firewall Access Rules: Edit" permission in $CLOUDFLARE_API_TOKEN (or set tokenFile), and add zoneId or accountId (see @f2b/action-cloudflare).',
      });
    } else if (name === 'dummy') {
      others.push('log');
    } else if (name === 'route') {
      const blocktype = (item.args.get('blocktype') ?? 'unreachable').trim().toLowerCase();
      others.push({ type: 'route', blocktype: ROUTE_TYPES.has(blocktype) ? blocktype : 'unreachable' });
      if (!ROUTE_TYPES.has(blocktype))
        notes.push({
          action: item.name,
          problem: `has blocktype ${JSON.stringify(blocktype)}`,
          fix: 'Imported as unreachable; the route action takes blackhole, unreachable or prohibit.',
        });
    } else if (MAIL.test(name)) {
      others.push(mailAction(item, name));
    } else if (REPORTING.test(name)) {
      notes.push({
        action: item.name,
        problem: 'reports or acts outside the firewall; f2b has no equivalent action',
        fix: 'Leave it out, or write an action plugin (`npm init @f2b/plugin`).',
      });
    } else {
      const custom = dir ? customAction(dir, name) : { ok: false as const, problem: 'is not a fail2ban action f2b knows an equivalent of' };
      if (custom.ok) {
        others.push(custom.action as ActionInput);
        notes.push({
          action: item.name,
          problem: 'was imported as an exec action running its commands (argv, no shell)',
          fix: 'Check the program paths and arguments; see @f2b/action-exec.',
          level: 'warning',
        });
      } else {
        notes.push({
          action: item.name,
          problem: custom.problem,
          fix: 'Choose an f2b action (nftables, ipset, route, mail, webhook, exec with a script of yours; `f2b plugins` lists those installed).',
        });
      }
    }
  }
  const actions: ActionInput[] = firewall.map((f) => {
    const a: Record<string, unknown> = { type: 'nftables' };
    if (f.ports) a.ports = f.ports;
    const protocols = f.protocols.filter((p) => p !== 'tcp' || f.protocols.length > 1);
    if (f.ports && protocols.length > 0) a.protocol = protocols.length === 1 ? protocols[0] : protocols;
    if (f.blocktype) a.blocktype = f.blocktype;
    if (f.hook) a.hook = f.hook;
    if (firewall.length > 1) a.name = f.name;
    return a as ActionInput;
  });
  return { actions: [...actions, ...others], notes };
}

function firewallAction(item: Item, name: string, jail: string, notes: ActionNote[]) {
  const allports = ALLPORTS.test(name);
  let ports: (string | number)[] | undefined;
  if (!allports && item.args.has('port')) {
    const p = mapPorts(item.args.get('port')!);
    if (!p.ok) {
      notes.push({ action: item.name, problem: `has port ${p.problem}`, fix: p.fix });
      return null;
    }
    ports = p.value;
  }
  const protocol = (item.args.get('protocol') ?? 'tcp').trim().toLowerCase();
  const protocols = protocol === 'all' ? [] : protocol.split(/[\s,]+/).filter(Boolean);
  for (const p of protocols) {
    if (!['tcp', 'udp', 'sctp'].includes(p)) {
      notes.push({
        action: item.name,
        problem: `has protocol ${JSON.stringify(p)}, which f2b's nftables action does not filter by`,
        fix: 'Use tcp, udp or sctp, or leave ports out to ban every protocol.',
      });
      return null;
    }
  }
  const chain = item.args.get('chain')?.trim();
  let hook: 'forward' | undefined;
  if (chain && /^forward$/i.test(chain)) hook = 'forward';
  else if (chain && !/^(?:input|<known\/chain>|f2b-.*)$/i.test(chain)) {
    notes.push({
      action: item.name,
      problem: `bans in the chain ${JSON.stringify(chain)}; f2b's nftables action uses its own table and an input (or forward) hook`,
      fix: 'Imported with the input hook; for routed or container traffic set hook: forward (or chain: for an existing nft chain such as DOCKER-USER).',
    });
  }
  const blocktype = /reject/i.test(item.args.get('blocktype') ?? '')
    ? ('reject' as const)
    : /^drop$/i.test(item.args.get('blocktype') ?? '')
      ? ('drop' as const)
      : undefined;
  for (const key of item.args.keys()) {
    if (!FIREWALL_ARGS.has(key))
      notes.push({
        action: item.name,
        problem: `has the argument ${key}, which f2b's nftables action has no equivalent of`,
        fix: 'Check the imported action; see the options of @f2b/action-nftables.',
      });
  }
  const setName = `${jail}-${protocols.join('-') || 'all'}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 40);
  return {
    ...(ports ? { ports } : {}),
    protocols: ports ? (protocols.length ? protocols : ['tcp']) : [],
    ...(blocktype ? { blocktype } : {}),
    ...(hook ? { hook } : {}),
    name: setName,
  };
}

/** fail2ban's mail actions (`dest`, `sender`; the whois, lines and buffered variants) as the mail action. */
function mailAction(item: Item, name: string): ActionInput {
  const to = item.args.get('dest')?.trim();
  const from = item.args.get('sender')?.trim();
  const plain = (a: string | undefined) => (a && /^[^\s@<>"]+@[^\s@<>"]+$/.test(a) ? a : undefined);
  const action: Record<string, unknown> = { type: 'mail', to: plain(to) ?? 'root@localhost', transport: 'sendmail' };
  if (plain(from)) action.from = from;
  if (/whois|geoip/.test(name)) action.whois = 'local';
  if (/buffered/.test(name)) action.mode = 'digest';
  return action as ActionInput;
}
