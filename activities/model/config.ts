/**
 * Model settings from the worker's environment. The API key stays in the worker process: it is
 * never put in workflow inputs, results, logs or error messages.
 */
import { z } from 'zod';
import { ModelConfigError } from './errors';
import { parseBaseUrl } from '../shared/base-url';

/** Where model calls go unless `OPENAI_BASE_URL` says otherwise. */
export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';

/** USD per million tokens. */
export const modelPriceSchema = z.strictObject({ input: z.number().nonnegative(), output: z.number().nonnegative() });
/** Model name → prices; the shape of `DXP_MODEL_PRICES`. */
export const priceTableSchema = z.record(z.string().min(1), modelPriceSchema);
export type ModelPrice = z.infer<typeof modelPriceSchema>;
export type PriceTable = z.infer<typeof priceTableSchema>;

/** What {@link modelConfigFromEnv} returns; also accepted by `createModelClient`. */
export interface ModelConfig {
  baseUrl: string;
  /** Absent when `OPENAI_API_KEY` is unset: the client then refuses to call, naming the variable. */
  apiKey?: string;
  /** The default model (`DXP_MODEL`). */
  model?: string;
  prices: PriceTable;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads `OPENAI_BASE_URL` (default {@link DEFAULT_OPENAI_BASE_URL}), `OPENAI_API_KEY`, `DXP_MODEL`
 * and `DXP_MODEL_PRICES` (JSON: `{ "<model>": { "input": <USD per 1M tokens>, "output": ... } }`).
 * A missing key is not an error here (a worker without one still starts); a malformed URL or
 * price table is, with every variable at fault named.
 */
export function modelConfigFromEnv(env: Env = process.env): ModelConfig {
  const problems: string[] = [];
  const rawUrl = env.OPENAI_BASE_URL?.trim() || DEFAULT_OPENAI_BASE_URL;
  const baseUrl = parseBaseUrl(rawUrl);
  if (baseUrl === undefined) problems.push(`OPENAI_BASE_URL must be an http(s) URL without credentials, query or fragment, got "${rawUrl}"`);
  const prices = parsePrices(env.DXP_MODEL_PRICES, problems);
  if (problems.length > 0 || baseUrl === undefined) throw new ModelConfigError(`model configuration: ${problems.join('; ')}`);
  const apiKey = env.OPENAI_API_KEY?.trim();
  const model = env.DXP_MODEL?.trim();
  return { baseUrl, prices, ...(apiKey ? { apiKey } : {}), ...(model ? { model } : {}) };
}


function parsePrices(raw: string | undefined, problems: string[]): PriceTable {
  if (raw === undefined || raw.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    problems.push('DXP_MODEL_PRICES is not JSON; expected { "<model>": { "input": <USD per 1M tokens>, "output": <USD per 1M tokens> } }');
    return {};
  }
  const parsed = priceTableSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)'}: ${issue.message}`);
  problems.push(`DXP_MODEL_PRICES: ${issues.join('; ')} (USD per 1M tokens: { "<model>": { "input": n, "output": n } })`);
  return {};
}
