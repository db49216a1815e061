import { describe, it, expect } from 'vitest';
import { L, pamFail, run, totals } from './helpers.js';

describe('log injection: the source is the address sshd wrote', () => {
  const X = '198.51.100.7'; // named inside client text
  const S = '192.0.2.9'; // the real source

  const cases: [string, string][] = [
    ['Failed (invalid user)', `Failed password for invalid user x from ${X} port 22 ssh2 from ${S} port 5 ssh2`],
    ['Failed (valid user)', `Failed password for root from ${X} port 22 ssh2 from ${S} port 5 ssh2`],
    ['Failed keyboard-interactive', `Failed keyboard-interactive/pam for x from ${X} port 22 ssh2 from ${S} port 5 ssh2`],
    ['Failed publickey, certificate key id', `Failed publickey for invalid user z from ${S} port 8 ssh2: ED25519-CERT SHA256:AAAA ID a from ${X} port 22 ssh2 (serial 1) CA ED25519 SHA256:BBBB`],
    ['Failed hostbased, client host', `Failed hostbased for build from ${S} port 9 ssh2: RSA SHA256:AAAA, client user "u", client host "h" from ${X} port 22 ssh2"`],
    ['Invalid user', `Invalid user y from ${X} port 22 from ${S} port 6`],
    ['Disconnected from invalid user', `Disconnected from invalid user b ${X} port 22 ${S} port 12 [preauth]`],
    ['Connection closed by invalid user', `Connection closed by invalid user b ${X} port 22 ${S} port 12 [preauth]`],
    ['maximum authentication attempts', `error: maximum authentication attempts exceeded for invalid user a from ${X} port 22 ssh2 from ${S} port 11 ssh2 [preauth]`],
    ['Disconnecting … Too many', `Disconnecting invalid user c ${X} port 22 ${S} port 13: Too many authentication failures [preauth]`],
    ['User X not allowed', `User e from ${X} not allowed because listed in DenyUsers from ${S} not allowed because listed in DenyUsers`],
    ['PAM error', `error: PAM: Authentication failure for illegal user d from ${X} from ${S}`],
    ['Received disconnect text', `error: Received disconnect from ${S} port 15:3: from ${X} port 22: Auth fail [preauth]`],
  ];
  for (const [name, msg] of cases) {
    it(`${name}: fails ${S}, never ${X}`, () => {
      const fs = run([L(500, msg)]);
      expect(fs.length).toBeGreaterThan(0);
      expect(fs.every((f) => f.id === S)).toBe(true);
    });
  }

  it('extra mode: Connection closed by authenticating user', () => {
    const fs = run([L(500, `Connection closed by authenticating user x ${X} port 22 ${S} port 50204 [preauth]`)], { mode: 'extra' });
    expect(totals(fs)).toEqual({ [S]: 1 });
  });

  it('does not match rather than guess when client text makes a line ambiguous', () => {
    // A user `q from X port 1 ssh2:` on a password line reads like key info after sshd's tail.
    expect(run([L(500, `Failed password for invalid user q from ${X} port 1 ssh2: from ${S} port 10 ssh2`)])).toEqual([]);
    // Client text in the key info that holds ': ' could be sshd's separator.
    expect(run([L(500, `Failed hostbased for build from ${S} port 9 ssh2: RSA SHA256:AAAA, client user "u", client host "h" from ${X} port 22 ssh2: RSA SHA256:B, client user "v", client host "w"`)])).toEqual([]);
    // A user `u from X port 1 ssh2: A B ID c` and a certificate would otherwise read as one certificate line from X.
    expect(run([L(500, `Failed publickey for invalid user u from ${X} port 1 ssh2: A B ID c from ${S} port 5 ssh2: ED25519-CERT SHA256:AAAA ID id (serial 1) CA ED25519 SHA256:BBBB`)])).toEqual([]);
    // PAM's user= may not hold a space: it sits after rhost.
    expect(run([
      L(501, `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${S}  user=f rhost=${X}`),
      L(501, `Connection closed by ${S} port 4 [preauth]`, 1),
    ])).toEqual([]);
  });

  it('a success line whose user name names an address cancels nothing for that address', () => {
    const fs = run([
      L(600, pamFail(X)),
      L(601, `Accepted password for root from ${X} port 22 ssh2 from ${S} port 5 ssh2`, 1),
      L(600, `Connection closed by authenticating user root ${X} port 4 [preauth]`, 2),
    ]);
    expect(totals(fs)).toEqual({ [X]: 1 });
    expect(run([L(602, `Accepted password for root from ${X} port 22 ssh2 from ${S} port 5 ssh2`)])).toEqual([]);
  });
});

