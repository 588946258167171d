// ESLint (flat config): layer boundaries first, then a few rules that catch real mistakes. Type-aware
// rules are left out on purpose: `tsc -b` (the root tsconfig.json) does the type checking.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Code that runs outside VS Code (the engine process, the CLI, the notebook runner, the trainer launcher)
// must not import `vscode`: the module does not exist there, and the import would crash at load.
const noVscode = {
  name: 'vscode',
  message: 'Engine, shared, notebook, training and CLI code runs outside VS Code: keep vscode imports in src/extension.',
};

// The webview runs in a browser sandbox: it can use only its own code and the shared protocol types.
const webviewOnly = {
  patterns: [
    {
      group: ['**/src/*', '!**/src/shared', '**/src/*/**', '!**/src/shared/**'],
      message: 'webview/ code runs in the browser: import only from webview/ and src/shared.',
    },
  ],
};

export default tseslint.config(
  {
    // Sources only: dot-folders at the top are build, test and tool output (.venv, .test-artifacts, .bench-gpu…).
    ignores: ['node_modules/**', 'dist/**', 'out/**', '.*/**', 'demo-report/**', 'media/**', 'python/**', '**/*.d.ts'],
  },
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // tsc reports these with types in hand (noUnusedLocals/Parameters, strict).
      '@typescript-eslint/no-unused-vars': 'off',
      'no-undef': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Our errors carry the cause's text in their message (what the user sees); `cause` adds nothing there.
      'preserve-caught-error': 'off',
      // Flags `let n = 0` before an if/else that assigns it: a defensive initial value, not a bug.
      'no-useless-assignment': 'off',
    },
  },
  {
    // The CLI launcher is CommonJS (it must run before any bundle is loaded).
    files: ['bin/**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/engine/**', 'src/shared/**', 'src/notebook/**', 'src/training/**', 'src/cli/**', 'src/engineClient/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode] }] },
  },
  {
    files: ['webview/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode], ...webviewOnly }] },
  },
);
