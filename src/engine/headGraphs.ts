// The ONNX graphs built at load time: the adapter MLP (Linear–GELU(erf)–Linear, weights as initializers)
// and the cosine top-k search against the pre-normalised candidate table. Both run on the chosen
// execution provider, so on a GPU the weights and the table stay in device memory between requests.
import { DataType, buildModel } from './onnxGraph';
import type { MlpWeights } from './adapterWeights';

export const ADAPTER_INPUT = 'image_features';
export const ADAPTER_OUTPUT = 'projected';

export function adapterModel(w: MlpWeights): Uint8Array {
  const f = DataType.FLOAT;
  const scalar = (name: string, v: number) => ({ name, dims: [], dataType: f, data: new Float32Array([v]) });
  return buildModel({
    name: 'sea_lens_adapter',
    initializers: [
      { name: 'w1', dims: [w.hidden, w.inDim], dataType: f, data: w.w1 },
      { name: 'b1', dims: [w.hidden], dataType: f, data: w.b1 },
      { name: 'w2', dims: [w.outDim, w.hidden], dataType: f, data: w.w2 },
      { name: 'b2', dims: [w.outDim], dataType: f, data: w.b2 },
      scalar('sqrt2', Math.SQRT2), scalar('one', 1), scalar('half', 0.5),
    ],
    nodes: [
      // Gemm with transB = 1 takes PyTorch's [out, in] weights as they are.
      { op: 'Gemm', inputs: [ADAPTER_INPUT, 'w1', 'b1'], outputs: ['h'], attrs: { transB: 1 } },
      // GELU, exact (erf) form as torch.nn.GELU() — onnxruntime fuses these five nodes into one Gelu.
      { op: 'Div', inputs: ['h', 'sqrt2'], outputs: ['hs'] },
      { op: 'Erf', inputs: ['hs'], outputs: ['he'] },
      { op: 'Add', inputs: ['he', 'one'], outputs: ['h1'] },
      { op: 'Mul', inputs: ['h', 'h1'], outputs: ['hm'] },
      { op: 'Mul', inputs: ['hm', 'half'], outputs: ['g'] },
      { op: 'Gemm', inputs: ['g', 'w2', 'b2'], outputs: [ADAPTER_OUTPUT], attrs: { transB: 1 } },
    ],
    inputs: [{ name: ADAPTER_INPUT, elemType: f, shape: ['tokens', w.inDim] }],
    outputs: [{ name: ADAPTER_OUTPUT, elemType: f, shape: ['tokens', w.outDim] }],
  });
}

export const SEARCH_INPUT = 'tokens';
export const SEARCH_K = 'k';

/**
 * scores = normalise(tokens) · tableᵀ, then TopK over the candidates. `table` must already be L2-normalised
 * row by row, so the scores are cosines.
 */
export function searchModel(table: Float32Array, rows: number, dim: number): Uint8Array {
  const f = DataType.FLOAT;
  return buildModel({
    name: 'sea_lens_search',
    initializers: [
      { name: 'table', dims: [rows, dim], dataType: f, data: table },
      { name: 'eps', dims: [], dataType: f, data: new Float32Array([1e-12]) },
    ],
    nodes: [
      { op: 'ReduceL2', inputs: [SEARCH_INPUT], outputs: ['norm'], attrs: { axes: [1], keepdims: 1 } },
      { op: 'Max', inputs: ['norm', 'eps'], outputs: ['safe'] },
      { op: 'Div', inputs: [SEARCH_INPUT, 'safe'], outputs: ['unit'] },
      { op: 'Gemm', inputs: ['unit', 'table'], outputs: ['scores'], attrs: { transB: 1 } },
      { op: 'TopK', inputs: ['scores', SEARCH_K], outputs: ['values', 'indices'], attrs: { axis: 1, largest: 1, sorted: 1 } },
    ],
    inputs: [
      { name: SEARCH_INPUT, elemType: f, shape: ['n', dim] },
      { name: SEARCH_K, elemType: DataType.INT64, shape: [1] },
    ],
    outputs: [
      { name: 'values', elemType: f, shape: ['n', 'k'] },
      { name: 'indices', elemType: DataType.INT64, shape: ['n', 'k'] },
    ],
  });
}

export const SEARCH_TABLE = 'table';
export const SEARCH_WORDS = 'words';
export const SEARCH_BIAS = 'bias';
export const SEARCH_INV_NORM = 'inv_norm';
/** Bias of a row outside the filter: far below any cosine, finite so that every provider's TopK handles it. */
export const MASKED = -1e4;

