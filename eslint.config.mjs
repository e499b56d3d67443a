import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const frameworks = [
  'koa',
  'koa-*',
  '@koa/*',
  'kysely',
  'kysely-*',
  'pg',
  'pg-*',
  'amqplib',
  'inversify',
  '@inversifyjs/*',
  'reflect-metadata',
  'jose',
  'openid-client',
  'pino',
  'prom-client',
  '@electric-sql/*',
  'node:*',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', process: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The console's one script runs in the browser, as a classic script.
    files: ['src/adapters/console/assets/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: { window: 'readonly', document: 'readonly', fetch: 'readonly', setInterval: 'readonly' },
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The dependency rule: the core imports no framework, no driver and no adapter.
    files: ['src/domain/**/*.ts', 'src/application/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: frameworks,
              message:
                'domain and application code imports no framework or driver (hexagonal dependency rule)',
            },
            {
              group: ['**/adapters/**', '**/composition/**', '**/commands/**', '**/main'],
              message: 'the core must not depend on adapters or the composition root',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: frameworks,
              message: 'domain code imports no framework or driver (hexagonal dependency rule)',
            },
            {
              group: [
                '**/adapters/**',
                '**/application/**',
                '**/composition/**',
                '**/commands/**',
                '**/main',
              ],
              message: 'the domain depends on nothing but itself, io-ts and fp-ts',
            },
          ],
        },
      ],
    },
  },
  {
    // Adapters do not import one another: each folder is one technology, wired to the others only in
    // src/composition. Types they share are ports (src/application); the few files directly in
    // src/adapters (logging, the code-list file, the pino relay observer) are neutral and may be used.
    files: ['src/adapters/*/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./(?!\\.\\.)[^/]+/',
              message:
                'an adapter does not import another adapter folder; put the shared type with the ports or wire them in src/composition',
            },
            {
              group: ['**/composition/**', '**/commands/**', '**/main'],
              message: 'adapters do not depend on the composition root',
            },
          ],
        },
      ],
    },
  },
);
