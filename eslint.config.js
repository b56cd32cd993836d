// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-control-regex': 'off',
    },
  },
  {
    // Dependency direction (DESIGN.md): the engine imports nothing of ours and does no I/O.
    files: ['packages/engine/src/**/*.ts'],
    ignores: ['packages/engine/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['palisade', 'palisade/*', '@palisade/*'],
              message: 'engine must not import other Palisade packages',
            },
            {
              group: ['**/server/**', '**/sensor/**', '**/web/**'],
              message: 'engine must not import other Palisade packages',
            },
            {
              group: ['node:*', 'fs', 'net', 'http', 'https', 'child_process', 'os'],
              message: 'engine is pure: no I/O',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'Date', 'process', 'setTimeout', 'setInterval', 'fetch'],
    },
  },
  {
    // The dashboard shows attack payloads: as React text only, never as HTML (issue 5).
    files: ['packages/web/src/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "JSXAttribute[name.name='dangerouslySetInnerHTML']",
          message: 'render payloads as text; no dangerouslySetInnerHTML',
        },
        {
          selector: 'MemberExpression[property.name=/^(innerHTML|outerHTML|insertAdjacentHTML)$/]',
          message: 'render payloads as text; no innerHTML/outerHTML/insertAdjacentHTML',
        },
      ],
      'no-restricted-properties': ['error', { object: 'document', property: 'write' }],
    },
  },
  {
    files: ['packages/sensor/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['palisade', 'palisade/*', '**/server/**', '**/web/**'],
              message: 'sensor depends on engine only',
            },
          ],
        },
      ],
    },
  },
);
