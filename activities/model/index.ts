/** Model calls (an OpenAI-compatible chat-completions client) and LLM-as-judge evaluators. */
export {
  createModelClient,
  DEFAULT_MODEL_CONNECTIONS,
  DEFAULT_MODEL_TIMEOUT_MS,
  type AssistantMessage,
  type ChatCallOptions,
  type ChatResult,
  type ChatUsage,
  type ModelClient,
  type ModelClientOptions,
  type ToolCall,
} from './client';
export { costOf } from './cost';
export { parseRetryAfter } from '../shared/http-transport';
export { DEFAULT_OPENAI_BASE_URL, modelConfigFromEnv, type ModelConfig, type ModelPrice, type PriceTable } from './config';
export { closeDefaultModelClient, defaultModelClient } from './default-client';
export {
  isRetryableStatus,
  MODEL_ERROR_CODES,
  MODEL_FAILURE_TYPES,
  ModelApiError,
  ModelConfigError,
  toActivityFailure,
  type ModelApiErrorInit,
} from './errors';
export { JUDGE_DEFAULTS, JUDGE_UNPARSEABLE, llmJudge, renderTemplate, TEMPLATE_ROOTS, type LlmJudgeOptions } from './judge';
export type { ChatMessage, ChatRequest, ChatTool, ResponseFormat, ToolChoice } from './schemas';
