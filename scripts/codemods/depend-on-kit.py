#!/usr/bin/env python3
"""Give plugin packages a run-time dependency on @f2b/kit (package.json) and a tsc reference to it
(tsconfig.json), editing the text in place so the files keep their layout.
Usage: python3 scripts/codemods/depend-on-kit.py packages/filter-sshd …"""
import re, sys

for pkg in sys.argv[1:]:
    p = f'{pkg}/package.json'; s = open(p).read()
    if '"@f2b/kit"' not in s:
        if re.search(r'"dependencies":\s*\{\s*\}', s):
            s = re.sub(r'"dependencies":\s*\{\s*\}', '"dependencies": {\n    "@f2b/kit": "^0.2.0"\n  }', s, count=1)
        elif '"dependencies": {' in s:
            s = s.replace('"dependencies": {', '"dependencies": {\n    "@f2b/kit": "^0.2.0",', 1)
        else:
            s = re.sub(r'\n  "peerDependencies"', '\n  "dependencies": {\n    "@f2b/kit": "^0.2.0"\n  },\n  "peerDependencies"', s, count=1)
        open(p, 'w').write(s); print(p)
    t = f'{pkg}/tsconfig.json'; s = open(t).read()
    if '"../kit"' not in s:
        s = s.replace('{ "path": "../core" }', '{ "path": "../kit" }, { "path": "../core" }', 1)
        open(t, 'w').write(s); print(t)
