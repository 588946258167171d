// The engine's onnxruntime session options: CPU threads chosen by graph size (small graphs run on one
// thread, where a thread pool's hand-off costs more than it saves), overridden by SEA_LENS_CPU_THREADS.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { SINGLE_THREAD_MACS, estimateMacs, sessionOptions } from '../../src/engine/devices';

const saved = process.env.SEA_LENS_CPU_THREADS;
afterEach(() => {
  if (saved === undefined) delete process.env.SEA_LENS_CPU_THREADS;
  else process.env.SEA_LENS_CPU_THREADS = saved;
});

test('a small CPU graph runs on one thread; a large one keeps the pool', () => {
  delete process.env.SEA_LENS_CPU_THREADS;
  assert.equal(sessionOptions('cpu', SINGLE_THREAD_MACS / 10).intraOpNumThreads, 1);
  assert.equal(sessionOptions('cpu', SINGLE_THREAD_MACS * 10).intraOpNumThreads, undefined);
  assert.equal(sessionOptions('cpu').intraOpNumThreads, undefined, 'unknown size: the pool');
});

test('SEA_LENS_CPU_THREADS overrides the size rule for every session', () => {
  process.env.SEA_LENS_CPU_THREADS = '3';
  assert.equal(sessionOptions('cpu', 1).intraOpNumThreads, 3);
  assert.equal(sessionOptions('cpu', SINGLE_THREAD_MACS * 10).intraOpNumThreads, 3);
});

test('BAD INPUT - a SEA_LENS_CPU_THREADS that is not a positive integer is ignored', () => {
  for (const bad of ['0', '-2', '1.5', 'many', '']) {
    process.env.SEA_LENS_CPU_THREADS = bad;
    assert.equal(sessionOptions('cpu', 1).intraOpNumThreads, 1, `"${bad}"`);
  }
});

test('GPU providers get no CPU thread setting, one provider each, and no spinning threads', () => {
  delete process.env.SEA_LENS_CPU_THREADS;
  for (const device of ['webgpu', 'cuda'] as const) {
    const o = sessionOptions(device, 1);
    assert.equal(o.intraOpNumThreads, undefined);
    assert.equal(o.executionProviders?.length, 1);
  }
  assert.deepEqual(sessionOptions('cpu', 1).extra, { session: { intra_op: { allow_spinning: '0' } } });
});

test('the size estimate is weights × tokens (a dense network applied row by row)', () => {
  assert.equal(estimateMacs(1_000, 65), 65_000);
});
