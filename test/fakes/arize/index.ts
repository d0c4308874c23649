/** The loopback Arize AX fake for tests. */
export { ArizeFake, FAKE_API_KEY, type RequestLogEntry } from './server';
export { ANY_ROUTE, type Fault } from './faults';
export { arizeId, type SeedExample, type SeededDataset } from './store';
export * as contract from './contract';
