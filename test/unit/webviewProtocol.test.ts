// The host↔webview validators: every malformed message must be rejected with a message that names the
// field, and well-formed ones must pass unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseFromWebview, parseToWebview, parsePersistedState, validateTokenMap, toBytes, isArrayBuffer, ProtocolError, MAX_TOP_K,
} from '../../src/shared/webviewProtocol';
import { gridPatches, type TokenMap } from '../../src/shared/tokenMap';
import { llavaNextMap } from '../fixtures/tokenMaps';

/** A version-1 map, as saved by earlier releases (one grid, no kinds, no boxes): the validators upgrade it. */
function tokenMap(rows = 2, cols = 3) {
  const patches = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) patches.push({ row: r, col: c, words: [{ word: `w${r}${c}`, score: 0.5 - r * 0.1 }, { word: 'cat', score: 0.1 }] });
  return { image: 'a.png', pack: 'p', adapter: 'sea', device: 'cpu' as const, grid: { rows, cols }, patches, timings: { total: 12 }, imageSize: { width: cols * 10, height: rows * 10 } };
}

/** The same map in version 2. */
function tokenMapV2(rows = 2, cols = 3): TokenMap {
  const v1 = tokenMap(rows, cols);
  const rect = { x: 0, y: 0, w: cols * 10, h: rows * 10 };
  return { ...v1, version: 2, views: [{ id: 'image', label: 'image', rect, grid: v1.grid }], patches: gridPatches(v1.grid, rect, v1.patches.map((p) => p.words)) };
}

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);

test('webview → host: well-formed messages pass', () => {
  assert.deepEqual(parseFromWebview({ kind: 'ready' }), { kind: 'ready' });
  assert.deepEqual(parseFromWebview({ kind: 'setAdapter', adapter: 'base' }), { kind: 'setAdapter', adapter: 'base' });
  assert.deepEqual(parseFromWebview({ kind: 'setTopK', topK: 7 }), { kind: 'setTopK', topK: 7 });
  assert.deepEqual(parseFromWebview({ kind: 'export', requestId: 3, format: 'csv' }), { kind: 'export', requestId: 3, format: 'csv' });
  const png = parseFromWebview({ kind: 'export', requestId: 4, format: 'png', data: PNG.buffer });
  assert.ok(png.kind === 'export' && isArrayBuffer(png.data) && png.data.byteLength === PNG.byteLength);
});

test('webview → host: PNG data may arrive as a typed-array view and is copied to an exact ArrayBuffer', () => {
  const big = new Uint8Array(32);
  big.set(PNG, 4);
  const view = big.subarray(4, 4 + PNG.length);
  const m = parseFromWebview({ kind: 'export', requestId: 1, format: 'png', data: view });
  assert.ok(m.kind === 'export' && m.data);
  assert.deepEqual(new Uint8Array(m.data), PNG);
});

test('BAD CALL - webview → host messages are rejected with the field named', () => {
  const cases: [unknown, RegExp][] = [
    [null, /expected an object, got null/],
    [[], /expected an object, got array/],
    [{ kind: 'nope' }, /unknown webview message kind string "nope"/],
    [{}, /unknown webview message kind undefined/],
    [{ kind: 'setAdapter' }, /setAdapter\.adapter: expected a string, got undefined/],
    [{ kind: 'setAdapter', adapter: 'x'.repeat(300) }, /exceeds 256/],
    [{ kind: 'setTopK', topK: 0 }, new RegExp(`setTopK\\.topK: expected an integer in \\[1, ${MAX_TOP_K}\\], got number 0`)],
    [{ kind: 'setTopK', topK: 2.5 }, /integer/],
    [{ kind: 'setTopK', topK: MAX_TOP_K + 1 }, new RegExp(`integer in \\[1, ${MAX_TOP_K}\\]`)],
    [{ kind: 'setTopK', topK: '5' }, /got string "5"/],
    [{ kind: 'export', requestId: -1, format: 'csv' }, /requestId/],
    [{ kind: 'export', requestId: 1, format: 'svg' }, /export\.format: expected one of png, json, csv, got string "svg"/],
    [{ kind: 'export', requestId: 1, format: 'png' }, /a PNG export needs an ArrayBuffer, got undefined/],
    [{ kind: 'export', requestId: 1, format: 'png', data: [0x89, 0x50, 0x4e, 0x47] }, /needs an ArrayBuffer, got array\(4\)/],
    [{ kind: 'export', requestId: 1, format: 'png', data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]).buffer }, /8 bytes that do not start with the PNG signature/],
    [{ kind: 'export', requestId: 1, format: 'json', data: PNG.buffer }, /only PNG exports carry data/],
    [{ kind: 'setCompareAdapters', adapterA: 'a' }, /adapterB: expected a string/],
    [{ kind: 'webviewError', message: 42 }, /webviewError\.message: expected a string, got number 42/],
  ];
  for (const [msg, re] of cases) assert.throws(() => parseFromWebview(msg), (e: unknown) => e instanceof ProtocolError && re.test((e as Error).message), `for ${JSON.stringify(msg)}`);
});

test('webview → host: unknown extra fields are dropped, not passed on', () => {
  const m = parseFromWebview({ kind: 'setAdapter', adapter: 'a', command: 'rm -rf' }) as Record<string, unknown>;
  assert.equal(m.command, undefined);
});

