/** Unit specs live next to the code (`*.spec.ts`); end-to-end specs in test/ (`*.e2e-spec.ts`). */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

const shared = {
  transform: { '^.+\\.ts$': swc, '^.+\\.lua$': '<rootDir>/scripts/jest-lua-transform.js' },
  moduleFileExtensions: ['ts', 'js', 'json', 'lua'],
  testEnvironment: 'node',
  moduleNameMapper: {
    '^@switchyard/orchestration(|/.*)$': '<rootDir>/libs/orchestration/src$1',
    '^@switchyard/agents(|/.*)$': '<rootDir>/libs/agents/src$1',
    '^@switchyard/client(|/.*)$': '<rootDir>/libs/client/src$1',
  },
};

module.exports = {
  projects: [
    { ...shared, displayName: 'unit', rootDir: __dirname, testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'e2e',
      rootDir: __dirname,
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/jest-e2e.setup.ts'],
    },
  ],
};
