/**
 * The built-in evaluators as factories with typed options, for modules and `defineExperiment`:
 * `exactMatch({ trim: true })` is the spec's `{ use: exact-match, with: { trim: true } }`, checked
 * by the compiler instead of at run time. Each one is the built-in itself with its options bound;
 * a spec's `with:` for the same evaluator still wins, option by option. (`llmJudge` is the
 * factory of LLM judges, in activities/model.)
 */
import { builtinEvaluators } from './builtins';
import type { EvaluatorDefinition, ScoredRun } from './define';

export interface CaseOptions {
  /** Default true; false compares lower-cased text. */
  caseSensitive?: boolean;
}

export interface ExactMatchOptions extends CaseOptions {
  /** Ignore leading and trailing whitespace; default false. */
  trim?: boolean;
}

export interface ContainsOptions extends CaseOptions {
  /** The text the output must contain; default: the expected output. */
  text?: string;
  /** Texts the output must all contain (wins over `text`). */
  texts?: string[];
}

export interface RegexOptions {
  /** A pattern the output must match: a RegExp (its flags are kept) or its source. */
  pattern: RegExp | string;
  /** Flags for a string pattern, e.g. 'i'. */
  flags?: string;
}

type BuiltinName = keyof typeof builtinEvaluators;

/** The built-in `name` with `options` under the spec's own `with:` parameters. */
function bound(name: BuiltinName, options: object): EvaluatorDefinition<ScoredRun> {
  const evaluate = builtinEvaluators[name];
  return { evaluate: (run) => evaluate({ ...run, params: { ...options, ...run.params } }) };
}

/** 1 when the output equals the expected output (objects by JSON text). */
export function exactMatch(options: ExactMatchOptions = {}): EvaluatorDefinition<ScoredRun> {
  return bound('exact-match', options);
}

/** 1 when the output contains `text` (or every one of `texts`; default: the expected output). */
export function contains(options: ContainsOptions = {}): EvaluatorDefinition<ScoredRun> {
  return bound('contains', options);
}

/** 1 when the output matches `pattern`. A pattern that does not compile is refused here, when the module loads. */
export function regex(options: RegexOptions): EvaluatorDefinition<ScoredRun> {
  const { pattern, flags } = options.pattern instanceof RegExp ? { pattern: options.pattern.source, flags: options.pattern.flags } : options;
  new RegExp(pattern, flags); // throws a SyntaxError naming the pattern
  return bound('regex', { pattern, ...(flags ? { flags } : {}) });
}

/** 1 when the output is JSON (an object/array output counts; a string must parse). */
export function jsonParses(): EvaluatorDefinition<ScoredRun> {
  return bound('json-parses', {});
}
