// sea-lens explain --filters: the list syntax, its errors, and that the engine gets (and applies) the filters.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { main } from '../../src/cli/cli';
import { parseFilterList } from '../../src/engine/vocabulary';
import type { TokenMap } from '../../src/shared/tokenMap';
import { ROOT, fixturePacks } from '../fixtures/fixturePacks';

const fx = fixturePacks();
const TMP = path.join(ROOT, '.test-artifacts', 'cli-filters');
const IMG = path.join(TMP, 'one.png');

async function run(...argv: string[]) {
  let out = '', err = '';
  const code = await main(argv, { installDir: TMP, stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

describe('--filters list', () => {
  it('names = exactly these on; +/- = changes to the defaults; none = all off', () => {
    assert.deepEqual(parseFilterList('special,bytes'), { special: true, bytes: true, punctuation: false, subwords: false, stopwords: false, alphabetic: false });
    assert.deepEqual(parseFilterList('-stopwords,+punctuation'), { stopwords: false, punctuation: true });
    assert.deepEqual(Object.values(parseFilterList('none')), [false, false, false, false, false, false]);
  });
  it('BAD INPUT - unknown name, mixed forms, empty → the valid names', () => {
    assert.throws(() => parseFilterList('colour'), { message: /unknown filter "colour"; names: special, bytes, punctuation, subwords, stopwords, alphabetic/ });
    assert.throws(() => parseFilterList('special,-bytes'), { message: /names \(exactly these on\), or \+name\/-name/ });
    assert.throws(() => parseFilterList(','), { message: /--filters takes names/ });
  });
});

describe('sea-lens explain --filters', { skip: fx.skip }, () => {
  const pack = path.join(fx.dir ?? '', 'clip');
  before(async () => {
    mkdirSync(TMP, { recursive: true });
    await sharp({ create: { width: 48, height: 40, channels: 3, background: '#a52' } }).png().toFile(IMG);
  });
  it('USAGE - a bad list → exit 2 naming the valid filters', async () => {
    const r = await run('explain', IMG, '--pack', pack, '--filters', 'nouns');
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown filter "nouns"/);
  });
  it('with every filter off, special tokens can be words; with the defaults they never are', async () => {
    const words = async (...extra: string[]) => {
      const r = await run('explain', IMG, '--pack', pack, '--device', 'cpu', '--top-k', '50', ...extra);
      assert.equal(r.code, 0, r.err);
      return new Set((JSON.parse(r.out) as TokenMap).patches.flatMap((p) => p.words.map((w) => w.word)));
    };
    const dflt = await words();
    const none = await words('--filters', 'none');
    assert.ok([...dflt].every((w) => /^\p{L}+$/u.test(w)), 'defaults: letters-only words');
    assert.ok([...none].some((w) => !/^\p{L}+$/u.test(w)), `with no filters some candidate is not a plain word: ${[...none].slice(0, 20).join(' ')}`);
  });
});
