const fs = require('node:fs');
const path = require('node:path');

/**
 * NestJS 12 (and a few of its dependencies) ship ESM-only packages. Node runs them from our CommonJS
 * build through require(esm), but Jest's module loader on Node 20 cannot, so every installed package
 * that is ESM-only is transpiled to CommonJS for tests. In a `type: module` package every `.js` file
 * is ESM, so only a `require` export condition pointing at a `.cjs` file makes it CommonJS-loadable.
 */
function esmOnlyPackages(root) {
  const names = [];
  const requireTargets = (exports, underRequire = false) => {
    if (typeof exports === 'string') return underRequire ? [exports] : [];
    if (typeof exports !== 'object' || exports === null) return [];
    return Object.entries(exports).flatMap(([key, value]) =>
      requireTargets(value, underRequire || key === 'require'),
    );
  };
  const hasCommonJsEntry = (exports) => requireTargets(exports).some((target) => target.endsWith('.cjs'));
  for (const entry of fs.readdirSync(root)) {
    const scoped = entry.startsWith('@')
      ? fs.readdirSync(path.join(root, entry)).map((n) => `${entry}/${n}`)
      : [entry];
    for (const name of scoped) {
      try {
        const pkg = JSON.parse(fs.readFileSync(path.join(root, name, 'package.json'), 'utf8'));
        if (pkg.type === 'module' && !hasCommonJsEntry(pkg.exports)) names.push(name);
      } catch {
        // not a package folder (.bin, .package-lock.json)
      }
    }
  }
  return names.map((n) => n.replace(/[.+]/g, '\\$&'));
}

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  setupFilesAfterEnv: ['<rootDir>/tests/support/has-assertions.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    '^.+\\.m?js$': [
      'babel-jest',
      {
        babelrc: false,
        configFile: false,
        plugins: [
          // ES6 target: `import.meta.url` becomes an imported `url` module, not a bare `require('url')`
          // that a package's own `const require = createRequire(import.meta.url)` would shadow.
          ['babel-plugin-transform-import-meta', { module: 'ES6' }],
          ['@babel/plugin-transform-modules-commonjs', { importInterop: 'node' }],
        ],
      },
    ],
  },
  transformIgnorePatterns: [
    `/node_modules/(?!(${esmOnlyPackages(path.join(__dirname, 'node_modules')).join('|')})/)`,
  ],
  testTimeout: 60000,
  // Suites run one at a time in a worker that is replaced once its heap passes this size: modules a
  // suite loads stay reachable after it ends, and a single process grown to several GB pauses for
  // seconds in garbage collection, long enough to trip the server's own time limits in later suites.
  workerIdleMemoryLimit: '1536MB',
};
