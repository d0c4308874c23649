#!/usr/bin/env node
// Entry point of the `dxp` CLI.
//
// Installed (npm), the package has only the compiled dist/ and no TypeScript sources: run dist,
// no tsx. In a checkout of the repository the sources sit next to this file: run them through
// tsx, so `node bin/dxp.js` works without a build. The rule is "sources present", not "dist
// present": a checkout may hold a dist/ from an older `npm pack`, and preferring it would
// silently run stale code. (A user's TypeScript task module registers tsx on its own, see
// activities/tasks/load-module.ts.)
const { existsSync } = require('node:fs');
const { join } = require('node:path');

if (existsSync(join(__dirname, '..', 'client', 'cli.ts'))) {
  require('tsx/cjs');
  require('../client/cli').main(process.argv);
} else {
  // The compiled CommonJS require()s ESM-only dependencies (hyparquet): Node 20.19+ or 22.12+
  // do that without a flag (package.json engines). Say so in one line rather than ERR_REQUIRE_ESM.
  if (!process.features.require_module) {
    process.stderr.write(`dxp needs Node.js 20.19+ or 22.12+ (this is ${process.version}): it loads ES modules with require().\n`);
    process.exit(2);
  }
  require('../dist/client/cli').main(process.argv);
}
