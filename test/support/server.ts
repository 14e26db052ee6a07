/**
 * Test helpers for the HTTP, metrics and CLI suites, one module per concern; every name stays
 * importable from here. New tests may import the module they need directly.
 */
export * from './cleanup.js';
export * from './temp-workspace.js';
export * from './exporter.js';
export * from './wait.js';
export * from './http.js';
export * from './exposition.js';
export * from './sse-reader.js';
export * from './sse.js';
export * from './cli.js';
export * from './csv.js';
export * from './fixtures.js';
