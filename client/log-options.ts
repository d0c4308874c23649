/** `dxp log` flags → a ResultsMapping, with every mistake named before anything starts. */
import type { EvaluatorColumns, ResultsMapping } from '../core/log-contract';

export interface LogFlags {
  exampleIdCol?: string;
  match?: string;
  outputCol?: string;
  errorCol?: string;
  latencyCol?: string;
  repetitionCol?: string;
  eval?: string[];
}

export class LogOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LogOptionError';
  }
}

/** `--eval correctness:score=c_score,label=c_label,explanation=c_why,metadata.model=c_model` */
export function parseEvalOption(value: string): [string, EvaluatorColumns] {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new LogOptionError(`--eval ${value}: expected <name>:score=<column>,label=<column>,...`);
  const name = value.slice(0, colon);
  const columns: EvaluatorColumns = {};
  for (const part of value.slice(colon + 1).split(',')) {
    const [key, column] = part.split('=', 2).map((s) => s.trim());
    if (!key || !column) throw new LogOptionError(`--eval ${value}: '${part}' is not <field>=<column>`);
    if (key === 'score' || key === 'label' || key === 'explanation') columns[key] = column;
    else if (key.startsWith('metadata.') && key.length > 'metadata.'.length) (columns.metadata ??= {})[key.slice('metadata.'.length)] = column;
    else throw new LogOptionError(`--eval ${value}: unknown field '${key}' (score, label, explanation, metadata.<key>)`);
  }
  if (!columns.score && !columns.label) throw new LogOptionError(`--eval ${value}: an evaluation needs a score or a label column`);
  return [name, columns];
}

export function mappingFromFlags(flags: LogFlags): ResultsMapping {
  const evaluators: Record<string, EvaluatorColumns> = {};
  for (const option of flags.eval ?? []) {
    const [name, columns] = parseEvalOption(option);
    if (evaluators[name]) throw new LogOptionError(`--eval: evaluator '${name}' is given twice`);
    evaluators[name] = columns;
  }
  let match: ResultsMapping['match'];
  if (flags.match) {
    const [fileColumn, datasetColumn] = flags.match.split('=', 2).map((s) => s.trim());
    if (!fileColumn || !datasetColumn) throw new LogOptionError(`--match ${flags.match}: expected <table column>=<dataset column>`);
    if (flags.exampleIdCol) throw new LogOptionError('give --example-id-col or --match, not both');
    match = { fileColumn, datasetColumn };
  }
  return {
    ...(flags.exampleIdCol ? { exampleIdColumn: flags.exampleIdCol } : {}),
    ...(match ? { match } : {}),
    outputColumn: flags.outputCol ?? 'output',
    ...(flags.errorCol ? { errorColumn: flags.errorCol } : {}),
    ...(flags.latencyCol ? { latencyColumn: flags.latencyCol } : {}),
    ...(flags.repetitionCol ? { repetitionColumn: flags.repetitionCol } : {}),
    evaluators,
  };
}
