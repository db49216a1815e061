#!/usr/bin/env node
// A committed entry point, so that npm links the `f2b` command at install time, before `tsc -b`
// has produced dist/. CommonJS (bin/package.json): it loads the program with `require` (an ES module
// without top-level await, Node ≥ 20.19), without the ES loader's asynchronous entry; where Node
// cannot require it, import() does.
'use strict';
try {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- this entry is CommonJS (bin/package.json)
  require('../dist/bin.js');
} catch (err) {
  if (err.code !== 'ERR_REQUIRE_ESM' && err.code !== 'ERR_REQUIRE_ASYNC_MODULE') throw err;
  import('../dist/bin.js');
}
