// One build script, one bundle per runtime: the extension host, the engine process and the CLI run on
// Node; the webview and the notebook renderer run in the browser. Native modules stay external and ship
// in node_modules of the .vsix.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const nodeExternals = ['vscode', 'onnxruntime-node', 'sharp', '@huggingface/tokenizers'];

/** @type {Array<import('esbuild').BuildOptions & {entryPoints: string[]}>} */
const bundles = [
  { entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', external: nodeExternals },
  { entryPoints: ['src/engine/engineProcess.ts'], outfile: 'dist/engineProcess.js', platform: 'node', format: 'cjs', external: nodeExternals },
  // `sea-lens doctor` / Check Environment try each execution provider in this short-lived process.
  { entryPoints: ['src/engine/providerProbe.ts'], outfile: 'dist/providerProbe.js', platform: 'node', format: 'cjs', external: nodeExternals },
  { entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', external: nodeExternals },
  { entryPoints: ['webview/explain/main.ts'], outfile: 'dist/webview/explain.js', platform: 'browser', format: 'esm' },
  { entryPoints: ['webview/compare/main.ts'], outfile: 'dist/webview/compare.js', platform: 'browser', format: 'esm' },
  { entryPoints: ['webview/training/main.ts'], outfile: 'dist/webview/training.js', platform: 'browser', format: 'esm' },
  { entryPoints: ['webview/notebook/renderer.ts'], outfile: 'dist/webview/notebookRenderer.js', platform: 'browser', format: 'esm' },
];

/** @type {import('esbuild').BuildOptions} */
const common = { bundle: true, sourcemap: !production, minify: production, target: 'es2022', logLevel: 'warning' };

const present = bundles.filter((b) => existsSync(b.entryPoints[0]));
for (const b of bundles) if (!present.includes(b)) console.warn(`esbuild: skipping ${b.entryPoints[0]} (not present)`);

if (watch) {
  for (const b of present) await (await esbuild.context({ ...common, ...b })).watch();
} else {
  await Promise.all(present.map((b) => esbuild.build({ ...common, ...b })));
}
