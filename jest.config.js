/** Integration suites start their own Temporal dev server, so they run one file at a time. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // hyparquet and hyparquet-writer ship ESM only; jest's loader cannot require ESM on Node 20,
  // so they are compiled to CommonJS like our own code.
  transform: { '^.+\\.(ts|js)$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
  transformIgnorePatterns: ['/node_modules/(?!(hyparquet|hyparquet-writer)/)'],
  testTimeout: 120_000,
  maxWorkers: 1,
};
