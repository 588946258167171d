// PROPERTY: the model pack loader never crashes or hangs on any manifest — a pack loads, or the load fails
// with an EngineError (PackInvalid) whose message names the manifest field or the file. fast-check, fixed
// seeds: 1,500 arbitrary JSON manifests through readManifest (the schema and path checks), and 1,000
// mutations of the demo pack's real manifest through loadPack (the files behind it: ONNX sessions,
// safetensors, tokenizers, preprocessor) — fields deleted or replaced, paths leading out of the pack,
// through a symlink, to a FIFO or a folder, and files swapped between roles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { readManifest } from '../../src/engine/packManifest';
import { loadPack } from '../../src/engine/packLoader';
import { EngineError } from '../../src/engine/engineError';
import { EngineErrorCode } from '../../src/shared/engineProtocol';

const ROOT = path.resolve(__dirname, '..', '..');
const DEMO = path.join(ROOT, 'media', 'demo-pack');
const demoManifest = JSON.parse(readFileSync(path.join(DEMO, 'manifest.json'), 'utf8')) as Record<string, unknown>;

/** A copy of the demo pack plus the hostile neighbours a manifest may point at. */
function makePack(t: { after(fn: () => void): void }): string {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sealens-pack-prop-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const dir = path.join(tmp, 'pack');
  cpSync(DEMO, dir, { recursive: true });
  writeFileSync(path.join(tmp, 'outside.onnx'), readFileSync(path.join(DEMO, 'adapters', 'sea.onnx')));
  symlinkSync(path.join(tmp, 'outside.onnx'), path.join(dir, 'link-out.onnx'));
  mkdirSync(path.join(dir, 'folder.onnx'));
  writeFileSync(path.join(dir, 'empty.safetensors'), '');
  writeFileSync(path.join(dir, 'text.onnx'), 'not a model');
  if (process.platform !== 'win32') spawnSync('mkfifo', [path.join(dir, 'fifo.onnx')]);
  return dir;
}

/** Every rejection must be a typed pack error with a message a person can act on. */
function assertTyped(e: unknown, what: string): void {
  if (!(e instanceof EngineError)) throw new Error(`untyped rejection for ${what}: ${(e as Error)?.name}: ${(e as Error)?.message}`);
  assert.equal(e.code, EngineErrorCode.PackInvalid, `${what}: ${e.message}`);
  assert.ok(e.message.length > 10 && !/^internal|undefined\b|\[object Object\]/.test(e.message), `${what}: unhelpful message "${e.message}"`);
}

test('PROPERTY - readManifest: any JSON in manifest.json is accepted or refused with a PackInvalid EngineError (1,500 cases, seed 11)', async (t) => {
  const dir = makePack(t);
  const json = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.record({ formatVersion: fc.constantFrom(1, 2, '1', 0), name: fc.string(), adapters: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: [] }));
  const text = fc.oneof(json.map((j) => JSON.stringify(j)), fc.string({ maxLength: 80 }), fc.constant(''), fc.constant('\uFEFF{}'));
  await fc.assert(fc.asyncProperty(text, async (s) => {
    writeFileSync(path.join(dir, 'manifest.json'), s);
    const t0 = Date.now();
    try {
      await readManifest(dir);
    } catch (e) {
      assertTyped(e, s.slice(0, 120));
    }
    assert.ok(Date.now() - t0 < 2000, 'no manifest takes two seconds');
  }), { seed: 11, numRuns: 1500 });
});

// ---- mutations of the real manifest ------------------------------------------------------------------
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path (as keys) into a JSON value, the root excluded. */
function paths(v: Json, at: (string | number)[] = []): (string | number)[][] {
  if (v === null || typeof v !== 'object') return [];
  const keys: (string | number)[] = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
  return keys.flatMap((k) => [[...at, k], ...paths((v as Record<string | number, Json>)[k], [...at, k])]);
}
// `evaluation` and the descriptions are free-form text and numbers for people: mutating them proves little.
const ALL_PATHS = paths(demoManifest as Json).filter((p) => p[0] !== 'evaluation' && !p.includes('description'));
const FILE_PATHS = ALL_PATHS.filter((p) => typeof p[p.length - 1] === 'string' && ['onnx', 'file', 'tokenizer', 'preprocessor', 'wordList', 'safetensors', 'tokenizerConfig'].includes(p[p.length - 1] as string));
const PACK_FILES = ['encoder/vision_model.onnx', 'encoder/text_model.onnx', 'adapters/sea.onnx', 'adapters/sea.safetensors', 'llm/embed_tokens.safetensors', 'labels/word_embeds.safetensors', 'llm/tokenizer.json', 'encoder/preprocessor_config.json', 'labels/words.txt', 'llm/decoder.onnx', 'manifest.json'];
const HOSTILE_PATHS = ['../outside.onnx', '/etc/passwd', 'a/../../outside.onnx', 'link-out.onnx', 'folder.onnx', 'fifo.onnx', 'empty.safetensors', 'text.onnx', 'missing.onnx', '', 'C:\\x.onnx', '..\\outside.onnx'];
const ODD_VALUES: Json[] = [null, true, 0, -1, 1, 2, 7, 12, 1e9, -1e9, 0.5, '', 'x', 'last_hidden_state', 'model.embed_tokens.weight', [], {}, [1, 2], { file: '../outside.onnx', tensor: 'x' }];

const mutation = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.constantFrom(...ALL_PATHS) }),
  fc.record({ op: fc.constant('set' as const), at: fc.constantFrom(...ALL_PATHS), value: fc.oneof(fc.constantFrom(...ODD_VALUES), fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>) }),
  fc.record({ op: fc.constant('set' as const), at: fc.constantFrom(...FILE_PATHS), value: fc.constantFrom<Json>(...PACK_FILES, ...HOSTILE_PATHS) }),
);

function apply(m: Json, mut: { op: 'delete' | 'set'; at: (string | number)[]; value?: Json }): Json {
  const copy = structuredClone(m) as Record<string | number, Json>;
  let parent: Record<string | number, Json> | undefined = copy;
  for (const k of mut.at.slice(0, -1)) parent = parent && typeof parent[k] === 'object' && parent[k] !== null ? (parent[k] as Record<string | number, Json>) : undefined;
  if (!parent) return copy;
  const last = mut.at[mut.at.length - 1];
  if (mut.op === 'delete') {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else parent[last] = mut.value as Json;
  return copy;
}

test('PROPERTY - loadPack: mutations of the demo manifest load or fail with a PackInvalid EngineError naming the field or file (1,000 cases, seed 12)', async (t) => {
  const dir = makePack(t);
  let loaded = 0;
  let refused = 0;
  await fc.assert(fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (muts) => {
    const manifest = muts.reduce<Json>(apply, demoManifest as Json);
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    const t0 = Date.now();
    try {
      const pack = await loadPack(dir, 'cpu');
      loaded++;
      await pack.release();
    } catch (e) {
      refused++;
      assertTyped(e, JSON.stringify(muts).slice(0, 300));
    }
    assert.ok(Date.now() - t0 < 10_000, 'no manifest takes ten seconds');
  }), { seed: 12, numRuns: 1000 });
  console.log(`loadPack property: ${loaded} loaded, ${refused} refused with a PackInvalid EngineError`);
  assert.ok(loaded > 0 && refused > 0, 'the mutations reach both outcomes');
});
