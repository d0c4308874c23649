/**
 * What a judge asks its model and how it reads the answer: the system prompt (pick one label from
 * the rails, answer with a JSON object), the corrective follow-up after an unusable answer, and
 * the verdict read from an answer (the JSON object, possibly fenced, its label matched to the
 * rails, case-insensitively as a fallback, and an optional explanation), or why it is unusable.
 */
import type { AssistantMessage } from './client';

export function systemPrompt(labels: string[], explanation: boolean): string {
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

export function correction(problem: string, labels: string[], explanation: boolean): string {
  const fields = explanation ? '"explanation" (a string) and "label"' : '"label"';
  return `Your answer could not be used: ${problem}. Reply again with only a JSON object with ${fields}, where "label" is exactly one of: ${labels.map((l) => JSON.stringify(l)).join(', ')}.`;
}

type Verdict = { ok: true; label: string; score: number; explanation?: string } | { ok: false; problem: string };

export function readVerdict(message: AssistantMessage, rails: Record<string, number>): Verdict {
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

function clip(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}