const unitNodes = [
  { op: 'ReduceL2', inputs: [SEARCH_INPUT], outputs: ['norm'], attrs: { axes: [1], keepdims: 1 } },
  { op: 'Max', inputs: ['norm', 'eps'], outputs: ['safe'] },
  { op: 'Div', inputs: [SEARCH_INPUT, 'safe'], outputs: ['unit'] },
];
const searchOutputs = [
  { name: 'values', elemType: DataType.FLOAT, shape: ['n', 'k'] },
  { name: 'indices', elemType: DataType.INT64, shape: ['n', 'k'] },
];
const eps = { name: 'eps', dims: [], dataType: DataType.FLOAT, data: new Float32Array([1e-12]) };

/** CPU search: the filtered candidate rows [C, H] (any C) and their inverse norms [C] come in as inputs. */
export function gatherSearchModel(dim: number): Uint8Array {
  const f = DataType.FLOAT;
  return buildModel({
    name: 'sea_lens_search_gather',
    initializers: [eps],
    nodes: [
      ...unitNodes,
      { op: 'Gemm', inputs: ['unit', SEARCH_TABLE], outputs: ['dots'], attrs: { transB: 1 } },
      { op: 'Mul', inputs: ['dots', SEARCH_INV_NORM], outputs: ['scores'] },
      { op: 'TopK', inputs: ['scores', SEARCH_K], outputs: ['values', 'indices'], attrs: { axis: 1, largest: 1, sorted: 1 } },
    ],
    inputs: [
      { name: SEARCH_INPUT, elemType: f, shape: ['n', dim] },
      { name: SEARCH_TABLE, elemType: f, shape: ['c', dim] },
      { name: SEARCH_INV_NORM, elemType: f, shape: ['c'] },
      { name: SEARCH_K, elemType: DataType.INT64, shape: [1] },
    ],
    outputs: searchOutputs,
  });
}

/**
 * GPU search: the whole raw table [R, H] and its inverse row norms stay on the device; per request come the
 * normalised word-list rows [W, H] and a bias [R + W] (0 for a candidate, MASKED otherwise) that the filter
 * set decides. Returned indices are rows of [table; words].
 */
export function maskSearchModel(table: Float32Array, inverseNorms: Float32Array, rows: number, dim: number): Uint8Array {
  const f = DataType.FLOAT;
  return buildModel({
    name: 'sea_lens_search_mask',
    initializers: [
      { name: 'table', dims: [rows, dim], dataType: f, data: table },
      { name: 'inv_norm', dims: [rows], dataType: f, data: inverseNorms },
      eps,
    ],
    nodes: [
      ...unitNodes,
      { op: 'Gemm', inputs: ['unit', 'table'], outputs: ['dots'], attrs: { transB: 1 } },
      { op: 'Mul', inputs: ['dots', 'inv_norm'], outputs: ['cos_vocab'] },
      { op: 'Gemm', inputs: ['unit', SEARCH_WORDS], outputs: ['cos_words'], attrs: { transB: 1 } },
      { op: 'Concat', inputs: ['cos_vocab', 'cos_words'], outputs: ['cos'], attrs: { axis: 1 } },
      { op: 'Add', inputs: ['cos', SEARCH_BIAS], outputs: ['scores'] },
      { op: 'TopK', inputs: ['scores', SEARCH_K], outputs: ['values', 'indices'], attrs: { axis: 1, largest: 1, sorted: 1 } },
    ],
    inputs: [
      { name: SEARCH_INPUT, elemType: f, shape: ['n', dim] },
      { name: SEARCH_WORDS, elemType: f, shape: ['w', dim] },
      { name: SEARCH_BIAS, elemType: f, shape: ['r'] },
      { name: SEARCH_K, elemType: DataType.INT64, shape: [1] },
    ],
    outputs: searchOutputs,
  });
}

export const NORM_INPUT = 'rows';
export const NORM_OUTPUT = 'norms';

/** L2 norm of each row of a [r, H] input (the embedding table's norms, once per pack). */
export function rowNormModel(dim: number): Uint8Array {
  return buildModel({
    name: 'sea_lens_row_norms',
    initializers: [],
    nodes: [{ op: 'ReduceL2', inputs: [NORM_INPUT], outputs: [NORM_OUTPUT], attrs: { axes: [1], keepdims: 0 } }],
    inputs: [{ name: NORM_INPUT, elemType: DataType.FLOAT, shape: ['r', dim] }],
    outputs: [{ name: NORM_OUTPUT, elemType: DataType.FLOAT, shape: ['r'] }],
  });
}
