/**
 * The OpenAI chat-completions wire format, as far as the client sends and reads it. Requests are
 * strict about what they send (unknown keys are dropped, so an assistant message returned by the
 * client can be sent back as is); responses are strict on the fields read, loose about the rest.
 */
import { z } from 'zod';
import { chatMessageSchema, toolCallSchema } from '../../core/chat-message';

export { chatMessageSchema, toolCallSchema, type ChatMessage } from '../../core/chat-message';

/** `tools[]`: functions the model may call; `parameters` is a JSON Schema object. */
export const toolSchema = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'tool names are 1-64 letters, digits, _ or -'),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().optional(),
  }),
});
export type ChatTool = z.input<typeof toolSchema>;

export const toolChoiceSchema = z.union([
  z.enum(['auto', 'none', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string().min(1) }) }),
]);
export type ToolChoice = z.input<typeof toolChoiceSchema>;

export const responseFormatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({
      name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().optional(),
    }),
  }),
]);
export type ResponseFormat = z.input<typeof responseFormatSchema>;

/** What `chat()` accepts (camelCase options, OpenAI-shaped messages and tools). */
export const chatRequestSchema = z.object({
  /** Default: the client's model (`DXP_MODEL`). */
  model: z.string().trim().min(1).optional(),
  messages: z.array(chatMessageSchema).min(1),
  tools: z.array(toolSchema).min(1).optional(),
  toolChoice: toolChoiceSchema.optional(),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.number().int().positive().optional(),
  responseFormat: responseFormatSchema.optional(),
});
export type ChatRequest = z.input<typeof chatRequestSchema>;

const usageSchema = z.looseObject({
  prompt_tokens: z.number().int().nonnegative(),
  completion_tokens: z.number().int().nonnegative(),
  total_tokens: z.number().int().nonnegative().optional(),
});

/** POST /chat/completions, 200. */
export const chatResponseSchema = z.looseObject({
  id: z.string().optional(),
  model: z.string().optional(),
  choices: z
    .array(
      z.looseObject({
        index: z.number().int().optional(),
        message: z.looseObject({
          role: z.literal('assistant').optional(),
          content: z.string().nullish(),
          refusal: z.string().nullish(),
          tool_calls: z.array(z.looseObject({ ...toolCallSchema.shape, type: z.literal('function').optional() })).nullish(),
        }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1, 'no choices'),
  usage: usageSchema.nullish(),
});

/** The error body of an OpenAI-compatible API: `{ error: { message, type, code, param } }`. */
export const apiErrorSchema = z.looseObject({
  error: z.looseObject({
    message: z.string().nullish(),
    type: z.string().nullish(),
    code: z.union([z.string(), z.number()]).nullish(),
    param: z.string().nullish(),
  }),
});
