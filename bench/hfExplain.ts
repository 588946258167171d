// Cold and warm explain of one pack made by `pack init` (used by bench/hf_pack_bench.py): cold = a new
// engine's first explain (pack load + first image), warm = the median of the following runs; peak RSS of
// this process. Prints one JSON line.
import { Engine } from '../src/engine/engine';

async function main(): Promise<void> {
  const [pack, image, repsArg] = process.argv.slice(2);
  const reps = Number(repsArg ?? 5);
  let peak = 0;
  const sample = () => { peak = Math.max(peak, process.memoryUsage().rss); };
  const timer = setInterval(sample, 50);
  const engine = new Engine();
  try {
    const t0 = performance.now();
    const first = await engine.explain({ image, pack, device: 'cpu' });
    const coldMs = performance.now() - t0;
    const warm: number[] = [];
    let stages = first.timings;
    for (let i = 0; i < reps; i++) {
      const t = performance.now();
      stages = (await engine.explain({ image, pack, device: 'cpu' })).timings;
      warm.push(performance.now() - t);
    }
    sample();
    warm.sort((a, b) => a - b);
    console.log(JSON.stringify({ tokens: first.patches.length, coldMs, warmMs: warm[Math.floor(warm.length / 2)], stagesMs: stages, peakRssMB: peak / 2 ** 20 }));
  } finally {
    clearInterval(timer);
    await engine.dispose();
  }
}

main().catch((e) => {
  console.error((e as Error).message);
  process.exit(1);
});
