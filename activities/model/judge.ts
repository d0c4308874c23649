/**
 * LLM-as-judge evaluators for task modules: a prompt template, a set of allowed labels (rails)
 * with their scores, and one model call per evaluation (two when the first answer is unusable).
 * Model errors become the ApplicationFailures of {@link toActivityFailure}, so Temporal retries
 * the judge alone, never the task.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Duration, RetrySpec } from '../../core/spec';
import type { EvaluationResult } from '../../core/records';
import { rowOf, type EvaluatorDefinition, type ScoredRun } from '../tasks/define';
import type { AssistantMessage, ChatResult, ModelClient } from './client';
import { defaultModelClient } from './default-client';
import { toActivityFailure } from './errors';
import type { ChatMessage } from './schemas';

/** The failure type of a judge whose model gave no label from the rails twice; not retried. */
export const JUDGE_UNPARSEABLE = 'JudgeUnparseable';

/** Placeholder roots a template may use: `{{input}}`, `{{metadata.topic}}`, `{{row.question}}`, ... */
export const TEMPLATE_ROOTS = ['input', 'output', 'expected', 'metadata', 'error', 'params', 'row'] as const;

/** Activity options of a judge unless given (the spec's `evaluation` block still wins). */
export const JUDGE_DEFAULTS = {
  /** Room for two model calls at the client's 120 s deadline. */
  timeout: '5m',
  /** 429s and outages are retried for a few minutes (Retry-After sets each delay when sent). */
  retry: { maximumAttempts: 8, maximumInterval: '1m' },
} as const satisfies { timeout: Duration; retry: RetrySpec };

/** Options of {@link llmJudge}. */
export interface LlmJudgeOptions {
  /** For messages; default `llm-judge`. */
  name?: string;
  /** Default: the spec's `with: { model }`, else `DXP_MODEL`. */
  model?: string;
  /** The user prompt, with `{{input}}`, `{{output}}`, `{{expected}}`, `{{error}}`, `{{metadata.x}}`, `{{params.x}}`, `{{row.x}}`. */
  template: string;
  /** Allowed labels and their scores, e.g. `{ correct: 1, incorrect: 0 }`. */
  rails: Record<string, number>;
  /** Ask for (and return) an explanation; default true. */
  explanation?: boolean;
  /** Default 0; `null` sends none (for models that accept only their default). */
  temperature?: number | null;
  maxTokens?: number;
  timeout?: Duration;
  retry?: RetrySpec;
  /** Default: the worker's shared client from its environment, made on first use. */
  client?: ModelClient | (() => ModelClient);
}

/**
 * An evaluator that asks a model to label the run with one of `rails` and scores it by that label.
 * Returns `{ score, label, explanation, metadata: { model, promptTokens, completionTokens, costUsd, calls } }`.
 * An answer without a label from the rails gets one corrective follow-up; a second one fails the
 * evaluation (type {@link JUDGE_UNPARSEABLE}, recorded as the evaluator's error).
 *
 * @example
 * export default defineTasks({
 *   evaluators: {
 *     correctness: llmJudge({
 *       template: 'Question: {{input}}\nReference: {{expected}}\nAnswer: {{output}}\nIs the answer correct?',
 *       rails: { correct: 1, incorrect: 0 },
 *     }),
 *   },
 * });
 */
