/**
 * One message of a chat conversation, in the OpenAI wire format the model client sends. Part of
 * the contract: the agent loop's workflow keeps the transcript and the turn activity sends it.
 * Workflow code imports only the type (zod stays out of the workflow bundle).
 */
import { z } from 'zod';

const textPartSchema = z.object({ type: z.literal('text'), text: z.string() });
const imagePartSchema = z.object({
  type: z.literal('image_url'),
  image_url: z.object({ url: z.string().min(1), detail: z.enum(['auto', 'low', 'high']).optional() }),
});
const contentSchema = z.union([z.string(), z.array(z.discriminatedUnion('type', [textPartSchema, imagePartSchema])).min(1)]);

/** A function tool call as the API sends it: `arguments` is JSON text. */
export const toolCallSchema = z.object({
  id: z.string().min(1),
  type: z.literal('function'),
  function: z.object({ name: z.string().min(1), arguments: z.string() }),
});

/** One message of a conversation. */
export const chatMessageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: contentSchema, name: z.string().optional() }),
  z.object({ role: z.literal('developer'), content: contentSchema, name: z.string().optional() }),
  z.object({ role: z.literal('user'), content: contentSchema, name: z.string().optional() }),
  z
    .object({
      role: z.literal('assistant'),
      content: z.union([z.string(), z.null()]).optional(),
      tool_calls: z.array(toolCallSchema).optional(),
      name: z.string().optional(),
    })
    .refine((m) => (m.content !== undefined && m.content !== null) || (m.tool_calls?.length ?? 0) > 0, {
      message: 'an assistant message needs content or tool_calls',
    }),
  z.object({ role: z.literal('tool'), content: contentSchema, tool_call_id: z.string().min(1) }),
]);
export type ChatMessage = z.input<typeof chatMessageSchema>;
