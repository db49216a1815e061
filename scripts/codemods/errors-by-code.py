#!/usr/bin/env python3
"""Codemod of issue 14 item 4: error factories named after functions become rows keyed by code.

Run from the repository root: `python3 scripts/codemods/errors-by-code.py [files or dirs…]`
(default: packages/*/src, packages/*/test, test, scripts). Idempotent; prints the files it changed.
Arguments are parsed with brackets and string literals respected, so multi-line calls are rewritten too.
"""
import os, re, sys

# (table object, old name) -> (new name, how the arguments change)
SAME = lambda a: a
RENAMES = {
  ('errors', 'configInvalid'): ('F2B_ERR_CONFIG_INVALID', SAME),
  ('errors', 'configNotFound'): ('F2B_ERR_CONFIG_NOT_FOUND', SAME),
  ('errors', 'configParse'): ('F2B_ERR_CONFIG_PARSE', SAME),
  ('errors', 'configUntrusted'): ('F2B_ERR_CONFIG_UNTRUSTED', SAME),
  ('errors', 'configLimit'): ('F2B_ERR_CONFIG_LIMIT', SAME),
  ('errors', 'pluginNotFound'): ('F2B_ERR_PLUGIN_NOT_FOUND', SAME),
  ('errors', 'filterNotFound'): ('F2B_ERR_FILTER_NOT_FOUND', SAME),
  ('errors', 'pluginUntrusted'): ('F2B_ERR_PLUGIN_UNTRUSTED', SAME),
  ('errors', 'pluginInvalid'): ('F2B_ERR_PLUGIN_INVALID', SAME),
  ('errors', 'pluginVersionMismatch'): ('F2B_ERR_PLUGIN_VERSION_MISMATCH', SAME),
  ('errors', 'pluginOptions'): ('F2B_ERR_PLUGIN_OPTIONS', SAME),
  ('errors', 'pluginHook'): ('F2B_ERR_PLUGIN_HOOK', SAME),
  ('errors', 'patternInvalid'): ('F2B_ERR_PATTERN_INVALID', lambda a: [f'{{ filter: {a[0]}, rule: {a[1]} }}', *a[2:]]),
  ('errors', 'patternInvalidIn'): ('F2B_ERR_PATTERN_INVALID', SAME),
  ('errors', 'patternUnsupported'): ('F2B_ERR_PATTERN_UNSUPPORTED', SAME),
  ('errors', 'modeUnknown'): ('F2B_ERR_MODE_UNKNOWN', SAME),
  ('errors', 'durationInvalid'): ('F2B_ERR_DURATION_INVALID', SAME),
  ('errors', 'durationOutOfRange'): ('F2B_ERR_DURATION_INVALID', lambda a: [a[0], a[1], f'{{ problem: {a[2]}, fix: {a[3]} }}']),
  ('errors', 'addressInvalid'): ('F2B_ERR_ADDRESS_INVALID', SAME),
  ('errors', 'timezoneInvalid'): ('F2B_ERR_TIMEZONE_INVALID', SAME),
  ('errors', 'sourceFailed'): ('F2B_ERR_SOURCE', SAME),
  ('errors', 'actionFailed'): ('F2B_ERR_ACTION', SAME),
  ('errors', 'actionTimeout'): ('F2B_ERR_ACTION_TIMEOUT', SAME),
  ('errors', 'stateUnavailable'): ('F2B_ERR_STATE_UNAVAILABLE', SAME),
  ('errors', 'statePathIsDirectory'): ('F2B_ERR_STATE_PATH', SAME),
  ('errors', 'stateDirUnusable'): ('F2B_ERR_STATE_DIR', SAME),
  ('errors', 'stateReadonly'): ('F2B_ERR_STATE_READONLY', SAME),
  ('errors', 'stateLocked'): ('F2B_ERR_STATE_LOCKED', SAME),
  ('errors', 'stateVersion'): ('F2B_ERR_STATE_VERSION', SAME),
  ('errors', 'stateCorrupt'): ('F2B_ERR_STATE_CORRUPT', SAME),
  ('errors', 'usage'): ('F2B_ERR_USAGE', SAME),
  ('errors', 'nothingWatched'): ('F2B_ERR_JAIL_WATCHES_NOTHING', SAME),
  ('errors', 'noJailWatches'): ('F2B_ERR_NOTHING_WATCHED', SAME),
  ('errors', 'banRefused'): ('F2B_ERR_BAN_REFUSED', SAME),
  ('controlErrors', 'malformed'): ('F2B_ERR_CONTROL_MALFORMED', SAME),
  ('controlErrors', 'version'): ('F2B_ERR_CONTROL_VERSION', SAME),
  ('controlErrors', 'tooLarge'): ('F2B_ERR_CONTROL_TOO_LARGE', SAME),
  ('controlErrors', 'unknownCommand'): ('F2B_ERR_CONTROL_UNKNOWN_COMMAND', SAME),
  ('controlErrors', 'badArgs'): ('F2B_ERR_CONTROL_BAD_ARGS', SAME),
  ('controlErrors', 'unknownJail'): ('F2B_ERR_CONTROL_UNKNOWN_JAIL', SAME),
  ('controlErrors', 'unsupported'): ('F2B_ERR_CONTROL_UNSUPPORTED', SAME),
  ('controlErrors', 'stopping'): ('F2B_ERR_CONTROL_STOPPING', SAME),
  ('controlErrors', 'inUse'): ('F2B_ERR_CONTROL_IN_USE', SAME),
  ('controlErrors', 'occupied'): ('F2B_ERR_CONTROL_SOCKET', lambda a: [a[0], f'{{ occupied: {a[1]} }}']),
  ('controlErrors', 'listen'): ('F2B_ERR_CONTROL_SOCKET', lambda a: [a[0], f'{{ cause: {a[1]} }}']),
  ('controlErrors', 'noRuntimeDir'): ('F2B_ERR_CONTROL_NO_RUNTIME_DIR', SAME),
  ('controlErrors', 'untrusted'): ('F2B_ERR_CONTROL_UNTRUSTED', SAME),
  ('controlErrors', 'notRunning'): ('F2B_ERR_CONTROL_NOT_RUNNING', SAME),
  ('controlErrors', 'permission'): ('F2B_ERR_CONTROL_PERMISSION', SAME),
  ('controlErrors', 'timeout'): ('F2B_ERR_CONTROL_TIMEOUT', SAME),
  ('controlErrors', 'closed'): ('F2B_ERR_CONTROL_CLOSED', SAME),
  ('controlErrors', 'protocol'): ('F2B_ERR_CONTROL_PROTOCOL', SAME),
  ('nftErrors', 'options'): ('F2B_ERR_NFT_OPTIONS', SAME),
  ('nftErrors', 'notFound'): ('F2B_ERR_NFT_NOT_FOUND', SAME),
  ('nftErrors', 'netns'): ('F2B_ERR_NFT_NETNS', SAME),
  ('nftErrors', 'permission'): ('F2B_ERR_NFT_PERMISSION', SAME),
  ('nftErrors', 'unsupported'): ('F2B_ERR_NFT_UNSUPPORTED', SAME),
  ('nftErrors', 'chainMissing'): ('F2B_ERR_NFT_CHAIN_MISSING', SAME),
  ('nftErrors', 'failed'): ('F2B_ERR_NFT_FAILED', SAME),
  ('nftErrors', 'timeout'): ('F2B_ERR_NFT_FAILED', lambda a: [f'{{ ms: {a[0]} }}']),
  ('nftErrors', 'element'): ('F2B_ERR_NFT_ELEMENT', SAME),
  ('nftErrors', 'address'): ('F2B_ERR_NFT_ADDRESS', SAME),
  ('journaldErrors', 'missing'): ('F2B_ERR_JOURNALCTL_MISSING', SAME),
  ('journaldErrors', 'cannotStart'): ('F2B_ERR_JOURNALCTL_START', SAME),
  ('journaldErrors', 'exited'): ('F2B_ERR_JOURNALCTL_EXITED', SAME),
  ('journaldErrors', 'cursorRejected'): ('F2B_ERR_JOURNALD_CURSOR', SAME),
  ('journaldErrors', 'sinceRejected'): ('F2B_ERR_JOURNALD_SINCE', SAME),
  ('journaldErrors', 'stateFile'): ('F2B_ERR_JOURNALD_STATE_FILE', SAME),
  ('cfErrors', 'options'): ('F2B_ERR_CF_OPTIONS', SAME),
  ('cfErrors', 'inlineToken'): ('F2B_ERR_CF_OPTIONS', lambda a: [f'{{ inlineToken: {a[0]} }}']),
  ('cfErrors', 'tokenMissing'): ('F2B_ERR_CF_TOKEN', SAME),
  ('cfErrors', 'auth'): ('F2B_ERR_CF_AUTH', SAME),
  ('cfErrors', 'api'): ('F2B_ERR_CF_API', SAME),
  ('cfErrors', 'unavailable'): ('F2B_ERR_CF_UNAVAILABLE', SAME),
  ('cfErrors', 'bulkTimeout'): ('F2B_ERR_CF_UNAVAILABLE', lambda a: [f'{{ bulkOperation: {a[0]}, seconds: {a[1]} }}']),
  ('cfErrors', 'rateLimited'): ('F2B_ERR_CF_RATE_LIMITED', SAME),
  ('cfErrors', 'bulkFailed'): ('F2B_ERR_CF_BULK_FAILED', SAME),
  ('cfErrors', 'listFull'): ('F2B_ERR_CF_LIST_FULL', SAME),
  ('cfErrors', 'target'): ('F2B_ERR_CF_TARGET', SAME),
  ('cfErrors', 'stopped'): ('F2B_ERR_CF_STOPPED', SAME),
}
# CF_CODES.x (the code constants of action-cloudflare) → the code itself, read off its table row.
CF_CODES = {'options': 'F2B_ERR_CF_OPTIONS', 'token': 'F2B_ERR_CF_TOKEN', 'auth': 'F2B_ERR_CF_AUTH', 'api': 'F2B_ERR_CF_API',
            'unavailable': 'F2B_ERR_CF_UNAVAILABLE', 'rateLimited': 'F2B_ERR_CF_RATE_LIMITED', 'bulkFailed': 'F2B_ERR_CF_BULK_FAILED',
            'listFull': 'F2B_ERR_CF_LIST_FULL', 'target': 'F2B_ERR_CF_TARGET', 'stopped': 'F2B_ERR_CF_STOPPED'}

