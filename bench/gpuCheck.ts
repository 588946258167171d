// Device check for machines with a GPU: the load-time graphs (adapter MLP 768→896→896 and cosine top-k over
// a 50,000 × 896 table, 196 and 576 tokens) on every usable provider, timed and compared with the CPU
// result. Usage: node --import tsx bench/gpuCheck.ts [--json FILE]
import { writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { sessionOptions, withDevice } from '../src/engine/devices';
import { adapterModel, searchModel } from '../src/engine/headGraphs';
import type { Device } from '../src/shared/tokenMap';

const D = 768, H = 896, ROWS = 50_000, K = 5;
function rand(n: number, scale: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return a;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const w = { w1: rand(H * D, 0.05, 1), b1: rand(H, 0.01, 2), w2: rand(H * H, 0.05, 3), b2: rand(H, 0.01, 4), inDim: D, hidden: H, outDim: H };
  const table = rand(ROWS * H, 1, 5);
  for (let r = 0; r < ROWS; r++) {
    let ss = 0;
    for (let j = 0; j < H; j++) ss += table[r * H + j] ** 2;
    const inv = 1 / Math.sqrt(ss);
    for (let j = 0; j < H; j++) table[r * H + j] *= inv;
  }
  const results: Record<string, unknown>[] = [];
  const reference = new Map<number, { idx: BigInt64Array; val: Float32Array }>();
  for (const choice of ['cpu', 'webgpu', 'cuda'] as Device[]) {
    let sessions: { device: Device; adapter: ort.InferenceSession; search: ort.InferenceSession };
    try {
      const t0 = performance.now();
      const r = await withDevice(choice, async (d) => ({
        device: d,
        adapter: await ort.InferenceSession.create(adapterModel(w), sessionOptions(d)),
        search: await ort.InferenceSession.create(searchModel(table, ROWS, H), sessionOptions(d)),
      }));
      sessions = r.value;
      results.push({ device: choice, loadMs: performance.now() - t0 });
    } catch (e) {
      results.push({ device: choice, status: `unavailable: ${(e as Error).message.slice(0, 160)}` });
      continue;
    }
    for (const P of [196, 576]) {
      const x = rand(P * D, 1, 6 + P);
      const run = async () => {
        const a = await sessions.adapter.run({ image_features: new ort.Tensor('float32', x, [P, D]) });
        return sessions.search.run({ tokens: a.projected, k: new ort.Tensor('int64', BigInt64Array.of(BigInt(K)), [1]) });
      };
      const first = await run();
      const ts: number[] = [];
      for (let i = 0; i < 10; i++) {
        const t = performance.now();
        await run();
        ts.push(performance.now() - t);
      }
      const idx = first.indices.data as BigInt64Array;
      const val = first.values.data as Float32Array;
      if (choice === 'cpu') reference.set(P, { idx, val });
      const ref = reference.get(P)!;
      let top1 = 0, maxDiff = 0;
      for (let p = 0; p < P; p++) if (idx[p * K] === ref.idx[p * K]) top1++;
      for (let i = 0; i < val.length; i++) maxDiff = Math.max(maxDiff, Math.abs(val[i] - ref.val[i]));
      results.push({ device: choice, tokens: P, warmMs: median(ts), top1AgreementWithCpu: top1 / P, maxScoreDiffVsCpu: maxDiff });
    }
  }
  console.log(JSON.stringify(results, null, 1));
  const i = process.argv.indexOf('--json');
  if (i > 0) writeFileSync(process.argv[i + 1], JSON.stringify(results, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
