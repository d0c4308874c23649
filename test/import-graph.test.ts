/**
 * The source tree's import graph: no cycles (type-only imports included: a cycle of types is still
 * two files that cannot be read apart), and every layer imports only the layers below it (the
 * README's layout section draws the same picture). Relative imports only; packages cannot close a
 * cycle, and eslint.config.js keeps packages out of core/ and workflows/.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const root = join(__dirname, '..');
const FOLDERS = ['core', 'connection', 'activities', 'workflows', 'workers', 'client', 'bench', 'examples'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

interface Edge {
  to: string;
  /** `import type` / `export type`: erased at compile time. */
  typeOnly: boolean;
}

/** File → the files it imports (or re-exports from). */
function importEdges(files: string[]): Map<string, Edge[]> {
  const known = new Set(files);
  const resolve = (from: string, spec: string): string | undefined =>
    [`${spec}.ts`, join(spec, 'index.ts')].map((p) => normalize(join(dirname(from), p))).find((p) => known.has(p));
  return new Map(
    files.map((file) => {
      const text = readFileSync(file, 'utf8');
      const edges = [...text.matchAll(/(import|export)\s+(type\s)?[^;]*?from\s+'(\.[^']+)'/gs)].flatMap((m) => {
        const to = resolve(file, m[3]!);
        return to ? [{ to, typeOnly: m[2] !== undefined }] : [];
      });
      return [file, edges];
    }),
  );
}

function importGraph(files: string[]): Map<string, string[]> {
  return new Map([...importEdges(files)].map(([file, edges]) => [file, edges.map((e) => e.to)]));
}

/**
 * Which layers each layer may import. core/ is plain types and pure functions; connection/ is how a
 * process reaches Temporal (address, TLS, the payload codec); workflows/ and activities/ meet only
 * in core/, except the activity interfaces that proxyActivities<typeof ...>() needs (type-only);
 * workers/ and client/ assemble the rest; examples/ use the public API (index.ts) as users do.
 */
const MAY_IMPORT: Record<string, string[]> = {
  core: ['core'],
  connection: ['connection', 'core'],
  workflows: ['workflows', 'core'],
  activities: ['activities', 'core'],
  workers: ['workers', 'activities', 'workflows', 'connection', 'core'],
  client: ['client', 'workers', 'activities', 'workflows', 'connection', 'core'],
  examples: ['examples', 'index.ts'],
  'index.ts': ['client', 'workers', 'activities', 'workflows', 'connection', 'core'],
};
/** The type-only exception: workflows/ may name an activity group's interface. */
const ACTIVITY_INTERFACE = /^activities\/[a-z-]+-activities\.ts$/;

const layerOf = (file: string): string => relative(root, file).split('/')[0]!;

/** Imports that go against the direction, as "from → to". */
function reverseImports(edges: Map<string, Edge[]>): string[] {
  const found: string[] = [];
  for (const [file, targets] of edges) {
    const allowed = MAY_IMPORT[layerOf(file)];
    if (!allowed) continue; // bench/ and test/ may use anything
    for (const { to, typeOnly } of targets) {
      const target = relative(root, to);
      if (allowed.includes(layerOf(to))) continue;
      if (layerOf(file) === 'workflows' && typeOnly && ACTIVITY_INTERFACE.test(target)) continue;
      found.push(`${relative(root, file)} → ${target}`);
    }
  }
  return found.sort();
}

/** Strongly connected components of more than one file (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      for (let w = stack.pop(); w !== undefined; w = w === v ? undefined : stack.pop()) {
        onStack.delete(w);
        component.push(relative(root, w));
      }
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

test('the checker finds a cycle where there is one', () => {
  const a = join(root, 'x', 'a.ts');
  const b = join(root, 'x', 'b.ts');
  expect(cycles(new Map([[a, [b]], [b, [a]]]))).toEqual([['x/a.ts', 'x/b.ts']]);
});

const treeFiles = (): string[] => [...FOLDERS.filter((f) => existsSync(join(root, f))).flatMap((f) => sourceFiles(join(root, f))), join(root, 'index.ts')];

test('no import cycles in the source tree', () => {
  const graph = importGraph(treeFiles());
  expect([...graph.values()].flat().length).toBeGreaterThan(200);
  expect(cycles(graph)).toEqual([]);
});

test('the direction checker finds an import against it, and lets the activity interfaces through', () => {
  const file = (p: string) => join(root, p);
  const edges = new Map<string, Edge[]>([
    [file('activities/a.ts'), [{ to: file('workflows/records.ts'), typeOnly: true }]],
    [file('workflows/w.ts'), [{ to: file('activities/task-activities.ts'), typeOnly: true }, { to: file('core/records.ts'), typeOnly: false }]],
    [file('workflows/v.ts'), [{ to: file('activities/task-activities.ts'), typeOnly: false }]],
    [file('core/c.ts'), [{ to: file('client/cli.ts'), typeOnly: true }]],
  ]);
  expect(reverseImports(edges)).toEqual(['activities/a.ts → workflows/records.ts', 'core/c.ts → client/cli.ts', 'workflows/v.ts → activities/task-activities.ts']);
});

test('every layer imports only the layers below it', () => {
  const edges = importEdges(treeFiles());
  expect([...edges.keys()].filter((f) => layerOf(f) === 'core').length).toBeGreaterThan(5);
  expect(reverseImports(edges)).toEqual([]);
});
