#!/usr/bin/env node
/**
 * `npm run build` (and `npm pack`/`npm publish` through `prepack`): the package's dist/.
 * 1. tsc -p tsconfig.build.json compiles the sources to CommonJS with .d.ts files, in the
 *    repository's layout (dist/client, dist/workflows, dist/examples, ...).
 * 2. The examples' data (specs, datasets, the scripted model's attempts: everything under
 *    examples/ that is not TypeScript) is copied next to the compiled examples, where the
 *    `__dirname`-relative paths of `dxp demo` look for it (PROJECT_ROOT is dist/ once compiled).
 * It builds into a fresh folder and then replaces dist/ with it: a source deleted since the last
 * build leaves no stale .js behind, and a failed build leaves the previous dist/ as it was.
 */
const { spawnSync } = require('node:child_process');
const { cpSync, existsSync, mkdirSync, renameSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const dist = join(root, 'dist');
// Inside the repository (rename cannot cross file systems), where lint and git do not look.
const out = join(root, 'node_modules', '.cache', `dxp-dist-${process.pid}`);

function fail(message) {
  console.error(`build: ${message}`);
  rmSync(out, { recursive: true, force: true });
  process.exit(1);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', out], {
  cwd: root,
  stdio: 'inherit',
});
if (tsc.status !== 0) fail('tsc failed');

cpSync(join(root, 'examples'), join(out, 'examples'), { recursive: true, filter: (src) => !/\.[cm]?tsx?$/.test(src) });

for (const needed of ['index.js', 'index.d.ts', 'client/cli.js', 'workflows/index.js', 'examples/demo/experiment.yaml']) {
  if (!existsSync(join(out, needed))) fail(`${needed} is missing from the build`);
}
rmSync(dist, { recursive: true, force: true });
try {
  renameSync(out, dist);
} catch (err) {
  if (err.code !== 'EXDEV') throw err;
  cpSync(out, dist, { recursive: true });
  rmSync(out, { recursive: true, force: true });
}
console.log('build: dist/ ready');
