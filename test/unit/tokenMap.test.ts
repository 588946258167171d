// The TokenMap contract: schemas/tokenmap.schema.json and the TypeScript checks in src/shared/tokenMap.ts
// must agree on every map (valid and broken ones), version-1 maps upgrade to boxes over their region, and
// a map whose boxes leave the image is refused, never drawn.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import Ajv from 'ajv';
import schema from '../../schemas/tokenmap.schema.json';
import { Engine } from '../../src/engine/engine';
import { TokenMapError, gridPatches, sameGeometry, upgradeTokenMap, type TokenMap } from '../../src/shared/tokenMap';

const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

function v2(): TokenMap {
  const grid = { rows: 2, cols: 3 };
  const rect = { x: 0, y: 10, w: 60, h: 40 };
  return {
    version: 2, image: 'a.png', pack: 'p', adapter: 'sea', device: 'cpu', imageSize: { width: 60, height: 60 }, grid,
    views: [{ id: 'image', label: 'image', rect, grid }],
    patches: gridPatches(grid, rect, Array.from({ length: 6 }, (_, i) => [{ word: `w${i}`, score: 0.5 }])), timings: {},
  };
}

const broken: [string, (m: TokenMap) => unknown][] = [
  ['a box that leaves the image', (m) => { m.patches[5].box = { x: 50, y: 50, w: 20, h: 20 }; return m; }],
  ['a patch without a box', (m) => { delete m.patches[0].box; return m; }],
  ['an unknown kind', (m) => { (m.patches[0] as { kind: string }).kind = 'pixel'; return m; }],
  ['a tile beyond the views', (m) => { m.patches[0].tile = 3; return m; }],
  ['a zero-width box', (m) => { m.patches[0].box = { x: 0, y: 10, w: 0, h: 20 }; return m; }],
  ['no views', (m) => { m.views = []; return m; }],
  ['more than 100 words', (m) => { m.patches[0].words = Array.from({ length: 101 }, () => ({ word: 'x', score: 0 })); return m; }],
];

describe('TokenMap contract', () => {
  it('a valid v2 map passes the schema and the TS checks', () => {
    const m = v2();
    assert.ok(validate(m), JSON.stringify(validate.errors));
    assert.equal(upgradeTokenMap(m), m);
  });

  for (const [what, breakIt] of broken) {
    it(`EXPECTED FAILURE - ${what}: refused by the TS checks${what === 'a box that leaves the image' || what === 'a tile beyond the views' ? ' (a rule the schema cannot state)' : ' and by the schema'}`, () => {
      const m = breakIt(v2());
      assert.throws(() => upgradeTokenMap(m), TokenMapError);
      if (what !== 'a box that leaves the image' && what !== 'a tile beyond the views') assert.equal(validate(m), false);
    });
  }

  it('a v1 map (grid over a centre crop) upgrades to boxes over its region, row-major, 1 view', () => {
    const v1 = {
      image: 'b.png', pack: 'p', adapter: 'sea', device: 'cpu', grid: { rows: 2, cols: 2 }, timings: {},
      imageSize: { width: 100, height: 80 }, region: { x: 10, y: 0, width: 80, height: 80 },
      patches: [0, 1, 2, 3].map((i) => ({ row: Math.floor(i / 2), col: i % 2, words: [{ word: `w${i}`, score: 0.1 }] })),
    };
    const m = upgradeTokenMap(v1);
    assert.equal(m.version, 2);
    assert.deepEqual(m.patches[3].box, { x: 50, y: 40, w: 40, h: 40 });
    assert.deepEqual(m.patches.map((p) => p.words[0].word), ['w0', 'w1', 'w2', 'w3']);
    assert.ok(validate(m), JSON.stringify(validate.errors));
  });

  it('EXPECTED FAILURE - a v1 map whose stored grid claims 10000×10000 is refused before anything is allocated', () => {
    assert.throws(() => upgradeTokenMap({ image: 'x', pack: 'p', adapter: 'a', device: 'cpu', grid: { rows: 10000, cols: 10000 }, patches: [] }), /between 1 and 4096/);
  });

  it('sameGeometry: two adapters of one model compare; another geometry does not', () => {
    const a = v2();
    const b = v2();
    b.adapter = 'baseline';
    assert.ok(sameGeometry(a, b));
    b.patches[2].box = { ...b.patches[2].box!, w: 10 };
    assert.equal(sameGeometry(a, b), false);
  });

  it('the engine\'s own TokenMaps pass the schema (demo pack, every sample kind)', async () => {
    const engine = new Engine();
    try {
      const root = path.resolve(__dirname, '../..');
      const m = await engine.explain({ image: path.join(root, 'media/samples/test0000-pink-circle-wood.png'), pack: path.join(root, 'media/demo-pack'), device: 'cpu' });
      assert.ok(validate(m), JSON.stringify(validate.errors?.slice(0, 3)));
      assert.equal(m.patches.length, 64);
    } finally {
      await engine.dispose();
    }
  });
});
