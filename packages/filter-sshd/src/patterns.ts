/**
 * Pattern fragments shared by the sshd rules (RE2 syntax, matched against the message after
 * `sshd[pid]: `). Written from the messages in OpenSSH's sources (auth.c, auth2.c, auth-pam.c,
 * packet.c, sshd.c, kex.c), not from any other filter.
 *
 * Why the fragments look the way they do — log injection. A user name is whatever the client sends,
 * and sshd writes it verbatim (spaces included) *before* the address:
 *
 *   Failed password for <user> from <addr> port <p> ssh2[: <key info>]
 *
 * so a user named `x from 198.51.100.7 port 22 ssh2` makes the line contain two "from A port P"
 * tails. Three rules keep the address the one sshd wrote:
 *
 *  1. When nothing the client controls follows the address, the user is captured greedily and the
 *     pattern is anchored at `$`: the longest user wins, so the *last* tail — sshd's own — is the
 *     address (`GREEDY_USER`).
 *  2. When client-controlled text may follow the address (the `: <key info>` of Failed/Accepted
 *     lines carries a certificate's key id or a hostbased client user/host), neither the user nor
 *     the client's parts of the key info may contain `': '` (`USER_NO_COLON_SPACE`, `KEY_INFO`):
 *     sshd writes `': '` once, between `ssh2` and the key info, so it is the only one in the line and
 *     fixes where sshd's tail — and the address — is. Without key info, no key info shape can
 *     swallow sshd's `from A port P ssh2`, so a forged tail in the user cannot pose as the real one
 *     followed by key info. A line whose client text holds `': '` does not match
 *     rather than risk a wrong address (Unix account names cannot contain ':'; such attempts at
 *     non-existent users are counted by their `Invalid user` line).
 *  3. When the address comes right after fixed text (`Received disconnect from A …`), the pattern
 *     is anchored on the left and whatever follows is free.
 */

/** The optional suffix sshd's unprivileged pre-authentication child adds to what it logs. */
export const PREAUTH = '(?: \\[preauth\\])?';

/** The optional ` port 12345`. */
export const PORT = '(?: port [0-9]+)?';

/** A user name followed by sshd's own tail and nothing client-controlled: greedy (rule 1). */
export const GREEDY_USER = '(?P<user>.*)';

/** Client text without `': '` that does not end in `':'` (every `:` is followed by another character). */
export const NO_COLON_SPACE = '(?:[^:]|:+[^: ])*';

/** A user name that client text may follow (rule 2). */
export const USER_NO_COLON_SPACE = `(?P<user>${NO_COLON_SPACE})`;

/** sshkey_type(): `RSA`, `ECDSA`, `ED25519`, `ED25519-SK`, `RSA-CERT`, … */
const KEY_TYPE = '[A-Z][A-Z0-9@._-]*';

/**
 * What OpenSSH writes after `ssh2: ` (rule 2): a key (`RSA SHA256:…`, `ECDSA 1e:fe:…`), SSH-1's
 * `ruser name`, a certificate (`ED25519-CERT SHA256:… ID id (serial 7) CA ED25519 SHA256:…`), or
 * hostbased's key plus `client user "…", client host "…"`.
 * - No shape can end in `from A[ port P[ ssh2]]` (key types are upper case, a client word stands
 *   alone), so a forged tail in the user cannot pass sshd's own off as key info — not even on a
 *   daemon that writes no port.
 * - The client's parts (key id, client user and host) may not contain `': '`: else a user
 *   `u from B port 1 ssh2: A B ID c` followed by sshd's tail and a certificate would read as one
 *   certificate line from B.
 */
export const KEY_INFO =
  `(?:${KEY_TYPE} \\S+|ruser \\S+` +
  `|${KEY_TYPE} \\S+ ID ${NO_COLON_SPACE} \\(serial [0-9]+\\) CA ${KEY_TYPE} \\S+` +
  `|${KEY_TYPE} \\S+,? client user "${NO_COLON_SPACE}", client host "${NO_COLON_SPACE}")`;

/**
 * The tail of auth_log()'s lines: ` from A port P ssh2[: key info]` (OpenSSH 2/3 wrote no protocol,
 * some daemons no port).
 */
export const AUTH_TAIL = ` from <ADDR>(?: port [0-9]+(?: ssh[12](?:: ${KEY_INFO})?)?)?${PREAUTH}`;

/** `Failed`/`Accepted` lines forwarded through the kernel log on some journald setups. */
export const KERNEL_PREFIX = '(?:kernel: ?\\[ *[0-9]+\\.[0-9]+\\]:? )?';

/** `error: ` / `fatal: ` level prefixes sshd puts before some messages. */
export const LEVEL = '(?:(?:error|fatal): )?';

/**
 * How sshd names a connection in packet.c's messages: `A port P`, or
 * `authenticating user U A port P` / `invalid user U A port P` (user greedy: the address is last).
 */
export const CLOSED_BY = '(?:Connection (?:closed|reset) by|Disconnected from)';
