/**
 * The source tree's import graph has no cycles (type-only imports included: a cycle of types is
 * still two files that cannot be read apart). Relative imports only; packages cannot close a cycle.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const root = join(__dirname, '..');
const FOLDERS = ['activities', 'workflows', 'workers', 'client', 'bench', 'examples'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

/** File → the files it imports (or re-exports from). */
function importGraph(files: string[]): Map<string, string[]> {
  const known = new Set(files);
  const resolve = (from: string, spec: string): string | undefined =>
    [`${spec}.ts`, join(spec, 'index.ts')].map((p) => normalize(join(dirname(from), p))).find((p) => known.has(p));
  return new Map(
    files.map((file) => {
      const text = readFileSync(file, 'utf8');
      const targets = [...text.matchAll(/(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gs)].map((m) => resolve(file, m[1]!));
      return [file, targets.filter((t): t is string => t !== undefined)];
    }),
  );
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

test('no import cycles in the source tree', () => {
  const files = [...FOLDERS.filter((f) => existsSync(join(root, f))).flatMap((f) => sourceFiles(join(root, f))), join(root, 'index.ts')];
  const graph = importGraph(files);
  expect([...graph.values()].flat().length).toBeGreaterThan(200);
  expect(cycles(graph)).toEqual([]);
});
