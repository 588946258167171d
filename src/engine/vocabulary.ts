// The LLM vocabulary as nearest-neighbour candidates: classify every token id of the pack's tokenizer.json
// once (special, byte, punctuation, …), and turn a filter set into a list of candidate rows — a filter change
// costs one pass over the class bytes, never a new table. The labeling word list adds rows (multi-token
// words = mean of their sub-token rows, SEA Eq. 10). See docs/engine.md, "Candidate definition".
import { Tokenizer } from '@huggingface/tokenizers';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { VocabularyFilters } from '../shared/engineProtocol';
import stopwordList from '../shared/stopwords.json';
import { packError } from './engineError';

// One list for the view and the Python evaluator (src/shared/stopwords.json), so the metric counts what the view shows.
export const STOPWORDS: ReadonlySet<string> = new Set(stopwordList.words);

export type FilterSet = Required<Omit<VocabularyFilters, 'wordList'>>;
export const FILTER_NAMES: readonly (keyof FilterSet)[] = ['special', 'bytes', 'punctuation', 'subwords', 'stopwords', 'alphabetic'];

/** The candidate definition shared with the Python evaluator (docs/engine.md). */
export const CANONICAL_FILTERS: FilterSet = {
  special: true, bytes: true, punctuation: true, subwords: true, stopwords: false, alphabetic: true,
};
/** What views show by default: the canonical set without stop-words. */
export const DEFAULT_FILTERS: FilterSet = { ...CANONICAL_FILTERS, stopwords: true };

/**
 * Class bits of a token. SPECIAL and BYTE tokens carry no other bit, so each filter acts on its own kind of
 * token: turning `special` off shows `<|im_start|>` even though the alphabetic filter is on. HIDDEN tokens
 * (empty, control characters, a piece of a multi-byte UTF-8 character) are never candidates.
 */
export const TOKEN = { HIDDEN: 1, SPECIAL: 2, BYTE: 4, PUNCTUATION: 8, NON_ALPHABETIC: 16, CONTINUATION: 32, STOPWORD: 64 } as const;

export interface LoadedTokenizer {
  /** The Hugging Face tokenizer, built on first use (its BPE merges cost ~1 s on a 150k vocabulary). */
  readonly tokenizer: Tokenizer;
  /** Raw vocabulary pieces by id. */
  pieces: string[];
  /** Decoded surface form (trimmed) by id; what a candidate shows. */
  surfaces: string[];
  special: Set<number>;
  /** How a token marks the start of a word: '▁' (SentencePiece), 'Ġ' (byte-level BPE), '##' (WordPiece continuation). */
  marker: '▁' | 'Ġ' | '##' | null;
  /** TOKEN bits by id. */
  classes: Uint8Array;
}

/** Bump when what is cached (pieces, surfaces, classes) would come out differently. */
const VOCABULARY_CACHE_VERSION = 1;

/**
 * Where decoded vocabularies are cached: SEA_LENS_CACHE_DIR (empty = no cache), else the user's cache folder.
 * A 152k-token tokenizer.json is 11 MB of JSON: parsing it and decoding every piece took ~40 % of the
 * non-ONNX cold-explain time; the cached pieces, surfaces and classes (~4 MB) load in a fraction of that.
 * The tokenizer itself is only built when a word list or caption needs encoding.
 */
export function vocabularyCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.SEA_LENS_CACHE_DIR === '') return undefined;
  return path.join(env.SEA_LENS_CACHE_DIR || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'sea-lens'), 'vocabulary');
}

interface CachedVocabulary {
  version: number;
  pieces: string[];
  surfaces: string[];
  special: number[];
  marker: LoadedTokenizer['marker'];
  classes: string;
}

async function cacheFile(file: string, configFile?: string): Promise<string | undefined> {
  const dir = vocabularyCacheDir();
  if (!dir) return undefined;
  const id = async (f?: string) => {
    if (!f) return '-';
    const st = await stat(f);
    return `${path.resolve(f)}\0${st.size}\0${st.mtimeMs}`;
  };
  const key = createHash('sha256').update(`${VOCABULARY_CACHE_VERSION}\0${await id(file)}\0${await id(configFile)}`).digest('hex').slice(0, 32);
  return path.join(dir, `${key}.json`);
}