CALL = re.compile(r'\b(errors|controlErrors|nftErrors|journaldErrors|cfErrors)\.([a-zA-Z]+)\(')

def split_args(src, start):
    """Top-level arguments of the call whose '(' is at src[start-1]; returns (args, index after ')')."""
    depth, i, args, cur, quote, tmpl = 0, start, [], [], None, []
    while i < len(src):
        c = src[i]
        if quote:
            cur.append(c)
            if c == '\\': cur.append(src[i + 1]); i += 2; continue
            if c == quote: quote = None
            elif quote == '`' and c == '$' and src[i + 1] == '{': tmpl.append(depth); depth += 1; quote = None; cur.append('{'); i += 2; continue
            i += 1; continue
        if c in '\'"`': quote = c
        elif c in '([{': depth += 1
        elif c in ')]}':
            if depth == 0:
                args.append(''.join(cur).strip()); return [a for a in args if a != ''], i + 1
            depth -= 1
            if tmpl and c == '}' and tmpl[-1] == depth: tmpl.pop(); quote = '`'
        elif c == ',' and depth == 0:
            args.append(''.join(cur).strip()); cur = []; i += 1; continue
        cur.append(c); i += 1
    raise ValueError('unbalanced call')

def rewrite(src):
    out, pos = [], 0
    for m in CALL.finditer(src):
        if m.start() < pos: continue
        key = (m.group(1), m.group(2))
        if key not in RENAMES: continue
        new, how = RENAMES[key]
        args, end = split_args(src, m.end())
        # Same arguments: keep the call's own layout; otherwise rebuild the argument list.
        body = rewrite(src[m.end():end - 1]) if how is SAME else ', '.join(how([rewrite(a) for a in args]))
        out.append(src[pos:m.start()] + f'{m.group(1)}.{new}(' + body + ')')
        pos = end
    out.append(src[pos:])
    return ''.join(out)

def inline_cf_codes(text):
    return re.sub(r'\bCF_CODES\.([a-zA-Z]+)\b', lambda m: f"'{CF_CODES[m.group(1)]}'" if m.group(1) in CF_CODES else m.group(0), text)

def files(roots):
    for root in roots:
        if os.path.isfile(root): yield root; continue
        for d, dirs, names in os.walk(root):
            dirs[:] = [x for x in dirs if x not in ('node_modules', 'dist')]
            for n in names:
                if n.endswith('.ts') and not n.endswith('.d.ts'): yield os.path.join(d, n)

if __name__ == '__main__':
    import glob
    roots = sys.argv[1:] or [*glob.glob('packages/*/src'), *glob.glob('packages/*/test'), 'test', 'scripts']
    for f in files(roots):
        if f.endswith('/errors.ts') and '/src/' in f: continue  # the tables themselves are written by hand
        src = open(f).read()
        new = rewrite(src)
        if '/src/' in f and not f.endswith('/index.ts'): new = inline_cf_codes(new)  # index.ts and tests keep the deprecated alias
        if new != src: open(f, 'w').write(new); print(f)