export function llmJudge(options: LlmJudgeOptions): EvaluatorDefinition<ScoredRun> {
  const name = options.name ?? 'llm-judge';
  const rails = checkRails(name, options.rails);
  checkTemplate(name, options.template);
  const wantExplanation = options.explanation ?? true;
  const temperature = options.temperature === undefined ? 0 : options.temperature;
  const system = systemPrompt(Object.keys(rails), wantExplanation);
  // The judge's own client, else the worker's (the context's), else the process's (a call without a worker).
  const getClient = (run: ScoredRun): ModelClient => {
    const client = options.client ?? run.model ?? defaultModelClient;
    return typeof client === 'function' ? client() : client;
  };

  async function evaluate(args: ScoredRun): Promise<EvaluationResult> {
    const paramModel = typeof args.params.model === 'string' && args.params.model.trim() !== '' ? args.params.model : undefined;
    const model = paramModel ?? options.model;
    const messages: ChatMessage[] = [
      { role: 'system', content: system },
      { role: 'user', content: renderTemplate(options.template, args) },
    ];
    const calls: ChatResult[] = [];
    let lastProblem = '';
    for (let turn = 0; turn < 2; turn += 1) {
      let result: ChatResult;
      try {
        result = await getClient(args).chat(
          {
            ...(model !== undefined ? { model } : {}),
            messages,
            responseFormat: { type: 'json_object' },
            ...(temperature !== null ? { temperature } : {}),
            ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
          },
          { signal: args.signal },
        );
      } catch (err) {
        throw toActivityFailure(err);
      }
      calls.push(result);
      const verdict = readVerdict(result.message, rails);
      if (verdict.ok) {
        return {
          score: verdict.score,
          label: verdict.label,
          ...(wantExplanation && verdict.explanation ? { explanation: verdict.explanation } : {}),
          metadata: usageMetadata(calls),
        };
      }
      lastProblem = verdict.problem;
      messages.push(
        { role: 'assistant', content: result.message.content ?? '' },
        { role: 'user', content: correction(verdict.problem, Object.keys(rails), wantExplanation) },
      );
    }
    throw ApplicationFailure.create({
      type: JUDGE_UNPARSEABLE,
      message: `judge '${name}': no label from the rails (${Object.keys(rails).join(', ')}) after a corrective follow-up; last answer: ${lastProblem}`,
      nonRetryable: true,
      details: [usageMetadata(calls)],
    });
  }

  return {
    timeout: options.timeout ?? JUDGE_DEFAULTS.timeout,
    retry: options.retry ?? JUDGE_DEFAULTS.retry,
    usesModel: true,
    evaluate,
  };
}

/** Fills `{{root.path}}` placeholders from the evaluator's arguments; strings as is, other values as JSON, missing ones empty. */
export function renderTemplate(template: string, args: ScoredRun): string {
  const roots: Record<(typeof TEMPLATE_ROOTS)[number], unknown> = {
    input: args.input,
    output: args.output,
    expected: args.expected,
    metadata: args.metadata,
    error: args.error,
    params: args.params,
    row: rowOf(args),
  };
  return template.replace(PLACEHOLDER, (_match, path: string) => {
    const [root, ...rest] = path.split('.');
    let value: unknown = roots[root as keyof typeof roots];
    for (const key of rest) {
      value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    }
    return display(value);
  });
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w-]*(?:\.[\w-]+)*)\s*\}\}/g;

function display(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value, null, 2);
  return String(value);
}

function checkTemplate(name: string, template: string): void {
  if (typeof template !== 'string' || template.trim() === '') throw new TypeError(`judge '${name}': template must be a non-empty string`);
  const unknown = [...template.matchAll(PLACEHOLDER)]
    .map((m) => m[1] ?? '')
    .filter((path) => !(TEMPLATE_ROOTS as readonly string[]).includes(path.split('.')[0] ?? ''));
  if (unknown.length > 0) {
    throw new TypeError(`judge '${name}': unknown placeholders ${unknown.map((p) => `{{${p}}}`).join(', ')}; use ${TEMPLATE_ROOTS.map((r) => `{{${r}}}`).join(', ')} (and paths such as {{metadata.x}})`);
  }
}