test('host → webview: explain and compare payloads pass', () => {
  const tm = tokenMap();
  const ok = parseToWebview({ kind: 'explain', payload: { tokenMap: tm, imageUrl: 'https://x/a.png', adapters: ['sea', 'base'], adapter: 'sea', topK: 5 } });
  assert.equal(ok.kind, 'explain');
  const cmp = parseToWebview({ kind: 'compare', payload: { result: { a: tm, b: tokenMap(), changed: [true, false, false, false, false, false], agreement: 5 / 6 }, imageUrl: 'u', adapters: ['a', 'b'], adapterA: 'a', adapterB: 'b', topK: 3 } });
  assert.equal(cmp.kind, 'compare');
  assert.equal(parseToWebview({ kind: 'exportDone', requestId: 2, ok: true }).kind, 'exportDone');
});

test('token maps: version 2 passes as it is; version 1 is upgraded to boxes in one view', () => {
  const v2 = tokenMapV2();
  assert.deepEqual(validateTokenMap(v2), v2);
  const next = llavaNextMap();
  assert.equal(validateTokenMap(next).patches.length, 2928, 'multi-view maps with newline tokens pass');
  const up = validateTokenMap(tokenMap(2, 3));
  assert.equal(up.version, 2);
  assert.deepEqual(up.views.map((v) => v.id), ['image']);
  assert.deepEqual(up.patches[4], v2.patches[4], 'row 1, col 1 lands on the box the v2 map gives it');
});

test('EXPECTED FAILURE - malformed token maps name the patch and the numbers', () => {
  const tm = tokenMap(2, 3);
  assert.throws(() => validateTokenMap({ ...tm, patches: tm.patches.slice(1) }), /tokenMap\.patches has 5 entries; a 2×3 grid needs 6/);
  const outside = structuredClone(tokenMapV2(2, 3));
  outside.patches[1].box = { x: 25, y: 0, w: 10, h: 10 };
  assert.throws(() => validateTokenMap(outside), /tokenMap\.patches\[1\]\.box \{"x":25,"y":0,"w":10,"h":10\} leaves the 30×20 image/);
  const noTile = structuredClone(tokenMapV2(2, 3));
  noTile.patches[2].tile = 3;
  assert.throws(() => validateTokenMap(noTile), /patches\[2\]\.tile must index one of the 1 views \(found 3\)/);
  assert.throws(() => validateTokenMap({ ...tm, grid: { rows: 0, cols: 3 } }), /tokenMap\.grid must have whole rows and cols between 1 and 4096/);
  assert.throws(() => validateTokenMap({ ...tm, region: { x: 0, y: 0, width: 0, height: 5 } }), /views\[0\]\.rect must be \{x, y, w, h\} with w, h > 0/);
  assert.throws(() => validateTokenMap({ ...tm, adapter: undefined }), /tokenMap\.adapter: expected a string/);
  assert.throws(() => parseToWebview({ kind: 'explain', payload: { tokenMap: tm, imageUrl: 'u', adapters: 'sea', adapter: 'sea', topK: 5 } }), /adapters: expected an array of strings/);
  assert.throws(() => parseToWebview({ kind: 'compare', payload: { result: { a: tm, b: tokenMap(3, 2), changed: [], agreement: 1 }, imageUrl: 'u', adapters: [], adapterA: 'a', adapterB: 'b', topK: 3 } }), /place their tokens differently \(6 vs 6 tokens\)/);
  assert.throws(() => parseToWebview({ kind: 'compare', payload: { result: { a: tm, b: tm, changed: [true], agreement: 1 }, imageUrl: 'u', adapters: [], adapterA: 'a', adapterB: 'b', topK: 3 } }), /changed: expected 6 booleans/);
  assert.throws(() => parseToWebview({ kind: 'compare', payload: { result: { a: tm, b: tm, changed: tm.patches.map(() => false), agreement: 1.5 } } }), /agreement: expected a fraction in \[0, 1\], got 1.5/);
  assert.throws(() => parseToWebview({ kind: 'exportDone', requestId: 1, ok: 'yes' }), /exportDone\.ok: expected a boolean/);
  assert.throws(() => parseToWebview({ kind: 'script', code: 'x' }), /unknown host message kind string "script"/);
});

// A score is a finite number, or null where JSON stored a non-finite one; NaN in memory is garbage.
test('EXPECTED FAILURE - a NaN score is refused', () => {
  const nan = structuredClone(tokenMapV2());
  nan.patches[4].words[1].score = Number.NaN;
  assert.throws(() => validateTokenMap(nan), /patches\[4\]\.words/);
});

test('persisted state: garbage is ignored, valid fields kept, bad optional fields dropped', () => {
  assert.equal(parsePersistedState(undefined), undefined);
  assert.equal(parsePersistedState({ view: 'explain' }), undefined);
  assert.equal(parsePersistedState({ view: 'other', image: 'file:///a.png' }), undefined);
  assert.deepEqual(parsePersistedState({ view: 'compare', image: 'file:///a.png', adapter: 'a', adapterB: 'b', topK: 99, heatmap: 'yes' }), { view: 'compare', image: 'file:///a.png', adapter: 'a', adapterB: 'b' });
  assert.deepEqual(parsePersistedState({ view: 'explain', image: 'file:///a.png', topK: 3, heatmap: true }), { view: 'explain', image: 'file:///a.png', topK: 3, heatmap: true });
});

test('toBytes accepts ArrayBuffer and views, rejects arrays and strings', () => {
  assert.equal(toBytes(new ArrayBuffer(3))?.byteLength, 3);
  assert.equal(toBytes(new Uint16Array(2))?.byteLength, 4);
  assert.equal(toBytes([1, 2]), undefined);
  assert.equal(toBytes('abc'), undefined);
});
