// Mistral tokenizer fixtures for the vocabulary tests, made at install time so tests never touch the network.
// No npm package ships a Mistral tokenizer.json; the mistral-common wheel on PyPI ships Mistral's SentencePiece
// models. ensure-python.mjs calls this once .venv is ready: the pinned wheel is fetched with
// `pip download --no-deps` (not installed: it pulls many dependencies), its SHA-256 checked, and
// test/fixtures/make_mistral_tokenizers.py converts the models with `pack init`'s own code into
// .venv/fixtures/mistral/{v1,v3}. Already there (READY matches the wheel and the script's version): nothing
// runs. A failure never throws: its reason goes to .venv/fixtures/mistral-failed.txt and the tests that need
// the fixture skip with it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = path.join(root, '.venv', 'fixtures');
export const MISTRAL_DIR = path.join(FIXTURES, 'mistral');
export const MISTRAL_FAILED = path.join(FIXTURES, 'mistral-failed.txt');
const SCRIPT = path.join(root, 'test', 'fixtures', 'make_mistral_tokenizers.py');
// PyPI's sha256 of mistral_common-1.13.1-py3-none-any.whl (6,589,302 bytes).
const WHEEL = { spec: 'mistral-common==1.13.1', file: 'mistral_common-1.13.1-py3-none-any.whl', sha256: '98b4d0755b8d90bf4691fa8f1b70cb3b4a8cd4dc1653c4ed08ef3d1c7d2c29af' };

const stamp = () => `${WHEEL.sha256} ${/^VERSION = "(\w+)"/m.exec(readFileSync(SCRIPT, 'utf8'))?.[1] ?? '?'}\n`;
const tail = (s) => (s ?? '').trim().split('\n').filter(Boolean).pop()?.slice(0, 200) ?? '';

function build(python, tmp) {
  mkdirSync(tmp, { recursive: true });
  const dl = spawnSync(python, ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--retries', '1', '--timeout', '30',
    '--progress-bar', 'off', '-d', tmp, WHEEL.spec], { encoding: 'utf8', timeout: 180_000 });
  const wheel = path.join(tmp, WHEEL.file);
  if (dl.status !== 0 || !existsSync(wheel)) {
    return `pip download ${WHEEL.spec} failed (no network?): ${tail(dl.stderr) || dl.error?.message || `exit ${dl.status}`}; rerun \`node scripts/ensure-python.mjs\` when online`;
  }
  const got = createHash('sha256').update(readFileSync(wheel)).digest('hex');
  if (got !== WHEEL.sha256) return `${WHEEL.file}: SHA-256 ${got}, expected ${WHEEL.sha256} — not the pinned wheel; left unused`;
  const out = path.join(tmp, 'out');
  const r = spawnSync(python, [SCRIPT, wheel, out], { encoding: 'utf8', timeout: 300_000, cwd: root });
  if (r.status !== 0) return `${path.relative(root, SCRIPT)} failed (exit ${r.status ?? r.signal}): ${tail(r.stderr) || r.error?.message}`;
  writeFileSync(path.join(out, 'READY'), stamp());
  return undefined;
}

/** Makes .venv/fixtures/mistral if missing or stale. Returns undefined when ready, else the reason (never throws). */
export function ensureMistralTokenizers(python) {
  const ready = path.join(MISTRAL_DIR, 'READY');
  try {
    if (existsSync(ready) && readFileSync(ready, 'utf8') === stamp()) {
      rmSync(MISTRAL_FAILED, { force: true }); // an earlier failure, since put right
      return undefined;
    }
  } catch { /* unreadable: rebuild */ }
  const started = Date.now();
  // Built beside the final folder and renamed into place, so a parallel run never sees half a fixture.
  const tmp = path.join(FIXTURES, `.mistral-${process.pid}`);
  let reason;
  try {
    rmSync(tmp, { recursive: true, force: true });
    reason = build(python, tmp);
    if (!reason) {
      rmSync(MISTRAL_DIR, { recursive: true, force: true });
      try {
        renameSync(path.join(tmp, 'out'), MISTRAL_DIR);
      } catch (e) {
        if (!existsSync(path.join(MISTRAL_DIR, 'READY'))) throw e; // else a parallel run put it there first
      }
      rmSync(MISTRAL_FAILED, { force: true });
      console.log(`ensure-python: Mistral tokenizer fixtures (${readdirSync(MISTRAL_DIR).filter((d) => d !== 'READY').join(', ')}) in ${MISTRAL_DIR}, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
  } catch (e) {
    reason = `could not write ${MISTRAL_DIR}: ${e.message}`;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (!reason) return undefined;
  console.warn(`ensure-python: ${reason}\n  The Mistral vocabulary tests skip with this reason.`);
  try {
    mkdirSync(FIXTURES, { recursive: true });
    writeFileSync(MISTRAL_FAILED, reason + '\n');
  } catch { /* .venv cannot be written: the warning is all we can do */ }
  return reason;
}
