/**
 * LLM-as-judge evaluators for task modules: a prompt template, a set of allowed labels (rails)
 * with their scores, and one model call per evaluation (two when the first answer is unusable).
 * Model errors become the ApplicationFailures of {@link toActivityFailure}, so Temporal retries
 * the judge alone, never the task. Templates are checked and filled in judge-template.ts; the
 * prompts and the reading of the model's answer are in judge-verdict.ts.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Duration, RetrySpec } from '../../core/spec';
import type { EvaluationResult } from '../../core/records';
import type { EvaluatorDefinition, ScoredRun } from '../tasks/define';
import type { ChatResult, ModelClient } from './client';
import { defaultModelClient } from './default-client';
import { toActivityFailure } from './errors';
import { checkTemplate, renderTemplate } from './judge-template';
import { correction, readVerdict, systemPrompt } from './judge-verdict';
import type { ChatMessage } from './schemas';

export { renderTemplate, TEMPLATE_ROOTS } from './judge-template';

/** The failure type of a judge whose model gave no label from the rails twice; not retried. */
export const JUDGE_UNPARSEABLE = 'JudgeUnparseable';

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
