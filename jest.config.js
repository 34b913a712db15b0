/** Jest runs TypeScript through ts-jest; suites that need real services start them in globalSetup. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  testTimeout: 120000,
  // Every suite talks to real processes; two cores do not profit from parallel suites.
  maxWorkers: 1,
  // After Jest's summary, the count as one plain closing line (test/support/closing-line-reporter.js says why).
  reporters: ['default', '<rootDir>/test/support/closing-line-reporter.js'],
};
