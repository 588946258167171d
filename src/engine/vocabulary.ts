// The LLM vocabulary as nearest-neighbour candidates: decode every token id with the pack's tokenizer.json,
// apply the filters, and add the labeling word list (multi-token words = mean of their sub-token rows,
// SEA Eq. 10). See docs/engine.md, "Candidate definition".
import { Tokenizer } from '@huggingface/tokenizers';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { VocabularyFilters } from '../shared/engineProtocol';
import { packError } from './engineError';

export const STOPWORDS: ReadonlySet<string> = new Set(
  ('a an the and or but if then else of at by for with about against between into through during before after above below to from up down in out on off ' +
    'over under again further once here there when where why how all any both each few more most other some such no nor not only own same so than too very ' +
    'can will just should now i me my myself we our ours you your yours he him his she her hers it its they them their what which who whom this that these ' +
    'those am is are was were be been being have has had having do does did doing would could s t don').split(' '),
);

/** The candidate definition shared with the Python evaluator (docs/engine.md). */
export const CANONICAL_FILTERS: Required<Omit<VocabularyFilters, 'wordList'>> = {
  special: true, bytes: true, punctuation: true, subwords: true, stopwords: false, alphabetic: true,
};
/** What views show by default: the canonical set without stop-words. */
export const DEFAULT_FILTERS: Required<Omit<VocabularyFilters, 'wordList'>> = { ...CANONICAL_FILTERS, stopwords: true };

export interface LoadedTokenizer {
  tokenizer: Tokenizer;
  /** Raw vocabulary pieces by id. */
  pieces: string[];
  /** Decoded surface form (trimmed) by id. */
  surfaces: string[];
  special: Set<number>;
  /** How a token marks the start of a word: '▁' (SentencePiece), 'Ġ' (byte-level BPE), '##' (WordPiece continuation). */
  marker: '▁' | 'Ġ' | '##' | null;
}

export async function loadTokenizer(file: string, configFile?: string): Promise<LoadedTokenizer> {
  const label = path.basename(file);
  let json: Record<string, unknown>;
  let config: Record<string, unknown> = {};
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
    if (configFile) config = JSON.parse(await readFile(configFile, 'utf8'));
  } catch (e) {
    throw packError(`${label}: not valid JSON (${(e as Error).message}); re-save it from the model's tokenizer (tokenizer.save_pretrained)`);
  }
  let tokenizer: Tokenizer;
  try {
    if (typeof json.model !== 'object' || json.model === null) throw new Error('no "model" section');
    tokenizer = new Tokenizer(json, config);
  } catch (e) {
    throw packError(`${label}: not a Hugging Face tokenizer.json (${(e as Error).message})`);
  }
  const vocab = tokenizer.get_vocab(true);
  let size = 0;
  for (const id of vocab.values()) if (id >= size) size = id + 1;
  const pieces = new Array<string>(size).fill('');
  for (const [piece, id] of vocab) pieces[id] = piece;
  const surfaces = pieces.map((_, id) => tokenizer.decode([id]).trim());
  const special = new Set<number>();
  for (const [id, t] of tokenizer.get_added_tokens_decoder()) if ((t as unknown as { special?: boolean }).special) special.add(id);
  const modelType = (json.model as { type?: string }).type;
  const count = (m: string) => pieces.reduce((n, p) => n + (p.startsWith(m) ? 1 : 0), 0);
  const marker = modelType === 'WordPiece' ? '##' : count('▁') >= count('Ġ') ? (count('▁') > 0 ? '▁' : null) : 'Ġ';
  return { tokenizer, pieces, surfaces, special, marker };
}

const BYTE_TOKEN = /^<0x[0-9A-Fa-f]{2}>$/;
const HAS_ALNUM = /[\p{L}\p{N}]/u;
const ALPHABETIC = /^\p{L}+$/u;

export function keepToken(t: LoadedTokenizer, id: number, f: Required<Omit<VocabularyFilters, 'wordList'>>): boolean {
  const piece = t.pieces[id];
  const surface = t.surfaces[id];
  if (!piece || !surface) return false;
  if (f.special && t.special.has(id)) return false;
  if (f.bytes && BYTE_TOKEN.test(piece)) return false;
  if (f.punctuation && !HAS_ALNUM.test(surface)) return false;
  if (f.alphabetic && !ALPHABETIC.test(surface)) return false;
  if (f.subwords && t.marker) {
    const continuation = t.marker === '##' ? piece.startsWith('##') : !piece.startsWith(t.marker);
    if (continuation) return false;
  }
  if (f.stopwords && STOPWORDS.has(surface.toLowerCase())) return false;
  return true;
}

/**
 * Token ids of a word as it appears inside text, without special tokens (for the Eq. 10 mean). SentencePiece
 * style tokenizers add the word marker themselves (`giraffe` → `▁gir affe`); byte-level BPE needs the
 * leading space (`Ġbicycle`, not `b icycle`). Every piece counts, as in the Python evaluator.
 */
export function wordTokenIds(t: LoadedTokenizer, word: string): number[] {
  const enc = (s: string) => t.tokenizer.encode(s, { add_special_tokens: false }).ids.filter((id) => !t.special.has(id));
  if (t.marker === 'Ġ') {
    const spaced = enc(' ' + word);
    if (spaced.length) return spaced;
  }
  return enc(word);
}

export interface Candidate {
  word: string;
  /** Token ids whose embedding rows are averaged (one id for a vocabulary token). */
  ids: number[];
  fromWordList: boolean;
}

/** Vocabulary tokens that pass the filters ∪ the word list; duplicates by surface form keep the word-list entry. */
export function buildCandidates(t: LoadedTokenizer, rows: number, filters: VocabularyFilters, packWords: string[]): Candidate[] {
  const f = { ...DEFAULT_FILTERS, ...filters };
  const bySurface = new Map<string, Candidate>();
  const words = [...(filters.wordList ?? []), ...packWords];
  for (const raw of words) {
    const word = raw.trim();
    if (!word || bySurface.has(word)) continue;
    const ids = wordTokenIds(t, word);
    if (!ids.length) continue;
    const bad = ids.find((id) => id >= rows);
    if (bad !== undefined) throw packError(`word "${word}" uses token id ${bad}, but the embedding table has only ${rows} rows`);
    bySurface.set(word, { word, ids, fromWordList: true });
  }
  // An explicit word list in the request restricts the candidates to that list.
  if (!filters.wordList) {
    const n = Math.min(rows, t.pieces.length);
    for (let id = 0; id < n; id++) {
      if (!keepToken(t, id, f)) continue;
      const word = t.surfaces[id];
      if (!bySurface.has(word)) bySurface.set(word, { word, ids: [id], fromWordList: false });
    }
  }
  return [...bySurface.values()];
}
