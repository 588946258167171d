// Child-process entry (dist/providerProbe.js): tries one onnxruntime execution provider on the engine's own
// adapter graph and prints one JSON line. Run in its own process by providerCheck.ts because creating a
// WebGPU or CUDA session can hang on a broken driver or crash the process natively; the parent enforces a
// timeout and survives either.
import * as ort from 'onnxruntime-node';
import { cudaProviderMissing, firstLine, sessionOptions } from './devices';
import { ADAPTER_INPUT, ADAPTER_OUTPUT, adapterModel } from './headGraphs';
import type { Device } from '../shared/tokenMap';
import { PROBE_MARK } from './providerCheck';

/** A small adapter (16 → 32 → 8) with fixed weights, run on 4 tokens: the same ops as a real explain. */
export function probeModel(): { model: Uint8Array; input: Float32Array; dims: [number, number] } {
  const fill = (n: number, k: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k) * 0.5);
  const model = adapterModel({ inDim: 16, hidden: 32, outDim: 8, w1: fill(32 * 16, 0.37), b1: fill(32, 0.11), w2: fill(8 * 32, 0.23), b2: fill(8, 0.7) });
  return { model, input: fill(4 * 16, 0.53), dims: [4, 16] };
}

async function probe(device: Device): Promise<{ ok: boolean; ms?: number; output?: number[]; error?: string }> {
  const missing = device === 'cuda' ? cudaProviderMissing() : undefined;
  if (missing) return { ok: false, error: missing };
  const { model, input, dims } = probeModel();
  const t0 = performance.now();
  try {
    const session = await ort.InferenceSession.create(model, sessionOptions(device));
    const out = await session.run({ [ADAPTER_INPUT]: new ort.Tensor('float32', input, dims) });
    const ms = performance.now() - t0;
    return { ok: true, ms: Math.round(ms), output: Array.from(out[ADAPTER_OUTPUT].data as Float32Array) };
  } catch (e) {
    return { ok: false, error: firstLine(e) };
  }
}

if (require.main === module) {
  const device = process.argv[2] as Device;
  void probe(device).then((r) => {
    process.stdout.write(`${PROBE_MARK}${JSON.stringify(r)}\n`);
    // A GPU device can keep native threads alive: leave at once, the answer is out.
    process.exit(0);
  });
}
