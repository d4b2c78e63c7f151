import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import pluginVue from 'eslint-plugin-vue';

/** A string that starts a SQL statement (keywords upper case, as all SQL in the code base is written). */
const SQL_START =
  '/^\\s*(SELECT\\s|INSERT\\s+INTO\\s|UPDATE\\s+\\S+\\s+SET\\s|DELETE\\s+FROM\\s|CREATE\\s+(TABLE|INDEX|UNIQUE|VIEW)\\s|ALTER\\s+TABLE\\s|DROP\\s+(TABLE|INDEX|VIEW)\\s|WITH\\s+\\w+\\s+AS\\s)/';
const SQL_ROOM =
  'SQL belongs in platform/src/data/ or a *-store.ts file: move the statement into the store next to this file.';

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
  // Single-file components: Vue's template rules, with TypeScript in <script setup lang="ts">.
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    // Vue 3 has no filters: `|` in a template is TypeScript's union (`value as string | undefined`).
    languageOptions: { parserOptions: { parser: tseslint.parser, vueFeatures: { filter: false } } },
    // The type check (vue-tsc) resolves names; ESLint's scope analysis knows no DOM globals.
    rules: { 'no-undef': 'off' },
  },
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
    files: ['ui-runtime/src/**/*.ts', 'ui-runtime/src/**/*.vue'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '(^|/)(generators|database|plugins)/|(^|/)platform/src/(?!contracts/)|(^|/)metadata/src/(?!expression(/|$)|formula-cells$)',
              message:
                'The browser app imports server types only from platform/src/contracts, and of metadata only the expression language and the formula-cell rule of CSV exports.',
            },
            {
              regex: '(^|/)platform/src/contracts/',
              allowTypeImports: true,
              message: "The server's contracts are types: import them with `import type`.",
            },
          ],
        },
      ],
    },
  },
  // SQL lives only in the data room and in `*-store.ts` files next to the code that needs it.
  {
    files: ['platform/src/**/*.ts', 'plugins/*/server/**/*.ts'],
    ignores: ['platform/src/data/**', '**/*-store.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: `Literal[value=${SQL_START}]`,
          message: SQL_ROOM,
        },
        {
          selector: `TemplateLiteral > TemplateElement:first-child[value.raw=${SQL_START}]`,
          message: SQL_ROOM,
        },
        {
          selector: 'CallExpression[callee.property.name=/^(query|execute|createQueryBuilder)$/]',
          message: SQL_ROOM,
        },
      ],
    },
  },
  // The contracts the server and the browser app share are declarations only: nothing of them runs.
  {
    files: ['platform/src/contracts/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "Program > :not(TSInterfaceDeclaration, TSTypeAliasDeclaration, ImportDeclaration[importKind='type'], ExportNamedDeclaration[exportKind='type'], ExportAllDeclaration[exportKind='type'])",
          message:
            'platform/src/contracts holds only types (interfaces, type aliases, `import type`, `export type`): the browser app imports it.',
        },
      ],
    },
  },
  prettier,
);
