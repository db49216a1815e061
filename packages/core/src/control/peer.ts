/**
 * Who is at the other end of a control connection: the peer's uid from the kernel (SO_PEERCRED),
 * through the optional native package `@f2b/peercred`. Without it (not installed, or not built on
 * this machine) the answer is null and the control server counts all clients as one user.
 */
import type { Socket } from 'node:net';

export type PeerUid = (socket: Socket) => number | null;

let loaded: Promise<PeerUid> | null = null;

/** The lookup, loaded once; a missing optional package is not an error. */
export function loadPeerUid(): Promise<PeerUid> {
  loaded ??= import('@f2b/peercred').then(
    (m) => (m.available ? (socket: Socket) => m.peerCredentials(socket)?.uid ?? null : unknownPeer),
    () => unknownPeer,
  );
  return loaded;
}

const unknownPeer: PeerUid = () => null;
