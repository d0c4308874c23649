/** The example as user code sees it (no pipeline bookkeeping such as index or malformed). */
import type { Example } from '../../core/records';
import type { ExampleView } from './define';

export function exampleView(example: Example): ExampleView {
  return { id: example.id, input: example.input, expected: example.expected, metadata: example.metadata, row: example.row };
}
