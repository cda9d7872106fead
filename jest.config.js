/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  // The examples import the package by its name, as an app does: here it is the sources (tsconfig.json `paths` says the
  // same to tsc; the workflow bundler gets the same alias, test/helpers/workflow-bundle.ts).
  moduleNameMapper: {
    '^hookwait$': '<rootDir>/src/index.ts',
    '^hookwait/workflow$': '<rootDir>/src/workflow.ts',
    '^hookwait/testing$': '<rootDir>/src/testing.ts',
  },
  // Finds or installs the Temporal CLI and the time-skipping test server once, before any test file starts a server.
  globalSetup: '<rootDir>/test/global-setup.ts',
  setupFiles: ['<rootDir>/test/setup-runtime.ts'],
  testTimeout: 60_000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
};