export async function loadTokenizer(file: string, configFile?: string): Promise<LoadedTokenizer> {
  const label = path.basename(file);
  const cached = await cacheFile(file, configFile).catch(() => undefined);
  if (cached) {
    try {
      const c = JSON.parse(await readFile(cached, 'utf8')) as CachedVocabulary;
      if (c.version === VOCABULARY_CACHE_VERSION && c.pieces.length === c.surfaces.length) {
        const classes = new Uint8Array(Buffer.from(c.classes, 'base64'));
        if (classes.length === c.pieces.length) {
          const t = { pieces: c.pieces, surfaces: c.surfaces, special: new Set(c.special), marker: c.marker, classes };
          const build = lazyTokenizer(label, () => readJson(file, configFile, label));
          return Object.defineProperty(t, 'tokenizer', { get: build, enumerable: true }) as LoadedTokenizer;
        }
      }
    } catch {
      /* no cache yet, or an unreadable one: decode below */
    }
  }
  const { json, config } = readJson(file, configFile, label);
  const t = decodeVocabulary(json, config, label);
  if (cached) {
    const c: CachedVocabulary = {
      version: VOCABULARY_CACHE_VERSION, pieces: t.pieces, surfaces: t.surfaces, special: [...t.special], marker: t.marker,
      classes: Buffer.from(t.classes.buffer, t.classes.byteOffset, t.classes.byteLength).toString('base64'),
    };
    // Best effort: a read-only home only costs the decode next time. Written beside, then renamed.
    const tmp = `${cached}.${process.pid}.tmp`;
    await mkdir(path.dirname(cached), { recursive: true })
      .then(() => writeFile(tmp, JSON.stringify(c)))
      .then(() => rename(tmp, cached))
      .catch(() => rm(tmp, { force: true }).catch(() => undefined));
  }
  return t;
}

function readJson(file: string, configFile: string | undefined, label: string): { json: Record<string, unknown>; config: Record<string, unknown> } {
  const parse = (f: string, what: string): Record<string, unknown> => {
    try {
      return JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw packError(`${what}: not valid JSON (${(e as Error).message}); re-save it from the model's tokenizer (tokenizer.save_pretrained)`);
    }
  };
  return { json: parse(file, label), config: configFile ? parse(configFile, path.basename(configFile)) : {} };
}

function lazyTokenizer(label: string, source: () => { json: Record<string, unknown>; config: Record<string, unknown> }): () => Tokenizer {
  let built: Tokenizer | undefined;
  return () => {
    if (built) return built;
    const { json, config } = source();
    try {
      return (built = new Tokenizer(json, config));
    } catch (e) {
      throw packError(`${label}: not a Hugging Face tokenizer.json (${(e as Error).message})`);
    }
  };
}

function decodeVocabulary(json: Record<string, unknown>, config: Record<string, unknown>, label: string): LoadedTokenizer {
  const model = json.model as { type?: string; vocab?: unknown } | null;
  if (typeof model !== 'object' || model === null) throw packError(`${label}: not a Hugging Face tokenizer.json (no "model" section); re-save it from the model's tokenizer (tokenizer.save_pretrained)`);
  const build = lazyTokenizer(label, () => ({ json, config }));
  const pieces: string[] = [];
  const added = Array.isArray(json.added_tokens) ? (json.added_tokens as { id: number; content: string; special?: boolean }[]) : [];
  const vocab = model.vocab;
  if (vocab && typeof vocab === 'object' && !Array.isArray(vocab)) {
    for (const [piece, id] of Object.entries(vocab as Record<string, number>)) pieces[id] = piece;
  } else if (Array.isArray(vocab)) {
    (vocab as [string, number][]).forEach(([piece], id) => (pieces[id] = piece)); // Unigram: [piece, score] by id
  } else {
    for (const [piece, id] of build().get_vocab(true)) pieces[id] = piece;
  }
  for (const a of added) pieces[a.id] = a.content;
  for (let i = 0; i < pieces.length; i++) pieces[i] ??= '';
  const special = new Set(added.filter((a) => a.special).map((a) => a.id));
  const fast = pieceDecoder(json.decoder);
  let surfaces: string[];
  if (fast) {
    surfaces = pieces.map((p) => fast(p).trim());
  } else {
    const tk = build();
    surfaces = pieces.map((_, id) => tk.decode([id]).trim());
  }
  const modelType = model.type;
  const count = (m: string) => pieces.reduce((n, p) => n + (p.startsWith(m) ? 1 : 0), 0);
  const marker = modelType === 'WordPiece' ? '##' : count('▁') >= count('Ġ') ? (count('▁') > 0 ? '▁' : null) : 'Ġ';
  const t = { pieces, surfaces, special, marker, classes: new Uint8Array(pieces.length) } as Omit<LoadedTokenizer, 'tokenizer'>;
  for (let id = 0; id < pieces.length; id++) t.classes[id] = tokenClass(t, id);
  return Object.defineProperty(t, 'tokenizer', { get: build, enumerable: true }) as LoadedTokenizer;
}

