// Cosine nearest words. One VocabularyTable per pack holds the embedding table once; each filter set is only a
// candidate list over it (vocabulary.ts: one pass over the token classes), so changing a filter never copies
// or re-uploads the 151,936-row table. Two ways to search, by device:
// - GPU ('mask'): the whole table lives on the device as an initializer of one MatMul+TopK graph; a filter is
//   a bias row (0 or −10⁴ per row) added to the scores before TopK, and word-list words a small extra input.
// - CPU ('gather'): scoring every row costs 3–5× the work of the filtered rows (152k vs 30–50k), so the
//   candidate rows are copied into one array per filter set (half-precision rows converted on the way) and
//   fed with their inverse norms to the same kind of graph as inputs (onnxruntime-node reads a CPU tensor in
//   place); the graph scales the scores, so no pass normalises the rows.
// `npm run bench` prints the ONNX search beside a tuned JS loop; the graph wins on every size measured.
import * as ort from 'onnxruntime-node';
import type { VocabularyFilters } from '../shared/engineProtocol';
import type { Device } from '../shared/tokenMap';
import { estimateMacs, sessionOptions } from './devices';
import { copyRow, type EmbeddingTable } from './embeddingTable';
import { packError } from './engineError';
import { MASKED, NORM_INPUT, NORM_OUTPUT, rowNormModel, SEARCH_BIAS, SEARCH_INPUT, SEARCH_INV_NORM, SEARCH_K, SEARCH_TABLE, SEARCH_WORDS, gatherSearchModel, maskSearchModel } from './headGraphs';
import { candidateSet, DEFAULT_FILTERS, FILTER_NAMES, tokenWord, type Candidate, type FilterSet, type LoadedTokenizer } from './vocabulary';

export interface SearchResult {
  /** [n, k] cosine scores, best first. */
  values: Float32Array;
  /** [n, k] candidate indices. */
  indices: Int32Array;
  k: number;
}

export type { EmbeddingTable };

export type SearchMode = 'gather' | 'mask';

/** 'mask' on GPU providers, 'gather' on the CPU; SEA_LENS_SEARCH_MODE overrides (tests, bench). */
export function searchMode(device: Device): SearchMode {
  const env = process.env.SEA_LENS_SEARCH_MODE;
  if (env === 'gather' || env === 'mask') return env;
  return device === 'cpu' ? 'gather' : 'mask';
}

/** Checks a manifest's `filters` object: known names, boolean values. */
export function parsePackFilters(value: unknown, where = 'manifest.json: /filters'): Partial<FilterSet> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw packError(`${where}: must be an object like {"stopwords": false}`);
  const out: Partial<FilterSet> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!(FILTER_NAMES as readonly string[]).includes(k)) throw packError(`${where}: unknown filter "${k}"; known: ${FILTER_NAMES.join(', ')}`);
    if (typeof v !== 'boolean') throw packError(`${where}/${k}: must be true or false, got ${JSON.stringify(v)}`);
    out[k as keyof FilterSet] = v;
  }
  return out;
}

/** L2 norm of row `r` of a [·, H] array. */
function rowNorm(data: Float32Array, r: number, H: number): number {
  let ss = 0;
  for (let j = r * H, end = j + H; j < end; j++) ss += data[j] * data[j];
  return Math.sqrt(ss);
}

function inverse(norms: Float32Array): Float32Array {
  const inv = new Float32Array(norms.length);
  for (let i = 0; i < norms.length; i++) inv[i] = norms[i] > 0 ? 1 / norms[i] : 0;
  return inv;
}

/** The embedding table of one pack and the search session over it; `index(filters)` is cheap. */
export class VocabularyTable {
  readonly mode: SearchMode;
  /** Things worth telling the user about this table (size mismatch with the tokenizer), one line each. */
  readonly notes: string[] = [];
  private session?: Promise<ort.InferenceSession>;
  private norms?: Promise<Float32Array>;
  private readonly cache = new Map<string, SearchIndex>();

  constructor(
    readonly emb: EmbeddingTable,
    readonly tokenizer: LoadedTokenizer,
    readonly packWords: string[],
    readonly device: Device,
    /** How many rows one search usually gets (the patch count), for the CPU thread choice. */
    readonly tokens: number,
    readonly packFilters: Partial<FilterSet> = {},
    notes: (string | undefined)[] = [],
  ) {
    this.mode = searchMode(device);
    for (const n of notes) if (n) this.notes.push(n);
  }

  /** The filters a request means: engine defaults, then the pack's `filters`, then the request's own. */
  effectiveFilters(filters: VocabularyFilters): VocabularyFilters {
    const f: VocabularyFilters = { ...DEFAULT_FILTERS, ...this.packFilters };
    for (const [k, v] of Object.entries(filters)) if (v !== undefined) (f as Record<string, unknown>)[k] = v;
    return f;
  }

