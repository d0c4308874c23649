import { ApplicationFailure, type Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { MockAgent } from 'undici';
import {
  closeDefaultModelClient,
  createModelClient,
  llmJudge,
  MODEL_ERROR_CODES,
  MODEL_FAILURE_TYPES,
  ModelApiError,
  ModelConfigError,
  modelConfigFromEnv,
  parseRetryAfter,
  toActivityFailure,
  type ModelClient,
  type ModelClientOptions,
} from '../activities/model';
import { JUDGE_UNPARSEABLE } from '../activities/model/judge';
import type { EvaluatorArgs } from '../activities/tasks/define';
import { createTaskActivities } from '../activities/task-activities';
import { createRegistry } from '../activities/tasks/registry';
import { LlmFake } from './fakes/llm';

let fake: LlmFake;
let baseUrl: string;
const clients: ModelClient[] = [];

function newClient(options: ModelClientOptions = {}): ModelClient {
  const client = createModelClient({ baseUrl, apiKey: fake.apiKey, model: 'judge-mini', ...options });
  clients.push(client);
  return client;
}

async function failure(promise: unknown): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

async function modelError(promise: Promise<unknown>): Promise<ModelApiError> {
  const err = await failure(promise);
  expect(err).toBeInstanceOf(ModelApiError);
  return err as ModelApiError;
}

const hello = { messages: [{ role: 'user' as const, content: 'Say hi' }] };

beforeAll(async () => {
  fake = new LlmFake();
  ({ baseUrl } = await fake.start());
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await closeDefaultModelClient();
  fake.reset();
});

afterAll(async () => {
  await fake.stop();
});

describe('configuration', () => {
  test('the environment gives the base URL, key, default model and price table', () => {
    const config = modelConfigFromEnv({
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1/',
      OPENAI_API_KEY: ' sk-x ',
      DXP_MODEL: 'gpt-4o-mini',
      DXP_MODEL_PRICES: '{"gpt-4o-mini": {"input": 0.15, "output": 0.6}}',
    });
    expect(config).toEqual({ baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-x', model: 'gpt-4o-mini', prices: { 'gpt-4o-mini': { input: 0.15, output: 0.6 } } });
    expect(modelConfigFromEnv({})).toEqual({ baseUrl: 'https://api.openai.com/v1', prices: {} });
  });

  test('a malformed price table or URL is refused, naming the variable', () => {
    expect(() => modelConfigFromEnv({ DXP_MODEL_PRICES: '{nope' })).toThrow(/DXP_MODEL_PRICES is not JSON/);
    expect(() => modelConfigFromEnv({ DXP_MODEL_PRICES: '{"m": {"input": -1, "output": 1}}' })).toThrow(/DXP_MODEL_PRICES: m\.input/);
    expect(() => modelConfigFromEnv({ DXP_MODEL_PRICES: '{"m": {"inptu": 1, "output": 1}}' })).toThrow(ModelConfigError);
    expect(() => modelConfigFromEnv({ OPENAI_BASE_URL: 'ftp://x' })).toThrow(/OPENAI_BASE_URL/);
  });

  test('a call without a key names OPENAI_API_KEY, and one without a model names DXP_MODEL', async () => {
    const noKey = newClient({ apiKey: undefined });
    await expect(noKey.chat(hello)).rejects.toThrow(/OPENAI_API_KEY is not set/);
    const noModel = newClient({ model: undefined });
    await expect(noModel.chat(hello)).rejects.toThrow(/DXP_MODEL/);
    expect(fake.callCount()).toBe(0);
  });
});

describe('chat completions', () => {
  test('a round trip returns the message, usage, cost, model, latency and request id', async () => {
    const client = newClient({ prices: { 'judge-mini': { input: 2, output: 8 } } });
    fake.reply({ content: 'hi there', usage: { prompt: 1000, completion: 500 }, model: 'judge-mini-2025-01-01' });
    const result = await client.chat({ ...hello, temperature: 0.2, maxTokens: 50 });
    expect(result).toMatchObject({
      message: { role: 'assistant', content: 'hi there' },
      finishReason: 'stop',
      usage: { promptTokens: 1000, completionTokens: 500, totalTokens: 1500 },
      costUsd: 0.006, // 1000 × 2 / 1M + 500 × 8 / 1M
      model: 'judge-mini-2025-01-01',
      requestId: expect.stringMatching(/^req_fake_/),
    });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    const [request] = fake.requests();
    expect(request?.body).toEqual({ model: 'judge-mini', messages: hello.messages, temperature: 0.2, max_tokens: 50 });
  });

  test('the price table is looked up by the answering model too, and no price means no cost', async () => {
    fake.reply({ content: 'a', usage: { prompt: 10, completion: 10 }, model: 'dated-1' }, { content: 'b', usage: { prompt: 10, completion: 10 } });
    const priced = newClient({ prices: { 'dated-1': { input: 1, output: 1 } } });
    expect((await priced.chat(hello)).costUsd).toBeCloseTo(0.00002, 10);
    expect((await priced.chat(hello)).costUsd).toBeUndefined();
  });

  test('tool calls are sent in the OpenAI schema and their arguments parsed', async () => {
    const client = newClient();
    fake.reply({ toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Paris', unit: 'c' } }] });
    const tools = [
      {
        type: 'function' as const,
        function: { name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
      },
    ];
    const result = await client.chat({ ...hello, tools, toolChoice: 'auto' });
    expect(result.finishReason).toBe('tool_calls');
    expect(result.message.content).toBeNull();
    expect(result.message.tool_calls).toEqual([
      { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"c"}' }, parsedArguments: { city: 'Paris', unit: 'c' } },
    ]);
    expect(fake.requests()[0]?.body).toMatchObject({ tools, tool_choice: 'auto' });

    // The assistant message goes back as is (parsedArguments is not sent), followed by the tool's answer.
    fake.reply({ content: 'It is 18 °C in Paris.' });
    await client.chat({ messages: [...hello.messages, result.message, { role: 'tool', tool_call_id: 'call_1', content: '18' }], tools });
    const sent = fake.requests()[1]?.body?.messages;
    expect(sent?.[1]).toEqual({ role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"c"}' } }] });
    expect(sent?.[2]).toEqual({ role: 'tool', tool_call_id: 'call_1', content: '18' });
  });

  test('tool-call arguments that are not JSON give a clear error', async () => {
    const client = newClient();
    fake.reply({ toolCalls: [{ id: 'call_9', name: 'search', arguments: '{"query": "unterminated' }] });
    const err = await modelError(client.chat(hello));
    expect(err.code).toBe(MODEL_ERROR_CODES.invalidToolArguments);
    expect(err.message).toMatch(/Tool call arguments are not JSON: tool call call_9 to 'search': .*\{"query": "unterminated/);
    expect(err.retryable).toBe(true);

    fake.reply({ toolCalls: [{ name: 'search', arguments: '{"query": "cut off' }], finishReason: 'length' });
    const cut = await modelError(client.chat(hello));
    expect(cut.retryable).toBe(false);
    expect(cut.message).toMatch(/raise maxTokens/);
    expect((toActivityFailure(cut) as ApplicationFailure).type).toBe(MODEL_FAILURE_TYPES.invalidOutput);
  });

  test('an invalid request is refused before anything is sent', async () => {
    const client = newClient();
    const err = await modelError(client.chat({ messages: [] }));
    expect(err).toMatchObject({ code: MODEL_ERROR_CODES.invalidRequest, retryable: false, status: 0 });
    await expect(client.chat({ ...hello, tools: [{ type: 'function', function: { name: 'has space' } }] })).rejects.toThrow(/tools\.0\.function\.name/);
    expect(fake.callCount()).toBe(0);
  });

  test('a 2xx body that breaks the contract is a non-retryable invalid response', async () => {
    fake.fault({ kind: 'raw', body: '{"choices": []}' });
    const err = await modelError(newClient().chat(hello));
    expect(err).toMatchObject({ code: MODEL_ERROR_CODES.invalidResponse, retryable: false, status: 200 });
    expect(err.message).toMatch(/choices/);
  });

  test('extra response fields are accepted', async () => {
    fake.fault({
      kind: 'raw',
      body: JSON.stringify({
        id: 'x',
        model: 'judge-mini',
        service_tier: 'default',
        choices: [{ index: 0, message: { role: 'assistant', content: 'hey', annotations: [] }, finish_reason: 'stop', extra: 1 }],
        usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4, completion_tokens_details: { reasoning_tokens: 0 } },
      }),
    });
    expect((await newClient().chat(hello)).message.content).toBe('hey');
  });

  test('maxTokens is sent as max_completion_tokens to api.openai.com and as max_tokens elsewhere, unless told', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    const bodies: unknown[] = [];
    agent
      .get('https://api.openai.com')
      .intercept({ path: '/v1/chat/completions', method: 'POST' })
      .reply(200, (opts) => {
        bodies.push(JSON.parse(String(opts.body)));
        return { model: 'gpt-x', choices: [{ message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }] };
      })
      .persist();
    try {
      const openai = newClient({ baseUrl: undefined, dispatcher: agent });
      const result = await openai.chat({ ...hello, maxTokens: 7 });
      expect(result.usage).toEqual({ promptTokens: 0, completionTokens: 0, totalTokens: 0 });
      expect(result).not.toHaveProperty('costUsd');
      expect(bodies[0]).toMatchObject({ max_completion_tokens: 7 });
      expect(bodies[0]).not.toHaveProperty('max_tokens');
    } finally {
      await agent.close();
    }
    await newClient().chat({ ...hello, maxTokens: 7 });
    expect(fake.requests()[0]?.body).toMatchObject({ max_tokens: 7 });
    await newClient({ maxTokensParam: 'max_completion_tokens' }).chat({ ...hello, maxTokens: 7 });
    expect(fake.requests()[1]?.body).toMatchObject({ max_completion_tokens: 7 });
    expect(fake.requests()[1]?.body).not.toHaveProperty('max_tokens');
  });
});

describe('errors', () => {
  test('429 is retryable, with retryAfterMs from Retry-After seconds, an HTTP-date, or retry-after-ms', async () => {
    const client = newClient();
    fake.fault({ kind: '429', retryAfterSeconds: 7 });
    expect(await modelError(client.chat(hello))).toMatchObject({ status: 429, retryable: true, retryAfterMs: 7000, code: 'rate_limit_exceeded' });

    fake.fault({ kind: '429', retryAfterMs: 1234.5, retryAfterSeconds: 2 });
    expect((await modelError(client.chat(hello))).retryAfterMs).toBe(1235);

    fake.fault({ kind: '429', retryAfterDate: new Date(Date.now() + 30_000) });
    const dated = await modelError(client.chat(hello));
    expect(dated.retryAfterMs).toBeGreaterThan(25_000);
    expect(dated.retryAfterMs).toBeLessThanOrEqual(30_000);

    fake.fault({ kind: '429' });
    expect((await modelError(client.chat(hello))).retryAfterMs).toBeUndefined();
  });

  test('parseRetryAfter reads both header forms', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter({ 'retry-after': '3' }, now)).toBe(3000);
    expect(parseRetryAfter({ 'retry-after': '0.5' }, now)).toBe(500);
    expect(parseRetryAfter({ 'retry-after': 'Wed, 01 Jan 2025 00:00:10 GMT' }, now)).toBe(10_000);
    expect(parseRetryAfter({ 'retry-after-ms': '250', 'retry-after': '3' }, now)).toBe(250);
    expect(parseRetryAfter({ 'retry-after': 'soon' }, now)).toBeUndefined();
  });

  test('a 429 for an exhausted quota is not retryable', async () => {
    fake.fault({ kind: '429', code: 'insufficient_quota' });
    expect(await modelError(newClient().chat(hello))).toMatchObject({ status: 429, retryable: false, code: 'insufficient_quota' });
  });

  test('500 is retryable; 400, 404 and 422 are not', async () => {
    const client = newClient();
    fake.fault({ kind: '500' });
    expect(await modelError(client.chat(hello))).toMatchObject({ status: 500, retryable: true, errorType: 'server_error' });
    for (const status of [400, 404, 422]) {
      fake.fault({ kind: 'status', status, message: 'Invalid value for temperature', code: 'invalid_value' });
      const err = await modelError(client.chat(hello));
      expect(err).toMatchObject({ status, retryable: false, code: 'invalid_value' });
      expect(err.message).toMatch(new RegExp(`${status} .*: Invalid value for temperature \\(model judge-mini\\)`));
    }
  });

  test('a call slower than the timeout fails as a retryable timeout', async () => {
    fake.fault({ kind: 'slow', ms: 2000 });
    const started = Date.now();
    const err = await modelError(newClient({ timeoutMs: 200 }).chat(hello));
    expect(err).toMatchObject({ status: 0, code: MODEL_ERROR_CODES.timeout, retryable: true });
    expect(Date.now() - started).toBeLessThan(1500);

    fake.fault({ kind: 'slow', ms: 2000 });
    await expect(newClient().chat(hello, { timeoutMs: 150 })).rejects.toMatchObject({ code: MODEL_ERROR_CODES.timeout });
  });

  test('a reset connection is a retryable network error', async () => {
    fake.fault({ kind: 'reset' });
    expect(await modelError(newClient().chat(hello))).toMatchObject({ status: 0, code: MODEL_ERROR_CODES.network, retryable: true });
  });

  test('an aborted call rejects with the signal’s reason, not a model error', async () => {
    fake.fault({ kind: 'slow', ms: 2000 });
    const controller = new AbortController();
    const reason = new Error('cancelled by the test');
    setTimeout(() => controller.abort(reason), 50);
    expect(await failure(newClient().chat(hello, { signal: controller.signal }))).toBe(reason);
  });

  test('the API key never appears in an error: message, String, JSON or the activity failure', async () => {
    const wrongKey = 'sk-wrong-key-abcdef0123456789TOPSECRET';
    // The fake echoes the presented key in its 401 message, like a careless proxy would.
    const err = await modelError(newClient({ apiKey: wrongKey }).chat(hello));
    expect(err).toMatchObject({ status: 401, retryable: false, code: 'invalid_api_key' });
    const rightKey = newClient();
    fake.fault({ kind: 'status', status: 400, message: `your key ${fake.apiKey} is fine, the body is not` });
    const echoed = await modelError(rightKey.chat(hello));
    for (const [e, key] of [[err, wrongKey], [echoed, fake.apiKey]] as const) {
      const failureOf = toActivityFailure(e);
      for (const text of [e.message, String(e), JSON.stringify(e), e.stack ?? '', failureOf.message, JSON.stringify(failureOf.details)]) {
        expect(text).not.toContain(key);
        expect(text).not.toContain('TOPSECRET');
        expect(text).not.toContain('SECRET');
      }
    }
    expect(err.message).toMatch(/Incorrect API key provided: \[redacted\]/);
  });

  test('toActivityFailure: retryable → ModelUnavailable with nextRetryDelay, rejected → non-retryable ModelRejected', async () => {
    const client = newClient();
    fake.fault({ kind: '429', retryAfterMs: 4000 });
    const limited = toActivityFailure(await modelError(client.chat(hello)));
    expect(limited).toBeInstanceOf(ApplicationFailure);
    expect(limited).toMatchObject({ type: 'ModelUnavailable', nonRetryable: false, nextRetryDelay: 4000 });
    expect(limited.details).toEqual([{ status: 429, code: 'rate_limit_exceeded', model: 'judge-mini', retryAfterMs: 4000 }]);
    expect(limited.cause).toBeInstanceOf(ModelApiError);

    fake.fault({ kind: '500' });
    const down = toActivityFailure(await modelError(client.chat(hello)));
    expect(down).toMatchObject({ type: 'ModelUnavailable', nonRetryable: false });
    expect(down.nextRetryDelay).toBeUndefined();

    fake.fault({ kind: 'status', status: 403, message: 'no access to model' });
    expect(toActivityFailure(await modelError(client.chat(hello)))).toMatchObject({ type: 'ModelRejected', nonRetryable: true });
    expect(toActivityFailure(new ModelConfigError('OPENAI_API_KEY is not set'))).toMatchObject({ type: 'ModelConfigError', nonRetryable: true });

    const other = new Error('cancelled');
    expect(toActivityFailure(other)).toBe(other);
  });
});

describe('llmJudge', () => {
  const rails = { correct: 1, partial: 0.5, incorrect: 0 };
  const template = 'Question: {{input}}\nReference: {{expected}}\nAnswer: {{output}}\nTopic: {{metadata.topic}}\nDetail: {{row.extra.level}}';

  function judgeArgs(overrides: Partial<EvaluatorArgs> = {}): EvaluatorArgs {
    return {
      input: 'What is the capital of France?',
      output: 'Paris',
      expected: { answer: 'Paris' },
      metadata: { topic: 'geography' },
      datasetRow: { extra: { level: 3 } },
      params: {},
      signal: new AbortController().signal,
      ...overrides,
    };
  }

  test('a label in the rails gives its score, explanation and usage metadata', async () => {
    const client = newClient({ prices: { 'judge-mini': { input: 1, output: 2 } } });
    fake.reply({ content: '{"explanation": "Matches the reference.", "label": "correct"}', usage: { prompt: 100, completion: 20 } });
    const judge = llmJudge({ name: 'correctness', template, rails, client });
    expect(await judge.evaluate(judgeArgs())).toEqual({
      score: 1,
      label: 'correct',
      explanation: 'Matches the reference.',
      metadata: { model: 'judge-mini', promptTokens: 100, completionTokens: 20, costUsd: 0.00014, calls: 1 },
    });
    expect(judge.timeout).toBe('5m');
  });

  test('the template placeholders are filled and the request asks for JSON at temperature 0', async () => {
    const judge = llmJudge({ template, rails, client: newClient() });
    fake.reply({ content: '{"label": "correct", "explanation": "ok"}' });
    await judge.evaluate(judgeArgs());
    const body = fake.requests()[0]?.body;
    expect(body).toMatchObject({ model: 'judge-mini', temperature: 0, response_format: { type: 'json_object' } });
    expect(body?.messages?.[0]).toMatchObject({ role: 'system' });
    expect(String(body?.messages?.[0]?.content)).toMatch(/"correct", "partial", "incorrect"/);
    expect(String(body?.messages?.[0]?.content)).toMatch(/JSON/);
    expect(body?.messages?.[1]).toEqual({
      role: 'user',
      content: 'Question: What is the capital of France?\nReference: {\n  "answer": "Paris"\n}\nAnswer: Paris\nTopic: geography\nDetail: 3',
    });
  });

  test('a label matching a rail but for case is accepted as that rail', async () => {
    fake.reply({ content: '{"label": " Partial "}' });
    const result = await llmJudge({ template, rails, explanation: false, client: newClient() }).evaluate(judgeArgs());
    expect(result).toMatchObject({ score: 0.5, label: 'partial' });
    expect(result).not.toHaveProperty('explanation');
  });

  test('a label outside the rails gets one corrective follow-up, then succeeds', async () => {
    fake.reply(
      { content: '{"label": "mostly right", "explanation": "close"}', usage: { prompt: 50, completion: 10 } },
      { content: '{"label": "partial", "explanation": "close"}', usage: { prompt: 80, completion: 10 } },
    );
    const result = await llmJudge({ template, rails, client: newClient() }).evaluate(judgeArgs());
    expect(result).toMatchObject({ score: 0.5, label: 'partial', metadata: { promptTokens: 130, completionTokens: 20, calls: 2 } });
    const second = fake.requests()[1]?.body?.messages ?? [];
    expect(second).toHaveLength(4);
    expect(second[2]).toEqual({ role: 'assistant', content: '{"label": "mostly right", "explanation": "close"}' });
    expect(String(second[3]?.content)).toMatch(/label "mostly right" is not one of the allowed labels.*"correct", "partial", "incorrect"/);
  });

  test('garbage twice fails the evaluation without retries, recorded as the evaluator’s error', async () => {
    fake.reply({ content: 'I think it is correct.' }, { content: '{"verdict": "yes"}' });
    const err = await failure(llmJudge({ name: 'correctness', template, rails, client: newClient() }).evaluate(judgeArgs()));
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: JUDGE_UNPARSEABLE, nonRetryable: true });
    expect((err as Error).message).toMatch(/judge 'correctness': no label from the rails .*no "label"/);
    expect(fake.callCount()).toBe(2);
  });

  test('a model error becomes a retryable ApplicationFailure with the Retry-After delay', async () => {
    fake.fault({ kind: '429', retryAfterSeconds: 3 });
    const err = await failure(llmJudge({ template, rails, client: newClient() }).evaluate(judgeArgs()));
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'ModelUnavailable', nonRetryable: false, nextRetryDelay: 3000 });
  });

  test('the spec’s `with: { model }` overrides the judge’s model', async () => {
    await failure(llmJudge({ template, rails, model: 'judge-large', client: newClient() }).evaluate(judgeArgs({ params: { model: 'judge-xl' } })));
    expect(fake.requests()[0]?.body?.model).toBe('judge-xl');
  });

  test('a bad template or rails is refused when the module loads', () => {
    expect(() => llmJudge({ template: 'Answer: {{answer}}', rails })).toThrow(/unknown placeholders \{\{answer\}\}/);
    expect(() => llmJudge({ template, rails: { yes: 1 } })).toThrow(/at least two labels/);
    expect(() => llmJudge({ template, rails: { yes: 1, no: Number.NaN } })).toThrow(/finite score/);
    expect(() => llmJudge({ template, rails: { Yes: 1, yes: 0 } })).toThrow(/differ only in case/);
  });

  describe('with the worker’s environment', () => {
    const saved = { ...process.env };
    afterEach(() => {
      for (const key of ['OPENAI_BASE_URL', 'OPENAI_API_KEY', 'DXP_MODEL', 'DXP_MODEL_PRICES']) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    });

    test('the client is made on first use: without OPENAI_API_KEY the judge loads and fails non-retryably', async () => {
      delete process.env.OPENAI_API_KEY;
      process.env.OPENAI_BASE_URL = baseUrl;
      process.env.DXP_MODEL = 'env-model';
      const judge = llmJudge({ template, rails });
      const err = await failure(judge.evaluate(judgeArgs()));
      expect(err).toMatchObject({ type: 'ModelConfigError', nonRetryable: true });
      expect((err as Error).message).toMatch(/OPENAI_API_KEY/);
      expect(fake.callCount()).toBe(0);
    });

    test('the shared client calls the configured server with DXP_MODEL and prices', async () => {
      process.env.OPENAI_API_KEY = fake.apiKey;
      process.env.OPENAI_BASE_URL = baseUrl;
      process.env.DXP_MODEL = 'env-model';
      process.env.DXP_MODEL_PRICES = '{"env-model": {"input": 1, "output": 1}}';
      fake.reply({ content: '{"label": "incorrect", "explanation": "no"}', usage: { prompt: 10, completion: 10 } });
      const result = await llmJudge({ template, rails }).evaluate(judgeArgs());
      expect(result).toMatchObject({ score: 0, label: 'incorrect', metadata: { model: 'env-model', costUsd: 0.00002 } });
      expect(fake.requests()[0]?.body?.model).toBe('env-model');
    });
  });

  describe('inside the evaluator activity', () => {
    const quiet: Logger = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
    const environment = () => new MockActivityEnvironment(undefined, { logger: quiet });
    function activities(client: ModelClient) {
      const registry = createRegistry({ evaluators: { correctness: llmJudge({ template, rails, client }) } });
      return createTaskActivities(registry);
    }
    const input = {
      evaluator: { column: 'correctness', use: 'correctness', timeout: '5m', retry: {} },
      example: { id: 'e1', index: 0, input: 'q', expected: 'a', metadata: {}, row: {} },
      output: 'a',
    };

    test('a 429 fails the activity as ModelUnavailable with nextRetryDelay, for Temporal to retry the judge alone', async () => {
      fake.fault({ kind: '429', retryAfterMs: 2500 });
      const { runEvaluator } = activities(newClient());
      const err = await failure(environment().run(runEvaluator, input));
      expect(err).toMatchObject({ type: 'ModelUnavailable', nonRetryable: false, nextRetryDelay: 2500 });
    });

    test('a judged run comes back as an evaluation result', async () => {
      fake.reply({ content: '{"label": "correct", "explanation": "same"}' });
      const { runEvaluator } = activities(newClient());
      expect(await environment().run(runEvaluator, input)).toMatchObject({ score: 1, label: 'correct', explanation: 'same' });
    });
  });
});
