#!/usr/bin/env node
// Entry point of the `dxp` CLI. tsx runs the TypeScript sources (and users' TypeScript task modules).
require('tsx/cjs');
require('../client/cli').main(process.argv);
