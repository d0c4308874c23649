/**
 * Parsers of `dxp` option values, as commander calls them: each returns the value or throws
 * commander's InvalidArgumentError, which commander reports as a usage error (exit 2). Ports,
 * positive integers, http(s) URLs, and repeated `--origin`s (checked by the codec server's own
 * parser, loaded on demand).
 */
import { InvalidArgumentError } from 'commander';
import { load } from './cli-actions';

export function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number');
  return n;
}

/** A repeatable option's values, in order (checked later, against the spec). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Repeated `--origin`s, each checked as the origin a browser sends. */
export function collectOrigin(value: string, previous: string[] = []): string[] {
  const { parseOrigin } = load<typeof import('./commands/codec-server')>('./commands/codec-server');
  try {
    return [...previous, parseOrigin(value)];
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** An http(s) URL, as the Temporal UI's browser calls it (`<url>/decode`). */
export function httpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(`expected an http(s) URL such as http://127.0.0.1:8888, got '${value}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError(`expected an http(s) URL, got ${url.protocol} in '${value}'`);
  return value;
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}
