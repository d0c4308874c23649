/** The loopback OpenAI-compatible server for tests. */
export * from './server';