/** U+FFFD is what a decoder makes of a lone byte of a multi-byte character. */
const BROKEN = /[\p{Cc}\p{Cs}\uFFFD]/u;
const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;
const HAS_ALNUM = /[\p{L}\p{N}]/u;
const ALPHABETIC = /^\p{L}+$/u;

/**
 * A piece → text decoder for the two decoders real LLM tokenizers use, so that 150k surfaces cost a few
 * string operations each instead of a full `decode` (1.2 s on Qwen 3's vocabulary): byte-level BPE (GPT-2's
 * byte-to-character table) and SentencePiece (`▁` → space, `<0xNN>` byte fallback). Anything else → undefined,
 * and the tokenizer decodes. A parity test compares both paths on four real vocabularies.
 */
function pieceDecoder(decoder: unknown): ((piece: string) => string) | undefined {
  const d = decoder as { type?: string; decoders?: { type?: string; pattern?: { String?: string }; content?: string }[] } | null;
  if (d?.type === 'ByteLevel') {
    const byteOf = byteLevelTable();
    const utf8 = new TextDecoder('utf-8', { fatal: true });
    return (piece) => {
      const bytes = new Uint8Array(piece.length);
      let n = 0;
      for (const ch of piece) {
        const b = byteOf.get(ch);
        if (b === undefined) return piece; // not byte-level encoded (an added token's text)
        bytes[n++] = b;
      }
      try {
        return utf8.decode(bytes.subarray(0, n));
      } catch {
        return '\uFFFD';
      }
    };
  }
  const steps = d?.type === 'Sequence' ? (d.decoders ?? []) : [];
  const known = steps.every((s) => s.type === 'ByteFallback' || s.type === 'Fuse' || s.type === 'Strip' || (s.type === 'Replace' && s.pattern?.String === '▁' && s.content === ' '));
  if (steps.length && known && steps.some((s) => s.type === 'Replace')) {
    const fallback = steps.some((s) => s.type === 'ByteFallback');
    return (piece) => {
      const m = fallback ? BYTE_TOKEN.exec(piece) : null;
      if (m) {
        const b = parseInt(m[1], 16);
        return b < 0x80 ? String.fromCharCode(b) : '\uFFFD';
      }
      return piece.replaceAll('▁', ' ');
    };
  }
  return undefined;
}

let byteTable: Map<string, number> | undefined;
/** GPT-2's bytes_to_unicode, inverted: the printable character that stands for each byte. */
function byteLevelTable(): Map<string, number> {
  if (byteTable) return byteTable;
  const direct: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) direct.push(b);
  for (let b = 0xa1; b <= 0xac; b++) direct.push(b);
  for (let b = 0xae; b <= 0xff; b++) direct.push(b);
  const map = new Map<string, number>();
  let extra = 0;
  for (let b = 0; b < 256; b++) map.set(String.fromCodePoint(direct.includes(b) ? b : 256 + extra++), b);
  return (byteTable = map);
}

function tokenClass(t: Omit<LoadedTokenizer, 'tokenizer' | 'classes'>, id: number): number {
  const piece = t.pieces[id];
  const surface = t.surfaces[id];
  if (!piece) return TOKEN.HIDDEN;
  if (t.special.has(id)) return TOKEN.SPECIAL; // shown by its piece (`<|im_start|>`)
  if (BYTE_TOKEN.test(piece)) return TOKEN.BYTE; // shown by its piece (`<0x41>`)
  if (!surface || BROKEN.test(surface)) return TOKEN.HIDDEN;
  let c = 0;
  if (!HAS_ALNUM.test(surface)) c |= TOKEN.PUNCTUATION;
  else if (!ALPHABETIC.test(surface)) c |= TOKEN.NON_ALPHABETIC;
  if (t.marker && (t.marker === '##' ? piece.startsWith('##') : !piece.startsWith(t.marker))) c |= TOKEN.CONTINUATION;
  if (STOPWORDS.has(surface.toLowerCase())) c |= TOKEN.STOPWORD;
  return c;
}

