#!/usr/bin/env python3
"""Codemod of issue 14 item 6: plugin internals import the kit's helpers from '@f2b/kit', not '@f2b/core'.

Run from the repository root: `python3 scripts/codemods/imports-from-kit.py [files…]` (default: every
src/*.ts of the plugin packages except src/index.ts). Splits `import { … } from '@f2b/core'` into the
names the kit exports (read from packages/kit/src/index.ts) and the rest. Idempotent; prints changed files.
"""
import glob, re, sys

KIT_INDEX = open('packages/kit/src/index.ts').read()
KIT = set()
for block in re.findall(r'export\s*\{([^}]*)\}', KIT_INDEX):
    for n in block.split(','):
        n = n.strip()
        if n: KIT.add(n.replace('type ', '').strip())
KIT |= set(re.findall(r'export const (\w+)', KIT_INDEX))

IMPORT = re.compile(r"import\s*\{([^}]*)\}\s*from\s*'@f2b/core';")

def split(src):
    def one(m):
        names = [n.strip() for n in m.group(1).split(',') if n.strip()]
        kit = [n for n in names if n.replace('type ', '').split(' as ')[0].strip() in KIT]
        core = [n for n in names if n not in kit]
        if not kit: return m.group(0)
        out = []
        if core: out.append(f"import {{ {', '.join(core)} }} from '@f2b/core';")
        out.append(f"import {{ {', '.join(kit)} }} from '@f2b/kit';")
        return '\n'.join(out)
    return IMPORT.sub(one, src)

PLUGINS = [p for p in glob.glob('packages/*/') if not re.search(r'/(core|cli|kit|create-plugin)/$', p)]
if __name__ == '__main__':
    files = sys.argv[1:] or [f for p in PLUGINS for f in glob.glob(p + 'src/**/*.ts', recursive=True) if not f.endswith('/src/index.ts')]
    for f in files:
        s = open(f).read(); n = split(s)
        if n != s: open(f, 'w').write(n); print(f)