function checkRails(name: string, rails: Record<string, number>): Record<string, number> {
  const entries = Object.entries(rails ?? {});
  if (entries.length < 2) throw new TypeError(`judge '${name}': rails needs at least two labels, e.g. { correct: 1, incorrect: 0 }`);
  const folded = new Set<string>();
  for (const [label, score] of entries) {
    if (label.trim() === '' || label !== label.trim()) throw new TypeError(`judge '${name}': rail label "${label}" is empty or has surrounding spaces`);
    if (typeof score !== 'number' || !Number.isFinite(score)) throw new TypeError(`judge '${name}': rail "${label}" needs a finite score, got ${String(score)}`);
    const key = label.toLowerCase();
    if (folded.has(key)) throw new TypeError(`judge '${name}': rail labels differ only in case ("${label}")`);
    folded.add(key);
  }
  return { ...rails };
}

function systemPrompt(labels: string[], explanation: boolean): string {
  const list = labels.map((l) => JSON.stringify(l)).join(', ');
  const shape = explanation
    ? '{"explanation": "<a short justification>", "label": "<one of the labels>"}'
    : '{"label": "<one of the labels>"}';
  return [
    'You are an impartial evaluator. Read the material the user gives you and judge it as asked.',
    `Choose exactly one label from this list: ${list}.`,
    `Answer with a single JSON object and nothing else: ${shape}`,
  ].join('\n');
}

function correction(problem: string, labels: string[], explanation: boolean): string {
  const fields = explanation ? '"explanation" (a string) and "label"' : '"label"';
  return `Your answer could not be used: ${problem}. Reply again with only a JSON object with ${fields}, where "label" is exactly one of: ${labels.map((l) => JSON.stringify(l)).join(', ')}.`;
}

type Verdict = { ok: true; label: string; score: number; explanation?: string } | { ok: false; problem: string };

function readVerdict(message: AssistantMessage, rails: Record<string, number>): Verdict {
  const content = message.content?.trim() ?? '';
  if (content === '') return { ok: false, problem: message.refusal ? `the model refused (${clip(message.refusal)})` : 'the answer was empty' };
  const json = parseJsonObject(content);
  if (json === undefined) return { ok: false, problem: `the answer is not a JSON object: ${clip(content)}` };
  const raw = json.label;
  if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
    return { ok: false, problem: `the JSON object has no "label" string: ${clip(content)}` };
  }
  const wanted = String(raw).trim();
  const label = Object.prototype.hasOwnProperty.call(rails, wanted)
    ? wanted
    : Object.keys(rails).find((l) => l.toLowerCase() === wanted.toLowerCase());
  const score = label === undefined ? undefined : rails[label];
  if (label === undefined || score === undefined) return { ok: false, problem: `label ${JSON.stringify(wanted)} is not one of the allowed labels` };
  const explanation = typeof json.explanation === 'string' && json.explanation.trim() !== '' ? json.explanation.trim() : undefined;
  return { ok: true, label, score, ...(explanation !== undefined ? { explanation } : {}) };
}

/** The object in `text`: the whole text, a fenced block, or the span from the first `{` to the last `}`. */
function parseJsonObject(text: string): Record<string, unknown> | undefined {
  const fenced = /^```(?:json)?\s*([\s\S]*?)\s*```$/i.exec(text)?.[1];
  const candidates = [text, fenced, text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1)];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      const value: unknown = JSON.parse(candidate);
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // try the next candidate
    }
  }
  return undefined;
}

function usageMetadata(calls: ChatResult[]): Record<string, unknown> {
  const last = calls[calls.length - 1];
  const costs = calls.map((c) => c.costUsd);
  const costUsd = costs.every((c): c is number => c !== undefined) ? Math.round(costs.reduce((a, b) => a + b, 0) * 1e10) / 1e10 : undefined;
  return {
    model: last?.model,
    promptTokens: calls.reduce((n, c) => n + c.usage.promptTokens, 0),
    completionTokens: calls.reduce((n, c) => n + c.usage.completionTokens, 0),
    ...(costUsd !== undefined ? { costUsd } : {}),
    calls: calls.length,
  };
}

function clip(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}