/** The class bits a filter set drops. */
export function dropMask(f: FilterSet): number {
  return TOKEN.HIDDEN | (f.special ? TOKEN.SPECIAL : 0) | (f.bytes ? TOKEN.BYTE : 0) | (f.punctuation ? TOKEN.PUNCTUATION : 0) |
    (f.alphabetic ? TOKEN.NON_ALPHABETIC : 0) | (f.subwords ? TOKEN.CONTINUATION : 0) | (f.stopwords ? TOKEN.STOPWORD : 0);
}

export function keepToken(t: LoadedTokenizer, id: number, f: FilterSet): boolean {
  return (t.classes[id] & dropMask(f)) === 0;
}

/** What a vocabulary token shows as a word: special and byte tokens by their piece, others decoded. */
export function tokenWord(t: LoadedTokenizer, id: number): string {
  return t.classes[id] & (TOKEN.SPECIAL | TOKEN.BYTE) ? t.pieces[id] : t.surfaces[id];
}

/**
 * Token ids of a word as it appears inside text, without special tokens (for the Eq. 10 mean). Every piece
 * counts, as in the Python evaluator. A word inside text starts with the word marker: byte-level BPE needs
 * the leading space (`Ġbicycle`, not `b icycle`); SentencePiece tokenizers that prepend `▁` themselves (Llama
 * 2: `giraffe` → `▁gir affe`) are used as they are, those that do not (Gemma: `cat` → mid-word `cat`) get the
 * space too (`▁cat`).
 */
export function wordTokenIds(t: LoadedTokenizer, word: string): number[] {
  const enc = (s: string) => t.tokenizer.encode(s, { add_special_tokens: false }).ids.filter((id) => !t.special.has(id));
  const startsWord = (ids: number[]) => ids.length > 0 && t.pieces[ids[0]].startsWith(t.marker as string);
  if (t.marker === 'Ġ') {
    const spaced = enc(' ' + word);
    if (spaced.length) return spaced;
  }
  const plain = enc(word);
  if (t.marker === '▁' && !startsWord(plain)) {
    const spaced = enc(' ' + word);
    // A bare `▁` before the word is the space itself, not part of the word.
    const trimmed = spaced.length > 1 && t.pieces[spaced[0]] === '▁' ? spaced.slice(1) : spaced;
    if (startsWord(trimmed)) return trimmed;
  }
  return plain;
}

export interface Candidate {
  word: string;
  /** Token ids whose embedding rows are averaged (one id for a vocabulary token). */
  ids: number[];
  fromWordList: boolean;
}

let groupCache = new WeakMap<LoadedTokenizer, { group: Int32Array; groups: number; order: Int32Array; byWord: Map<string, number> }>();
/** Per id: the index of its shown word (ids that show the same word share it); word-start ids first in `order`. */
function surfaceGroups(t: LoadedTokenizer) {
  let g = groupCache.get(t);
  if (g) return g;
  const byWord = new Map<string, number>();
  const group = new Int32Array(t.pieces.length);
  for (let id = 0; id < t.pieces.length; id++) {
    const w = tokenWord(t, id);
    let k = byWord.get(w);
    if (k === undefined) byWord.set(w, (k = byWord.size));
    group[id] = k;
  }
  // Where two tokens show the same word (`cat` mid-word and `▁cat`), the word-start token stands for it.
  const order = new Int32Array(t.pieces.length);
  let n = 0;
  for (let id = 0; id < t.pieces.length; id++) if (!(t.classes[id] & TOKEN.CONTINUATION)) order[n++] = id;
  for (let id = 0; id < t.pieces.length; id++) if (t.classes[id] & TOKEN.CONTINUATION) order[n++] = id;
  g = { group, groups: byWord.size, order, byWord };
  groupCache.set(t, g);
  return g;
}

/** Resets the per-tokenizer cache (tests). */
export function clearVocabularyCache(): void {
  groupCache = new WeakMap();
}

export interface CandidateSet {
  /** Word-list words first (one candidate each, their token ids), then vocabulary tokens. */
  words: Candidate[];
  /** Vocabulary token ids that pass the filters, one per shown word, ascending. */
  tokenIds: Int32Array;
}

/**
 * The word list ∪ the vocabulary tokens that pass the filters; a word shown twice keeps the word-list
 * entry, then the word-start token, then the lowest id. Cost: one pass over the class bytes (a few ms on a
 * 152k vocabulary), so changing a filter never rebuilds a table.
 */
