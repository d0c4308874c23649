/**
 * dxp's search attributes must exist on the namespace before anything starts: without them the
 * server refuses every start ("no mapping defined for search attribute"). The dev server that
 * `dxp server` runs registers them; any other server needs them once (`dxp server setup`).
 */
import { SEARCH_ATTRIBUTE_NAMES } from '../core/search-attribute-names';
import { CliError, EXIT } from './exit-codes';

/** The slice of Temporal's OperatorService that this needs (Connection and NativeConnection both have it). */
export interface SearchAttributeOperator {
  listSearchAttributes(req: { namespace: string }): Promise<{ customAttributes?: Record<string, unknown> | null }>;
}

export function registerCommand(namespace = 'default'): string {
  return `temporal operator search-attribute create --namespace ${namespace} ${SEARCH_ATTRIBUTE_NAMES.map((n) => `--name ${n}`).join(' ')} --type Keyword`;
}

export function missingSearchAttributesMessage(namespace = process.env.TEMPORAL_NAMESPACE ?? 'default', missing: readonly string[] = SEARCH_ATTRIBUTE_NAMES): string {
  return (
    `namespace '${namespace}' lacks the search attribute${missing.length === 1 ? '' : 's'} ${missing.join(', ')} (Keyword) that dxp uses; ` +
    `register them once with \`dxp server setup\` or \`${registerCommand(namespace)}\`` +
    ' (Temporal Cloud: `tcld namespace search-attributes add`)'
  );
}

/** Names not registered on the namespace; undefined when the server does not let us look (e.g. Temporal Cloud's data plane). */
export async function missingSearchAttributes(operator: SearchAttributeOperator, namespace: string): Promise<string[] | undefined> {
  let custom: Record<string, unknown>;
  try {
    custom = (await operator.listSearchAttributes({ namespace })).customAttributes ?? {};
  } catch {
    return undefined; // the start itself will tell, and oneLineError names the attributes then
  }
  return SEARCH_ATTRIBUTE_NAMES.filter((name) => !(name in custom));
}

/** Throws a one-line CliError (exit 2) when an attribute is missing. */
export async function requireSearchAttributes(operator: SearchAttributeOperator, namespace: string): Promise<void> {
  const missing = await missingSearchAttributes(operator, namespace);
  if (missing && missing.length > 0) throw new CliError(missingSearchAttributesMessage(namespace, missing), EXIT.badInput);
}
