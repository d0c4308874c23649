/**
 * Any error that reached the top of `dxp` as one line and an exit code. Errors are told apart by
 * name, so this module loads no SDK: `dxp --help` must not pay for the Temporal client.
 */
import { connectionConfigFromEnv } from '../connection/config';
import { EXIT } from './exit-codes';
import { missingSearchAttributesMessage } from './search-attributes-check';

/** gRPC status codes the Temporal client reports (see @grpc/grpc-js `status`). */
const GRPC = { NOT_FOUND: 5, PERMISSION_DENIED: 7, UNAVAILABLE: 14, DEADLINE_EXCEEDED: 4, UNAUTHENTICATED: 16 } as const;

export function oneLineError(err: unknown): { message: string; exitCode: number } {
  if (!(err instanceof Error)) return { message: `dxp: ${String(err)}`, exitCode: EXIT.failed };
  const e = err as Error & { workflowId?: string; status?: number; code?: number; cause?: unknown };
  switch (e.name) {
    case 'SpecError': // one line per bad field
      return { message: e.message, exitCode: EXIT.badInput };
    case 'WorkflowNotFoundError': {
      const name = e.workflowId?.replace(/^experiment\//, '') ?? '?';
      return { message: `dxp: no experiment named '${name}' on this Temporal server (\`dxp list\` shows those that exist)`, exitCode: EXIT.badInput };
    }
    case 'ArizeApiError':
    case 'PhoenixApiError':
      // status 0: no answer at all (network, timeout); anything else: the service answered and refused.
      return { message: `dxp: ${firstLine(e.message)}`, exitCode: e.status === 0 ? EXIT.unreachable : EXIT.badInput };
  }
  const text = `${e.message} ${e.cause instanceof Error ? e.cause.message : ''}`;
  if (/search attribute/i.test(text) && /DxpExperiment|DxpExampleId|DxpStatus|no mapping defined/i.test(text)) {
    return { message: `dxp: ${missingSearchAttributesMessage(configuredNamespace())}`, exitCode: EXIT.badInput };
  }
  const code = grpcCode(e);
  if (code === GRPC.UNAVAILABLE || code === GRPC.DEADLINE_EXCEEDED) return { message: `dxp: Temporal unreachable: ${firstLine(text)}`, exitCode: EXIT.unreachable };
  if (code === GRPC.UNAUTHENTICATED || code === GRPC.PERMISSION_DENIED) return { message: `dxp: Temporal refused: ${firstLine(text)}`, exitCode: EXIT.badInput };
  return { message: `dxp: ${firstLine(text)} (DXP_DEBUG=1 prints the stack)`, exitCode: EXIT.failed };
}

function grpcCode(e: { code?: unknown; cause?: unknown }): number | undefined {
  if (typeof e.code === 'number') return e.code;
  const cause = e.cause as { code?: unknown } | undefined;
  return typeof cause?.code === 'number' ? cause.code : undefined;
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

/** The namespace the connection settings name (a profile's too), for messages; the default when they cannot be read. */
function configuredNamespace(): string | undefined {
  try {
    return connectionConfigFromEnv().namespace;
  } catch {
    return undefined;
  }
}
