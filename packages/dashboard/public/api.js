// The daemon's JSON API (same origin; read-only). Every answer is data: the page renders it as text.

/** GET /api/<path>?<params> as JSON; throws with the daemon's message on an error status. */
export async function get(path, params = {}) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') query.set(k, String(v));
  const qs = query.toString();
  const res = await fetch(`api/${path}${qs ? `?${qs}` : ''}`, { headers: { accept: 'application/json' }, cache: 'no-store' });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(typeof body.error === 'string' ? body.error : `HTTP ${res.status}`);
  return body;
}

/**
 * Call `onChange` whenever the daemon reports a change (server-sent events), and `onState` with
 * true/false as the stream opens and drops; while it is down the page polls instead.
 */
export function listen(onChange, onState) {
  let poll = null;
  const startPolling = () => {
    poll ??= setInterval(onChange, 5000);
  };
  const stopPolling = () => {
    if (poll) clearInterval(poll);
    poll = null;
  };
  try {
    const source = new EventSource('api/events');
    source.addEventListener('open', () => {
      stopPolling();
      onState(true);
    });
    source.addEventListener('change', () => onChange());
    source.addEventListener('error', () => {
      onState(false);
      startPolling();
    });
  } catch {
    onState(false);
    startPolling();
  }
}
