// PROPERTY: the webview message validators (generated from schemas/webview-messages.schema.json) never
// crash or hang on anything a page or a stale host can post — a message parses, or it throws a
// ProtocolError whose message names the field. What parses keeps its promises: only the kind's own fields,
// a topK in range, PNG bytes that start with the signature. fast-check, fixed seeds, 2,000 cases each way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EXPORT_FORMATS, MAX_TOP_K, parseFromWebview, parsePersistedState, parseToWebview, ProtocolError } from '../../src/shared/webviewProtocol';
import { LIMITS } from '../../src/shared/mediaLimits';
import schema from '../../schemas/webview-messages.schema.json';
import { gridMap } from '../fixtures/tokenMaps';

const KINDS_FROM = ['ready', 'retry', 'setAdapter', 'setCompareAdapters', 'setTopK', 'export', 'webviewError'];
const KINDS_TO = ['loading', 'explain', 'compare', 'error', 'exportDone', 'viewCommand'];
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const edgy = fc.constantFrom<unknown>(undefined, null, true, 0, -1, 1, 2.5, MAX_TOP_K, MAX_TOP_K + 1, Number.NaN, Infinity, 2 ** 53, '', 'sea', 'x'.repeat(300), 'png', 'svg', [], {}, '__proto__');
const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 40 }).map((b) => b.buffer),
  fc.uint8Array({ maxLength: 40 }).map((b) => new Uint8Array([...PNG, ...b]).buffer),
  fc.uint8Array({ maxLength: 40 }).map((b) => new Uint8Array([...PNG, ...b]).subarray(1)),
  fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 10 }),
);
const value = fc.oneof(edgy, fc.jsonValue({ maxDepth: 2 }), bytes);
/** Near-valid messages: a real kind with each field valid, wrong, missing or extra. */
const message = (kinds: string[]) => fc.record({
  kind: fc.oneof(fc.constantFrom(...kinds), edgy),
  adapter: value, adapterA: value, adapterB: value, topK: fc.oneof(fc.integer({ min: -2, max: 60 }), value),
  requestId: fc.oneof(fc.nat(), value), format: fc.oneof(fc.constantFrom(...EXPORT_FORMATS), value), data: value,
  message: value, fix: value, ok: value, command: fc.oneof(fc.constantFrom('toggleHeatmap', 'export'), value),
  payload: fc.oneof(value, fc.record({ tokenMap: fc.oneof(fc.constant(gridMap(2, 3) as unknown), value), imageUrl: value, adapters: fc.oneof(fc.constant(['a', 'b']), value), adapter: value, topK: value }, { requiredKeys: [] })),
  extra: value,
}, { requiredKeys: [] });
/** Valid host messages with one field replaced or removed: the checks after the schema (TokenMaps, compare) run too. */
const validTo = (): Record<string, unknown>[] => {
  const a = gridMap(2, 3);
  return [
    { kind: 'loading', message: 'x' }, { kind: 'error', message: 'x', fix: 'y' }, { kind: 'exportDone', requestId: 1, ok: true },
    { kind: 'viewCommand', command: 'export', format: 'png' }, { kind: 'viewCommand', command: 'toggleHeatmap' },
    { kind: 'explain', payload: { tokenMap: a, imageUrl: 'u', adapters: ['a'], adapter: 'a', topK: 5 } },
    { kind: 'compare', payload: { result: { a, b: gridMap(2, 3), changed: a.patches.map(() => false), agreement: 1 }, imageUrl: 'u', adapters: ['a'], adapterA: 'a', adapterB: 'b', topK: 5 } },
  ];
};
const nearValidTo = fc.record({ i: fc.nat(6), key: fc.constantFrom('kind', 'message', 'payload', 'format', 'command', 'ok', 'tokenMap', 'result', 'topK', 'a', 'changed', 'agreement', 'patches', 'grid'), v: fc.option(value) }).map(({ i, key, v }) => {
  const m = validTo()[i];
  const targets = [m, m.payload, (m.payload as Record<string, unknown> | undefined)?.tokenMap, (m.payload as Record<string, unknown> | undefined)?.result].filter((o): o is Record<string, unknown> => typeof o === 'object' && o !== null && key in o);
  for (const o of targets.slice(0, 1)) if (v === null) delete o[key]; else o[key] = v;
  return m;
});
const anything = fc.oneof(message(KINDS_FROM), message(KINDS_TO), nearValidTo, fc.anything(), edgy);

