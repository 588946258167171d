// The generated TypeScript side of every schemas/*.schema.json (scripts/gen-schema-types.mjs): types and
// precompiled validators are checked in, so a schema edited without rerunning the generator fails here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(__dirname, '..', '..');

test('src/shared/generated is up to date with schemas/ (run `node scripts/gen-schema-types.mjs` if not)', () => {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'gen-schema-types.mjs'), '--check'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stderr}${r.stdout}`);
});

test('every schema has its types and its validator module', () => {
  const generated = new Set(readdirSync(path.join(root, 'src', 'shared', 'generated')));
  for (const f of readdirSync(path.join(root, 'schemas')).filter((x) => x.endsWith('.schema.json'))) {
    const name = f.replace(/\.schema\.json$/, '');
    assert.ok(generated.has(`${name}.ts`), `src/shared/generated/${name}.ts missing`);
    assert.ok(generated.has(`${name}.validate.ts`), `src/shared/generated/${name}.validate.ts missing`);
  }
});
