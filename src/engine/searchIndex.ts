// Cosine nearest words: the candidate rows of the embedding table (word-list words as the mean of their
// sub-token rows, SEA Eq. 10), L2-normalised once, held in an ONNX MatMul+TopK graph on the pack's device.
// On a 2-core CPU the graph (onnxruntime's multithreaded GEMM) beat a tuned JS loop by a wide margin —
// `npm run bench` prints both.
import * as ort from 'onnxruntime-node';
import type { Device } from '../shared/tokenMap';
import { estimateMacs, sessionOptions } from './devices';
import { SEARCH_INPUT, SEARCH_K, searchModel } from './headGraphs';
import type { Candidate } from './vocabulary';

export interface SearchResult {
  /** [n, k] cosine scores, best first. */
  values: Float32Array;
  /** [n, k] candidate indices. */
  indices: Int32Array;
  k: number;
}

export class SearchIndex {
  private constructor(
    readonly candidates: Candidate[],
    /** Normalised rows [C, H]. */
    readonly table: Float32Array,
    /** L2 norm of each candidate row before normalisation (for distances, e.g. gap D). */
    readonly norms: Float32Array,
    readonly width: number,
    private readonly session: ort.InferenceSession,
  ) {}

  /** `tokens`: how many rows one search usually gets (the patch count), for the thread choice. */
  static async create(candidates: Candidate[], emb: { data: Float32Array; rows: number; width: number }, device: Device, tokens?: number): Promise<SearchIndex> {
    const { table, norms } = candidateTable(candidates, emb);
    const macs = tokens === undefined ? undefined : estimateMacs(candidates.length * emb.width, tokens);
    const session = await ort.InferenceSession.create(searchModel(table, candidates.length, emb.width), sessionOptions(device, macs));
    return new SearchIndex(candidates, table, norms, emb.width, session);
  }

  get size(): number {
    return this.candidates.length;
  }

  async search(tokens: Float32Array, n: number, k: number): Promise<SearchResult> {
    const kk = Math.max(1, Math.min(k, this.candidates.length));
    const out = await this.session.run({
      [SEARCH_INPUT]: new ort.Tensor('float32', tokens, [n, this.width]),
      [SEARCH_K]: new ort.Tensor('int64', BigInt64Array.of(BigInt(kk)), [1]),
    });
    const idx = out.indices.data as BigInt64Array;
    const indices = new Int32Array(idx.length);
    for (let i = 0; i < idx.length; i++) indices[i] = Number(idx[i]);
    return { values: out.values.data as Float32Array, indices, k: kk };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

export function candidateTable(candidates: Candidate[], emb: { data: Float32Array; rows: number; width: number }) {
  const H = emb.width;
  const table = new Float32Array(candidates.length * H);
  const norms = new Float32Array(candidates.length);
  candidates.forEach((c, r) => {
    const row = table.subarray(r * H, (r + 1) * H);
    for (const id of c.ids) {
      const src = emb.data.subarray(id * H, (id + 1) * H);
      for (let j = 0; j < H; j++) row[j] += src[j];
    }
    let ss = 0;
    for (let j = 0; j < H; j++) {
      row[j] /= c.ids.length;
      ss += row[j] * row[j];
    }
    const n = Math.sqrt(ss);
    norms[r] = n;
    const inv = n > 0 ? 1 / n : 0;
    for (let j = 0; j < H; j++) row[j] *= inv;
  });
  return { table, norms };
}
