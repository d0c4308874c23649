/**
 * docker-compose.yml cannot be run here (no Docker engine), so check what drifts silently:
 * the worker's variables, its shutdown timing, and the search attributes the workflows upsert.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { WORKER_ENV_VARS } from '../workers/config';
import { DEFAULT_TASK_QUEUE } from '../workflows/experiment-contract';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

interface Service {
  image?: string;
  build?: unknown;
  environment?: Record<string, string | number | boolean | null> | string[];
  command?: string | string[];
  stop_grace_period?: string;
  volumes?: (string | { target?: string })[];
  ports?: string[];
}

const root = path.resolve(__dirname, '..');
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };
const services = compose.services;
const worker = services.worker ?? {};

/** `environment:` as a map, whichever of its two YAML forms is used. */
function env(service: Service): Record<string, string> {
  const raw = service.environment ?? {};
  const entries = Array.isArray(raw)
    ? raw.map((line) => [line.split('=')[0] ?? '', line.split('=').slice(1).join('=')])
    : Object.entries(raw).map(([key, value]) => [key, value == null ? '' : String(value)]);
  return Object.fromEntries(entries);
}

function script(service: Service): string {
  return ([] as string[]).concat(service.command ?? []).join('\n');
}

/** Milliseconds of '45s', '1m30s', '250ms' (Compose and the worker's duration format alike). */
function toMs(duration: string): number {
  const units: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(duration)) throw new Error(`not a duration: ${duration}`);
  return [...duration.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)].reduce((sum, [, n, unit]) => sum + Number(n) * (units[unit ?? ''] ?? NaN), 0);
}

/** The host of a `host:port` address: here it must be a service of this file. */
function serviceOf(address: string | undefined): string | undefined {
  return address?.split(':')[0];
}

test('it defines Temporal on PostgreSQL, its setup, the UI and the worker', () => {
  for (const name of ['postgresql', 'temporal-admin-tools', 'temporal', 'temporal-ui', 'worker']) {
    expect(services).toHaveProperty(name);
  }
  expect(worker.build).toBeDefined();
  expect(services.temporal?.ports).toContainEqual(expect.stringMatching(/:7233$/));
});

test('the worker gets only variables it reads, and the ones it needs', () => {
  const workerEnv = env(worker);
  const known: readonly string[] = WORKER_ENV_VARS;
  expect(Object.keys(workerEnv).filter((key) => !known.includes(key))).toEqual([]);
  expect(serviceOf(workerEnv.TEMPORAL_ADDRESS)).toBe('temporal');
  // `dxp run` starts experiments on the default queue unless a spec names another.
  expect(workerEnv.DXP_TASK_QUEUE).toBe(DEFAULT_TASK_QUEUE);
  expect(workerEnv.DXP_DATA_DIR).toBeTruthy();
  const mounts = (worker.volumes ?? []).map((v) => (typeof v === 'string' ? v.split(':')[1] : v.target));
  expect(mounts).toContain(workerEnv.DXP_DATA_DIR);
});

test('the worker may drain activities for its whole grace time before Docker kills it', () => {
  const grace = env(worker).DXP_SHUTDOWN_GRACE ?? '30s'; // the worker's default
  expect(worker.stop_grace_period).toBeDefined();
  expect(toMs(worker.stop_grace_period ?? '10s')).toBeGreaterThan(toMs(grace));
});

test('setup creates exactly the search attributes the workflows use, as Keyword, in the worker namespace', () => {
  const setup = Object.values(services)
    .filter((s) => s.image?.startsWith('temporalio/admin-tools'))
    .map(script)
    .join('\n');
  const created = [...setup.matchAll(/search-attribute create\b([^\n]*)/g)].map((m) => ({
    name: /--name\s+(\S+)/.exec(m[1] ?? '')?.[1],
    type: /--type\s+(\S+)/.exec(m[1] ?? '')?.[1],
    namespace: /--namespace\s+(\S+)/.exec(m[1] ?? '')?.[1],
  }));
  expect(created.map((c) => c.name).sort()).toEqual(ALL_SEARCH_ATTRIBUTES.map((k) => k.name).sort());
  for (const { name, type, namespace } of created) {
    const key = ALL_SEARCH_ATTRIBUTES.find((k) => k.name === name);
    expect(type?.toUpperCase()).toBe(key?.type);
    expect(namespace).toBe(env(worker).TEMPORAL_NAMESPACE ?? 'default');
  }
  expect(/namespace create --namespace (\S+)/.exec(setup)?.[1]).toBe(env(worker).TEMPORAL_NAMESPACE ?? 'default');
});

test('the Web UI talks to the temporal service', () => {
  expect(serviceOf(env(services['temporal-ui'] ?? {}).TEMPORAL_ADDRESS)).toBe('temporal');
  expect(env(services['temporal-ui'] ?? {}).TEMPORAL_ADDRESS).toBe('temporal:7233');
});

test("the image's command runs `dxp worker`", () => {
  const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  const cmd = [...dockerfile.matchAll(/^CMD\s+(\[.*\])\s*$/gm)].pop()?.[1];
  expect(cmd).toBeDefined();
  const argv = JSON.parse(cmd ?? '[]') as string[];
  expect(argv.slice(-2)).toEqual(['bin/dxp.js', 'worker']);
  expect(argv[0]).toBe('node');
});