  /** A search index for one filter set; the last few are kept (each holds only its candidate rows on the CPU). */
  async index(filters: VocabularyFilters): Promise<SearchIndex> {
    const f = this.effectiveFilters(filters);
    const key = JSON.stringify(f, Object.keys(f).sort());
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key); // most recently used last
      this.cache.set(key, hit);
      return hit;
    }
    const set = candidateSet(this.tokenizer, this.emb.rows, f, this.packWords);
    if (set.words.length + set.tokenIds.length === 0) throw packError(`no vocabulary token passes the filters ${JSON.stringify(f)}; turn one off`);
    const index = await SearchIndex.over(this, set.words, set.tokenIds);
    this.cache.set(key, index);
    if (this.cache.size > 3) this.cache.delete(this.cache.keys().next().value as string);
    return index;
  }

  /** One session per pack: its inputs take any candidate count, so filter changes reuse it. */
  searchSession(candidates: number): Promise<ort.InferenceSession> {
    if (!this.session) {
      const { rows, width } = this.emb;
      const macs = estimateMacs((this.mode === 'mask' ? rows : candidates) * width, this.tokens);
      this.session = (async () => {
        // `emb.data` converts a half-precision table on first use: only the mask graph needs all of it.
        const model = this.mode === 'mask' ? maskSearchModel(this.emb.data, inverse(await this.rowNorms()), rows, width) : gatherSearchModel(width);
        return ort.InferenceSession.create(model, sessionOptions(this.device, macs));
      })();
      this.session.catch(() => (this.session = undefined));
    }
    return this.session;
  }

  /**
   * L2 norm of every table row, once per pack. onnxruntime's ReduceL2 reads the table in place on all cores:
   * 152k × 896 took a third to half of a plain JS loop's time here.
   */
  rowNorms(): Promise<Float32Array> {
    this.norms ??= (async () => {
      const session = await ort.InferenceSession.create(rowNormModel(this.emb.width), sessionOptions('cpu', Number.POSITIVE_INFINITY));
      try {
        const out = await session.run({ [NORM_INPUT]: new ort.Tensor('float32', this.emb.data, [this.emb.rows, this.emb.width]) });
        return out[NORM_OUTPUT].data as Float32Array;
      } finally {
        await session.release();
      }
    })();
    return this.norms;
  }

  async release(): Promise<void> {
    this.cache.clear();
    const s = this.session;
    this.session = undefined;
    if (s) await s.then((x) => x.release()).catch(() => undefined);
  }
}

/** The candidates of one filter set over a pack's VocabularyTable. Word-list words come first. */
export class SearchIndex {
  private tableCache?: Float32Array;
  /** Gather mode: the candidate rows as stored (word-list rows already normalised) and 1/‖row‖. */
  private rawRows?: Float32Array;
  private inverseNorms?: Float32Array;
  private candidateCache?: Candidate[];
  /** Mask mode: per table row (then per word row), 0 for a candidate, MASKED otherwise. */
  private bias?: Float32Array;
  /** Mask mode: the normalised word rows [max(W, 1), H]. */
  private wordRows?: Float32Array;
  /** Mask mode: candidate index of each table row (then word row), −1 when masked. */
  private rowToCandidate?: Int32Array;

  private constructor(
    private readonly vocab: VocabularyTable,
    private readonly words: Candidate[],
    private readonly tokenIds: Int32Array,
    /** L2 norm of each candidate row before normalisation (for distances, e.g. gap D). */
    readonly norms: Float32Array,
    /** Mask mode: norms of every table row (VocabularyTable.rowNorms). */
    private readonly rowNorms?: Float32Array,
  ) {}

  static async over(vocab: VocabularyTable, words: Candidate[], tokenIds: Int32Array): Promise<SearchIndex> {
    const C = words.length + tokenIds.length;
    const index = new SearchIndex(vocab, words, tokenIds, new Float32Array(C), vocab.mode === 'mask' ? await vocab.rowNorms() : undefined);
    if (vocab.mode === 'gather') index.gatherRaw();
    else index.prepareMask();
    await vocab.searchSession(C);
    return index;
  }

  get width(): number {
    return this.vocab.emb.width;
  }

  get size(): number {
    return this.words.length + this.tokenIds.length;
  }

  /** Notes about the table (size mismatch with the tokenizer). */
  get notes(): readonly string[] {
    return this.vocab.notes;
  }

  get candidates(): Candidate[] {
    if (!this.candidateCache) {
      const t = this.vocab.tokenizer;
      this.candidateCache = [...this.words, ...Array.from(this.tokenIds, (id) => ({ word: tokenWord(t, id), ids: [id], fromWordList: false }))];
    }
    return this.candidateCache;
  }

  /** The word a candidate index stands for (no Candidate objects needed). */
  word(c: number): string {
    return c < this.words.length ? this.words[c].word : tokenWord(this.vocab.tokenizer, this.tokenIds[c - this.words.length]);
  }

