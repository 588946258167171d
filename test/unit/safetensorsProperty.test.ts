// PROPERTY: the safetensors header reader never crashes or hangs on any file — a valid header parses,
// anything else is an EngineError (PackInvalid) that names the file. fast-check, fixed seed, 1,500 cases
// (random headers, mutated valid headers, lying length fields, truncated files).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { readSafetensorsHeader } from '../../src/engine/safetensors';
import { EngineError } from '../../src/engine/engineError';
import { EngineErrorCode } from '../../src/shared/engineProtocol';

const DTYPES = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL', 'F8', 'f32', ''];
const dim = fc.oneof(fc.integer({ min: 0, max: 8 }), fc.constantFrom(-1, 1.5, 2 ** 53, 2 ** 31, '3', null));
const entry = fc.record({
  dtype: fc.oneof(fc.constantFrom(...DTYPES), fc.integer()),
  shape: fc.oneof(fc.array(dim, { maxLength: 4 }), fc.constant('x'), fc.constant(null)),
  data_offsets: fc.oneof(fc.tuple(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 0, max: 600 })), fc.array(fc.oneof(fc.integer(), fc.double()), { maxLength: 3 }), fc.constant(null)),
}, { requiredKeys: [] });
const header = fc.oneof(
  fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__metadata__', '__proto__', 'constructor')), fc.oneof(entry, fc.jsonValue({ maxDepth: 2 })), { maxKeys: 5 }),
  fc.jsonValue({ maxDepth: 3 }),
);
const file = fc.record({
  headerText: fc.oneof(header.map((h) => JSON.stringify(h)), fc.string({ maxLength: 64 })),
  /** How the length field relates to the header: truthful, or a lie. */
  length: fc.oneof(fc.constant('true' as const), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.constantFrom(0n, 1n, 2n ** 63n, 100n * 1024n * 1024n + 1n)),
  body: fc.uint8Array({ maxLength: 700 }),
  truncate: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
});

test('PROPERTY - readSafetensorsHeader: any bytes parse or fail with a PackInvalid EngineError (1,500 cases, seed 7)', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sealens-st-prop-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const f = path.join(dir, 'weights.safetensors');
  let parsed = 0;
  await fc.assert(fc.asyncProperty(file, async ({ headerText, length, body, truncate }) => {
    const h = Buffer.from(headerText, 'utf8');
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(length === 'true' ? BigInt(h.length) : length);
    let bytes = Buffer.concat([len, h, body]);
    if (truncate !== undefined) bytes = bytes.subarray(0, truncate);
    writeFileSync(f, bytes);
    const t0 = Date.now();
    try {
      const r = await readSafetensorsHeader(f);
      parsed++;
      for (const info of r.tensors.values()) assert.ok(info.begin >= 8 && info.end <= bytes.length && info.begin <= info.end);
    } catch (e) {
      if (!(e instanceof EngineError) || e.code !== EngineErrorCode.PackInvalid) throw new Error(`untyped rejection ${(e as Error)?.name}: ${(e as Error)?.message}`);
      assert.match(e.message, /^weights\.safetensors: /);
    }
    assert.ok(Date.now() - t0 < 1000);
  }), { seed: 7, numRuns: 1500 });
  assert.ok(parsed > 0, 'some generated files are valid safetensors');
});
