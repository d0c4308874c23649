/** `dxp server setup`: registers dxp's search attributes on a server the user runs (operator API). */
import type { Client } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_NAMES } from '../../core/search-attribute-names';
import type { ConnectionConfig } from '../../connection/config';
import { CliError, EXIT } from '../exit-codes';
import { missingSearchAttributes, registerCommand } from '../search-attributes-check';

/** IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD in Temporal's API. */
const KEYWORD = 2;

export async function serverSetupCommand(client: Client, config: ConnectionConfig): Promise<number> {
  const operator = client.connection.operatorService;
  const missing = await missingSearchAttributes(operator, config.namespace);
  if (missing === undefined) {
    throw new CliError(
      `cannot list the search attributes of namespace '${config.namespace}' at ${config.address} (no operator access?); ` +
        `register them with \`${registerCommand(config.namespace)}\` or, on Temporal Cloud, \`tcld namespace search-attributes add\``,
      EXIT.badInput,
    );
  }
  if (missing.length > 0) {
    try {
      await operator.addSearchAttributes({ namespace: config.namespace, searchAttributes: Object.fromEntries(missing.map((name) => [name, KEYWORD])) });
    } catch (err) {
      throw new CliError(`could not register ${missing.join(', ')} on namespace '${config.namespace}': ${(err as Error).message.split('\n')[0]}`, EXIT.badInput);
    }
  }
  const already = SEARCH_ATTRIBUTE_NAMES.filter((n) => !missing.includes(n));
  process.stdout.write(
    `Namespace ${config.namespace} at ${config.address}: ` +
      (missing.length ? `registered ${missing.join(', ')}` : 'nothing to do') +
      (already.length ? `; already there: ${already.join(', ')}` : '') +
      '.\n',
  );
  return EXIT.ok;
}
