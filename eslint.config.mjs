import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'data/**',
      'ui-runtime/dist/**',
      '**/*.d.ts',
      'tmp/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
        require: 'readonly',
        module: 'writable',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  // Rooms (docs/architecture.md): imports only go downward.
  {
    files: ['metadata/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)(platform|generators|database|plugins|ui-runtime)/',
              message: 'metadata imports nothing of ours outside metadata/.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['platform/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)(generators|database/seeds)/',
              message:
                'The platform never imports the generators or the seeds (the demo plant is injected at startup).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['generators/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)platform/src/.',
              message:
                "The generators use the platform only through its declared entry, 'platform/src' (index.ts).",
            },
          ],
        },
      ],
    },
  },
  {
    files: ['ui-runtime/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '(^|/)(generators|database|plugins)/|(^|/)platform/src/(?!contracts/)|(^|/)metadata/src/(?!expression/)',
              message:
                'The browser app imports server types only from platform/src/contracts, and of metadata only the expression language.',
            },
          ],
        },
      ],
    },
  },
  prettier,
);