export function candidateSet(t: LoadedTokenizer, rows: number, filters: VocabularyFilters, packWords: string[]): CandidateSet {
  const f = { ...DEFAULT_FILTERS, ...filters };
  const words: Candidate[] = [];
  const seen = new Set<string>();
  for (const raw of [...(filters.wordList ?? []), ...packWords]) {
    const word = raw.trim();
    if (!word || seen.has(word)) continue;
    const ids = wordTokenIds(t, word);
    if (!ids.length) continue;
    const bad = ids.find((id) => id >= rows);
    if (bad !== undefined) throw packError(`word "${word}" uses token id ${bad}, but the embedding table has only ${rows} rows`);
    seen.add(word);
    words.push({ word, ids, fromWordList: true });
  }
  // An explicit word list in the request restricts the candidates to that list.
  if (filters.wordList) return { words, tokenIds: new Int32Array(0) };
  const { group, groups, order, byWord } = surfaceGroups(t);
  const taken = new Uint8Array(groups);
  for (const w of words) {
    const k = byWord.get(w.word);
    if (k !== undefined) taken[k] = 1;
  }
  const drop = dropMask(f);
  const n = Math.min(rows, t.pieces.length);
  const keep = new Uint8Array(n);
  for (let i = 0; i < order.length; i++) {
    const id = order[i];
    if (id >= n || t.classes[id] & drop || taken[group[id]]) continue;
    taken[group[id]] = 1;
    keep[id] = 1;
  }
  let count = 0;
  for (let id = 0; id < n; id++) count += keep[id];
  const tokenIds = new Int32Array(count);
  for (let id = 0, j = 0; id < n; id++) if (keep[id]) tokenIds[j++] = id;
  return { words, tokenIds };
}

/** Vocabulary tokens that pass the filters ∪ the word list, as candidate objects (word list first). */
export function buildCandidates(t: LoadedTokenizer, rows: number, filters: VocabularyFilters, packWords: string[]): Candidate[] {
  const s = candidateSet(t, rows, filters, packWords);
  return [...s.words, ...Array.from(s.tokenIds, (id) => ({ word: tokenWord(t, id), ids: [id], fromWordList: false }))];
}

/**
 * A note when the embedding table and the tokenizer disagree by more than padding: real packs pad the table
 * to a multiple of 64 or 128 (Qwen: 151,936 rows for 151,669 tokens), so up to 1 % or 1,024 rows is normal.
 */
export function sizeMismatchNote(t: LoadedTokenizer, rows: number, tokenizerFile: string): string | undefined {
  const tokens = t.pieces.length;
  const diff = Math.abs(rows - tokens);
  if (diff <= Math.max(1024, tokens * 0.01)) return undefined;
  return rows > tokens
    ? `the embedding table has ${rows.toLocaleString('en')} rows but ${tokenizerFile} has only ${tokens.toLocaleString('en')} tokens: ${(rows - tokens).toLocaleString('en')} rows can never be a candidate — are they from the same model?`
    : `${tokenizerFile} has ${tokens.toLocaleString('en')} tokens but the embedding table only ${rows.toLocaleString('en')} rows: tokens ${rows.toLocaleString('en')}… are left out — are they from the same model?`;
}

/**
 * `--filters` of the CLI: `special,bytes` = exactly these on, every other off; `-stopwords,+punctuation` =
 * the pack's defaults with these changed; `none` = all off. Throws with the valid names on a bad list.
 */
export function parseFilterList(spec: string): VocabularyFilters {
  const items = spec.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 1 && items[0] === 'none') return Object.fromEntries(FILTER_NAMES.map((n) => [n, false]));
  const relative = items.filter((i) => /^[+-]/.test(i)).length;
  if (!items.length || (relative && relative !== items.length)) {
    throw new Error(`--filters takes names (exactly these on), or +name/-name (changes to the defaults), or none; got "${spec}". Names: ${FILTER_NAMES.join(', ')}`);
  }
  const out: VocabularyFilters = relative ? {} : Object.fromEntries(FILTER_NAMES.map((n) => [n, false]));
  for (const item of items) {
    const name = item.replace(/^[+-]/, '');
    if (!(FILTER_NAMES as readonly string[]).includes(name)) throw new Error(`--filters: unknown filter "${name}"; names: ${FILTER_NAMES.join(', ')}`);
    (out as Record<string, boolean>)[name] = !item.startsWith('-');
  }
  return out;
}
