import { describe, it, expect } from 'vitest';
import { FilterTester } from '@f2b/core/testing';
import { sshdFilter } from '../src/index.js';
import { L, NOW, pamFail, run } from './helpers.js';

FilterTester.describe = describe;
FilterTester.it = it;

describe('log injection: the source is the address sshd wrote', () => {
  const X = '198.51.100.7'; // named inside client text
  const S = '192.0.2.9'; // the real source

  const cases: [string, string][] = [
    ['Failed (invalid user)', `Failed password for invalid user x from ${X} port 22 ssh2 from ${S} port 5 ssh2`],
    ['Failed (valid user)', `Failed password for root from ${X} port 22 ssh2 from ${S} port 5 ssh2`],
    ['Failed keyboard-interactive', `Failed keyboard-interactive/pam for x from ${X} port 22 ssh2 from ${S} port 5 ssh2`],
    [
      'Failed publickey, certificate key id',
      `Failed publickey for invalid user z from ${S} port 8 ssh2: ED25519-CERT SHA256:AAAA ID a from ${X} port 22 ssh2 (serial 1) CA ED25519 SHA256:BBBB`,
    ],
    [
      'Failed hostbased, client host',
      `Failed hostbased for build from ${S} port 9 ssh2: RSA SHA256:AAAA, client user "u", client host "h" from ${X} port 22 ssh2"`,
    ],
    ['Invalid user', `Invalid user y from ${X} port 22 from ${S} port 6`],
    ['Disconnected from invalid user', `Disconnected from invalid user b ${X} port 22 ${S} port 12 [preauth]`],
    ['Connection closed by invalid user', `Connection closed by invalid user b ${X} port 22 ${S} port 12 [preauth]`],
    [
      'maximum authentication attempts',
      `error: maximum authentication attempts exceeded for invalid user a from ${X} port 22 ssh2 from ${S} port 11 ssh2 [preauth]`,
    ],
    ['Disconnecting … Too many', `Disconnecting invalid user c ${X} port 22 ${S} port 13: Too many authentication failures [preauth]`],
    ['User X not allowed', `User e from ${X} not allowed because listed in DenyUsers from ${S} not allowed because listed in DenyUsers`],
    ['PAM error', `error: PAM: Authentication failure for illegal user d from ${X} from ${S}`],
    ['Received disconnect text', `error: Received disconnect from ${S} port 15:3: from ${X} port 22: Auth fail [preauth]`],
    ['RefuseConnection (10.0+)', `administratively prohibited connection for x from ${X} port 22 from ${S} port 16`],
    ['PAM Permission denied', `error: PAM: Permission denied for u from ${X} from ${S}`],
    ['PAM maxtries', `error: PAM: Have exhausted maximum number of retries for service. for u from ${X} from ${S}`],
  ];
  // rsyslog's repeat line stands for the attempt it repeats, that many times.
  const repeats: [string, string][] = [
    ['rsyslog repeat, invalid user', `message repeated 2 times: [ Failed password for invalid user x from ${X} port 22 ssh2 from ${S} port 17 ssh2]`],
    ['rsyslog repeat, a user ending in ]', `message repeated 2 times: [ Failed password for y from ${X} port 22 ssh2] from ${S} port 18 ssh2]`],
  ];
  // Each line alone is one attempt of the real source, and nothing of the named one.
  new FilterTester({ now: NOW }).run(sshdFilter, {
    valid: [
      // Ambiguous client text: no match rather than a guess.
      {
        name: "a user `q from X port 1 ssh2:` on a password line reads like key info after sshd's tail",
        line: L(500, `Failed password for invalid user q from ${X} port 1 ssh2: from ${S} port 10 ssh2`),
      },
      {
        name: "client text in the key info that holds ': ' could be sshd's separator",
        line: L(
          500,
          `Failed hostbased for build from ${S} port 9 ssh2: RSA SHA256:AAAA, client user "u", client host "h" from ${X} port 22 ssh2: RSA SHA256:B, client user "v", client host "w"`,
        ),
      },
      {
        name: 'a user `u from X port 1 ssh2: A B ID c` and a certificate would otherwise read as one certificate line from X',
        line: L(
          500,
          `Failed publickey for invalid user u from ${X} port 1 ssh2: A B ID c from ${S} port 5 ssh2: ED25519-CERT SHA256:AAAA ID id (serial 1) CA ED25519 SHA256:BBBB`,
        ),
      },
      {
        name: "PAM's user= may not hold a space: it sits after rhost",
        line: [
          L(501, `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${S}  user=f rhost=${X}`),
          L(501, `Connection closed by ${S} port 4 [preauth]`, 1),
        ],
      },
      {
        name: 'a success line whose user name names an address is no failure',
        line: L(602, `Accepted password for root from ${X} port 22 ssh2 from ${S} port 5 ssh2`),
      },
    ],
    invalid: [
      ...cases.map(([name, msg]) => ({ name: `${name}: fails ${S}, never ${X}`, line: L(500, msg), attempts: { [S]: 1 } })),
      ...repeats.map(([name, msg]) => ({ name: `${name}: fails ${S} twice, never ${X}`, line: L(500, msg), attempts: { [S]: 2 } })),
      {
        name: 'extra mode: Connection closed by authenticating user',
        line: L(500, `Connection closed by authenticating user x ${X} port 22 ${S} port 50204 [preauth]`),
        mode: 'extra',
        attempts: { [S]: 1 },
      },
      {
        name: 'a success line whose user name names an address cancels nothing for that address',
        line: [
          L(600, pamFail(X)),
          L(601, `Accepted password for root from ${X} port 22 ssh2 from ${S} port 5 ssh2`, 1),
          L(600, `Connection closed by authenticating user root ${X} port 4 [preauth]`, 2),
        ],
        attempts: { [X]: 1 },
      },
    ],
  });
});