  /** Normalised candidate rows [C, H]; built here in gather mode, on first use in mask mode (gap D, word vectors). */
  get table(): Float32Array {
    if (this.tableCache) return this.tableCache;
    if (this.vocab.mode === 'mask' && !this.rawRows) this.gatherRaw();
    const raw = this.rawRows as Float32Array;
    const inv = this.inverseNorms as Float32Array;
    const H = this.width;
    const table = new Float32Array(raw.length);
    for (let c = 0; c < this.size; c++) for (let j = c * H, end = j + H; j < end; j++) table[j] = raw[j] * inv[c];
    return (this.tableCache = table);
  }

  /**
   * Copies the candidate rows as they are (word-list words as the normalised mean of their token rows) with
   * 1/‖row‖ beside them: one pass that converts half-precision rows and sums squares on the way; the search
   * graph scales the scores instead of every row (196 × C multiplications instead of C × H).
   */
  private gatherRaw(): void {
    const emb = this.vocab.emb;
    const H = emb.width;
    const rows = new Float32Array(this.size * H);
    const inv = new Float32Array(this.size);
    this.words.forEach((w, r) => {
      this.writeWordRow(w, rows, r);
      inv[r] = 1;
    });
    const W = this.words.length;
    for (let i = 0; i < this.tokenIds.length; i++) {
      const n = copyRow(emb, this.tokenIds[i], rows, (W + i) * H);
      this.norms[W + i] = n;
      inv[W + i] = n > 0 ? 1 / n : 0;
    }
    this.rawRows = rows;
    this.inverseNorms = inv;
  }

  /** Row `r` of `out` = the normalised mean of the word's token rows (SEA Eq. 10); records its norm. */
  private writeWordRow(w: Candidate, out: Float32Array, r: number): void {
    const emb = this.vocab.emb;
    const H = emb.width;
    const row = out.subarray(r * H, (r + 1) * H);
    const tmp = new Float32Array(H);
    for (const id of w.ids) {
      copyRow(emb, id, tmp, 0);
      for (let j = 0; j < H; j++) row[j] += tmp[j];
    }
    for (let j = 0; j < H; j++) row[j] /= w.ids.length;
    const n = rowNorm(row, 0, H);
    this.norms[r] = n;
    const inv = n > 0 ? 1 / n : 0;
    for (let j = 0; j < H; j++) row[j] *= inv;
  }

  private prepareMask(): void {
    const { rows: R, width: H } = this.vocab.emb;
    const W = this.words.length;
    const wordRows = new Float32Array(Math.max(W, 1) * H);
    this.words.forEach((w, r) => this.writeWordRow(w, wordRows, r));
    const rowsTotal = R + Math.max(W, 1);
    const bias = new Float32Array(rowsTotal).fill(MASKED);
    const rowToCandidate = new Int32Array(rowsTotal).fill(-1);
    for (let i = 0; i < this.tokenIds.length; i++) {
      const id = this.tokenIds[i];
      bias[id] = 0;
      rowToCandidate[id] = W + i;
      this.norms[W + i] = (this.rowNorms as Float32Array)[id];
    }
    for (let w = 0; w < W; w++) {
      bias[R + w] = 0;
      rowToCandidate[R + w] = w;
    }
    Object.assign(this, { bias, wordRows, rowToCandidate });
  }

  async search(tokens: Float32Array, n: number, k: number): Promise<SearchResult> {
    const kk = Math.max(1, Math.min(k, this.size));
    const H = this.width;
    const session = await this.vocab.searchSession(this.size);
    const feeds: Record<string, ort.Tensor> = {
      [SEARCH_INPUT]: new ort.Tensor('float32', tokens, [n, H]),
      [SEARCH_K]: new ort.Tensor('int64', BigInt64Array.of(BigInt(kk)), [1]),
    };
    if (this.vocab.mode === 'gather') {
      feeds[SEARCH_TABLE] = new ort.Tensor('float32', this.rawRows as Float32Array, [this.size, H]);
      feeds[SEARCH_INV_NORM] = new ort.Tensor('float32', this.inverseNorms as Float32Array, [this.size]);
    } else {
      feeds[SEARCH_WORDS] = new ort.Tensor('float32', this.wordRows as Float32Array, [(this.wordRows as Float32Array).length / H, H]);
      feeds[SEARCH_BIAS] = new ort.Tensor('float32', this.bias as Float32Array, [(this.bias as Float32Array).length]);
    }
    const out = await session.run(feeds);
    const idx = out.indices.data as BigInt64Array;
    const indices = new Int32Array(idx.length);
    const map = this.rowToCandidate;
    for (let i = 0; i < idx.length; i++) indices[i] = map ? map[Number(idx[i])] : Number(idx[i]);
    return { values: out.values.data as Float32Array, indices, k: kk };
  }

  /** The table and its session belong to the pack (VocabularyTable.release); an index only drops its rows. */
  async release(): Promise<void> {
    this.tableCache = undefined;
    this.rawRows = undefined;
  }
}