describe('log injection, generated user names', () => {
  const X = '198.51.100.7';
  const S = '192.0.2.9';
  // Pieces of sshd's own wording: any mix of them in client text must never name X as the source.
  const TOKENS = ['from', X, `[${X}]`, `::ffff:${X}`, 'port', '22', 'ssh2', 'ssh1', ':', ': ', 'ssh2:', 'invalid user', 'user',
    'authenticating', 'RSA', 'SHA256:AbC', 'ruser', '[preauth]', 'via', 'rhost=' + X, '(serial 1)', 'CA', 'ID', '"', ',',
    'client user', 'client host', 'not allowed because listed in DenyUsers', 'Too many authentication failures', 'x'];
  let seed = 42;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const clientText = () => Array.from({ length: 1 + rand(8) }, () => TOKENS[rand(TOKENS.length)]).join(rand(3) ? ' ' : '');
  const templates: ((u: string) => string)[] = [
    (u) => `Failed password for ${u} from ${S} port 5 ssh2`,
    (u) => `Failed password for invalid user ${u} from ${S} port 5 ssh2`,
    (u) => `Failed password for ${u} from ${S} port 5`,
    (u) => `Failed password for ${u} from ${S}`,
    (u) => `Failed publickey for invalid user ${u} from ${S} port 5 ssh2: ED25519-CERT SHA256:AAA ID ${u} (serial 1) CA ED25519 SHA256:BBB`,
    (u) => `Failed hostbased for ${u} from ${S} port 5 ssh2: RSA SHA256:AAA, client user "${u}", client host "${u}"`,
    (u) => `Failed rhosts-rsa for ${u} from ${S} port 5 ssh1: ruser ${u.replace(/ .*/, '')}`,
    (u) => `Accepted password for ${u} from ${S} port 5 ssh2`,
    (u) => `Invalid user ${u} from ${S} port 5`,
    (u) => `Invalid user ${u} from ${S}`,
    (u) => `error: maximum authentication attempts exceeded for invalid user ${u} from ${S} port 5 ssh2 [preauth]`,
    (u) => `Disconnecting invalid user ${u} ${S} port 5: Too many authentication failures [preauth]`,
    (u) => `Disconnecting invalid user ${u} ${S} port 5: Change of username or service not allowed: (${u},ssh-connection) -> (${u},${u}) [preauth]`,
    (u) => `Disconnected from invalid user ${u} ${S} port 5 [preauth]`,
    (u) => `Connection closed by authenticating user ${u} ${S} port 5 [preauth]`,
    (u) => `error: PAM: Authentication failure for illegal user ${u} from ${S}`,
    (u) => `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser=${u} rhost=${S}  user=${u}`,
    (u) => `Received disconnect from ${S} port 5:3: ${u}: Auth fail [preauth]`,
    (u) => `Bad protocol version identification '${u}' from ${S} port 5`,
    (u) => `ssh_dispatch_run_fatal: Connection from invalid user ${u} ${S} port 5: Connection corrupted [preauth]`,
    (u) => `refused connect from ${u}@${S} (${S})`,
  ];
  it('never blames an address written by the client', () => {
    const wrong: string[] = [];
    for (const mode of ['normal', 'aggressive']) {
      for (let i = 0; i < 600; i++) {
        const t = templates[i % templates.length]!;
        const msg = t(clientText());
        // The same pid then closes, so pending failures are confirmed too.
        for (const f of run([L(700 + i, msg), L(700 + i, `Connection closed by ${S} port 5 [preauth]`, 1)], { mode })) {
          if (f.id !== S) wrong.push(`${mode}: ${msg} -> ${f.id}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});