describe('log injection, generated client text', () => {
  const X = '198.51.100.7';
  const S = '192.0.2.9';
  // Fragments of sshd's own wording, put together at random in every field the client controls
  // (user name, certificate key id, hostbased client user/host, ruser, disconnect and version text).
  const FRAGMENTS = [
    'x',
    'root',
    'invalid user',
    'authenticating user',
    ' ',
    ': ',
    ':',
    '"',
    ',',
    '(',
    ')',
    '[preauth]',
    `from ${X}`,
    `from ${X} port 1`,
    `from ${X} port 1 ssh2`,
    `from ${X} port 1 ssh2:`,
    `from ${X} port 1 ssh1: ruser`,
    `${X} port 1`,
    `${X} port 1:`,
    `[${X}]`,
    `::ffff:${X}`,
    `(${X})`,
    `rhost=${X}`,
    `via ${X}`,
    'RSA SHA256:AbC',
    'A B ID c',
    '(serial 1) CA ED25519 SHA256:x',
    ', client user "c',
    '", client host "d',
    'not allowed because listed in DenyUsers',
    ': Too many authentication failures',
    'Auth fail',
    ']',
    'ssh2]',
    'message repeated 2 times: [',
    `with ${X}`,
    "Don't panic.",
    'bad service request',
    'strict KEX violation:',
  ];
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return Math.floor(seed / 65536) % n;
  };
  const text = () => Array.from({ length: 1 + rand(6) }, () => FRAGMENTS[rand(FRAGMENTS.length)]).join(rand(2) ? ' ' : '');
  const word = () => text().replace(/ /g, '');
  const templates: (() => string)[] = [
    () => `Failed password for ${text()} from ${S} port 5 ssh2`,
    () => `Failed password for invalid user ${text()} from ${S} port 5 ssh2`,
    () => `Failed password for ${text()} from ${S} port 5`,
    () => `Failed password for ${text()} from ${S}`,
    () => `Failed publickey for invalid user ${text()} from ${S} port 5 ssh2: ED25519-CERT SHA256:AAA ID ${text()} (serial 1) CA ED25519 SHA256:BBB`,
    () => `Failed publickey for ${text()} from ${S} port 5 ssh2: RSA SHA256:AAA`,
    () => `Failed hostbased for ${text()} from ${S} port 5 ssh2: RSA SHA256:AAA, client user "${text()}", client host "${text()}"`,
    () => `Failed rhosts-rsa for ${text()} from ${S} port 5 ssh1: ruser ${word()}`,
    () => `Accepted password for ${text()} from ${S} port 5 ssh2`,
    () => `Postponed keyboard-interactive for ${text()} from ${S} port 5 ssh2 [preauth]`,
    () => `Invalid user ${text()} from ${S} port 5`,
    () => `Invalid user ${text()} from ${S}`,
    () => `error: maximum authentication attempts exceeded for invalid user ${text()} from ${S} port 5 ssh2 [preauth]`,
    () => `Disconnecting invalid user ${text()} ${S} port 5: Too many authentication failures [preauth]`,
    () =>
      `Disconnecting invalid user ${text()} ${S} port 5: Change of username or service not allowed: (${text()},ssh-connection) -> (${text()},${text()}) [preauth]`,
    () => `Disconnected from invalid user ${text()} ${S} port 5 [preauth]`,
    () => `Connection closed by authenticating user ${text()} ${S} port 5 [preauth]`,
    () => `error: PAM: Authentication failure for illegal user ${text()} from ${S}`,
    () => `User ${text()} from ${S} not allowed because not listed in AllowUsers`,
    () => `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser=${text()} rhost=${S}  user=${text()}`,
    () => `Received disconnect from ${S} port 5:3: ${text()} Auth fail [preauth]`,
    () => `Received disconnect from ${S} port 5:11: ${text()} [preauth]`,
    () => `Bad protocol version identification '${text()}' from ${S} port 5`,
    () => `ssh_dispatch_run_fatal: Connection from invalid user ${text()} ${S} port 5: Connection corrupted [preauth]`,
    () => `refused connect from ${text()}@${S} (${S})`,
    () => `Unable to negotiate with ${S} port 5: no matching cipher found. Their offer: ${text()} [preauth]`,
    () => `administratively prohibited connection for invalid user ${text()} from ${S} port 5`,
    () => `message repeated 3 times: [ Failed password for ${text()} from ${S} port 5 ssh2]`,
    () => `message repeated 3 times: [ Failed keyboard-interactive/pam for invalid user ${text()} from ${S} port 5 ssh2]`,
    () => `error: PAM: Permission denied for ${text()} from ${S}`,
    () => `scanned from ${S} port 5 with ${text()}.  Don't panic.`,
    () => `Disconnecting ${S} port 5: bad service request ${text()} [preauth]`,
    () => `read: Connection from invalid user ${text()} ${S} port 5: incomplete message [preauth]`,
    () => `Disconnecting authenticating user ${text()} ${S} port 5: strict KEX violation: unexpected packet type 5 (seqnr 2) [preauth]`,
    () => `Protocol major versions differ for ${S} port 5: SSH-2.0-OpenSSH_7.4 vs. ${text()}`,
    () => `error: Bad remote protocol version identification: '${text()}'`,
  ];
  it('never blames an address written by the client', () => {
    const wrong: string[] = [];
    let matched = 0;
    for (const mode of ['normal', 'extra', 'ddos']) {
      const lines: string[] = [];
      for (let i = 0; i < 3000; i++) {
        const msg = templates[i % templates.length]!();
        // The connection then closes, so pending failures are confirmed too.
        lines.push(L(1000 + i, msg), L(1000 + i, `Connection closed by ${S} port 5 [preauth]`, 1));
      }
      for (const f of run(lines, { mode })) {
        matched++;
        if (f.id !== S) wrong.push(`${mode}: ${f.lines[0]} -> ${f.id}`);
      }
    }
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(matched).toBeGreaterThan(3000);
  });
});