function typedOrOk<T>(f: () => T, input: unknown): T | undefined {
  const t0 = Date.now();
  try {
    return f();
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw new Error(`untyped rejection ${(e as Error)?.name}: ${(e as Error)?.message} for ${String(JSON.stringify(input))?.slice(0, 200)}`);
    assert.match(e.message, /^[\w.[\]]+[: ]/, 'the message starts with the field path');
    return undefined;
  } finally {
    assert.ok(Date.now() - t0 < 500, 'no message takes half a second');
  }
}

test('PROPERTY - parseFromWebview: anything parses to a message of its kind only, or throws a ProtocolError (2,000 cases, seed 21)', () => {
  let parsed = 0;
  fc.assert(fc.property(anything, (m) => {
    const r = typedOrOk(() => parseFromWebview(m), m);
    if (!r) return;
    parsed++;
    assert.ok(KINDS_FROM.includes(r.kind));
    const allowed = schema.definitions.FromWebview.oneOf.find((b) => b.properties.kind.const === r.kind)!.properties;
    for (const k of Object.keys(r)) assert.ok(k in allowed, `field ${k} of ${r.kind} is not in the schema`);
    if (r.kind === 'setTopK') assert.ok(Number.isInteger(r.topK) && r.topK >= 1 && r.topK <= LIMITS.topK.max);
    if (r.kind === 'export' && r.format === 'png') assert.deepEqual([...new Uint8Array(r.data!).subarray(0, 4)], PNG.slice(0, 4));
    if (r.kind === 'export' && r.format !== 'png') assert.equal(r.data, undefined);
  }), { seed: 21, numRuns: 2000 });
  assert.ok(parsed > 20, `some generated messages are valid (${parsed})`);
});

test('PROPERTY - parseToWebview: anything parses or throws a ProtocolError (2,000 cases, seed 22)', () => {
  let parsed = 0;
  fc.assert(fc.property(anything, (m) => {
    const r = typedOrOk(() => parseToWebview(m), m);
    if (!r) return;
    parsed++;
    assert.ok(KINDS_TO.includes(r.kind));
    if (r.kind === 'viewCommand' && r.command === 'export') assert.ok(EXPORT_FORMATS.includes(r.format));
  }), { seed: 22, numRuns: 2000 });
  assert.ok(parsed > 100, `some generated messages are valid (${parsed})`);
});

test('PROPERTY - parsePersistedState: anything gives a usable state or undefined, never a throw (1,000 cases, seed 23)', () => {
  const state = fc.record({ view: fc.oneof(fc.constantFrom('explain', 'compare'), edgy), image: fc.oneof(fc.constant('file:///a.png'), edgy), adapter: value, adapterB: value, topK: value, heatmap: value }, { requiredKeys: [] });
  fc.assert(fc.property(fc.oneof(state, fc.anything()), (s) => {
    const r = parsePersistedState(s);
    if (!r) return;
    assert.ok((r.view === 'explain' || r.view === 'compare') && typeof r.image === 'string' && r.image.length > 0);
    if (r.topK !== undefined) assert.ok(Number.isInteger(r.topK) && r.topK >= 1 && r.topK <= MAX_TOP_K);
    if (r.heatmap !== undefined) assert.equal(typeof r.heatmap, 'boolean');
  }), { seed: 23, numRuns: 1000 });
});
