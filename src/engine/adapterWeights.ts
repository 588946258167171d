// LLaVA mlp2x_gelu adapter weights from safetensors, in either key layout (original LLaVA
// `model.mm_projector.{0,2}` — also without `model.` — or HF `[model.]multi_modal_projector.linear_{1,2}`),
// with or without biases.
import path from 'node:path';
import { packError } from './engineError';
import { assertFinite, readSafetensorsHeader, readTensorF32 } from './safetensors';

export interface MlpWeights {
  /** PyTorch Linear layout: weight [out, in], row-major. */
  w1: Float32Array; b1: Float32Array; w2: Float32Array; b2: Float32Array;
  inDim: number; hidden: number; outDim: number;
}

const LAYOUTS: readonly [string, string][] = [
  ['model.multi_modal_projector.linear_1', 'model.multi_modal_projector.linear_2'],
  ['model.mm_projector.0', 'model.mm_projector.2'],
  ['mm_projector.0', 'mm_projector.2'],
  ['multi_modal_projector.linear_1', 'multi_modal_projector.linear_2'],
];

export async function readMlpWeights(file: string, label: string): Promise<MlpWeights> {
  const header = await readSafetensorsHeader(file);
  const layout = LAYOUTS.find(([a]) => header.tensors.has(`${a}.weight`));
  if (!layout) {
    const keys = [...header.tensors.keys()].slice(0, 8).join(', ');
    throw packError(`${label} (${path.basename(file)}): no LLaVA mlp2x_gelu weights found; expected keys ${LAYOUTS.map(([a]) => `${a}.weight`).join(' or ')}, found: ${keys}`);
  }
  const [l1, l2] = layout;
  const read = async (k: string) => {
    const t = await readTensorF32(header, k);
    assertFinite(t.data, `${label} (${path.basename(file)}): tensor "${k}"`, t.shape);
    return t;
  };
  // Bias-free projectors (multimodal_projector_bias = false) have no bias tensors: their bias is zero.
  const readBias = async (k: string, n: number) => (header.tensors.has(k) ? read(k) : { data: new Float32Array(n), shape: [n] });
  const [w1, w2] = await Promise.all([read(`${l1}.weight`), read(`${l2}.weight`)]);
  if (w1.shape.length !== 2 || w2.shape.length !== 2) throw packError(`${label}: adapter weights must be 2-D, got [${w1.shape}] and [${w2.shape}]`);
  // Both biases or neither: a projector with one of them is a file that lost a tensor, not a bias-free model.
  if (header.tensors.has(`${l1}.bias`) !== header.tensors.has(`${l2}.bias`)) {
    const missing = header.tensors.has(`${l1}.bias`) ? `${l2}.bias` : `${l1}.bias`;
    throw packError(`${label} (${path.basename(file)}): has one bias but not "${missing}"; the file is incomplete — re-export the adapter`);
  }
  const [b1, b2] = await Promise.all([readBias(`${l1}.bias`, w1.shape[0]), readBias(`${l2}.bias`, w2.shape[0])]);
  const [hidden, inDim] = w1.shape;
  const [outDim, hidden2] = w2.shape;
  if (hidden2 !== hidden) throw packError(`${label}: ${l2}.weight takes ${hidden2} inputs but ${l1} produces ${hidden}`);
  if (b1.shape[0] !== hidden || b2.shape[0] !== outDim) {
    throw packError(`${label}: bias sizes [${b1.shape}] and [${b2.shape}] do not match weights [${w1.shape}] and [${w2.shape}]`);
  }
  return { w1: w1.data, b1: b1.data, w2: w2.data, b2: b2.data, inDim, hidden, outDim };
}
