// The quiet fallback: devices that cannot work here are skipped by looking for their native libraries
// (no native call, so Dawn's "Couldn't load Vulkan" never reaches stderr), and a CLI run says in one line
// which device runs and why — nothing at all when the CPU was asked for.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { GPU_WORTH_MACS, nvidiaDriverMissing, vulkanLoaderMissing, withDevice } from '../../src/engine/devices';
import type { Device } from '../../src/shared/tokenMap';
import { findSharedLibrary } from '../../src/engine/nativeLibraries';
import { ROOT } from '../fixtures/fixturePacks';

const linux = process.platform === 'linux' ? false : 'the library lookup is Linux only';

describe('native library lookup', { skip: linux }, () => {
  it('finds libc, misses a library that does not exist, honours LD_LIBRARY_PATH', () => {
    assert.match(findSharedLibrary('libc.so.6') ?? '', /libc\.so\.6$/);
    assert.equal(findSharedLibrary('libsealens-no-such-library.so.7'), null);
    const dir = path.join(ROOT, '.test-artifacts', 'fake-libs');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'libvulkan.so.1'), '');
    writeFileSync(path.join(dir, 'libcuda.so.1'), '');
    const env = { ...process.env, LD_LIBRARY_PATH: `/nonexistent:${dir}` };
    assert.equal(findSharedLibrary('libvulkan.so.1', env), path.join(dir, 'libvulkan.so.1'));
    assert.equal(vulkanLoaderMissing(env), undefined);
    assert.equal(nvidiaDriverMissing(env), undefined);
  });
});

describe('CLI: one line about the device, no native noise', { skip: linux }, () => {
  const samples = path.join(ROOT, 'media', 'samples');
  const image = readdirSync(samples).find((f) => f.endsWith('.png'));
  const noVulkan = findSharedLibrary('libvulkan.so.1') === null;
  const skip = !image ? 'no sample image in media/samples' : !noVulkan ? 'this machine has a Vulkan loader; the check is for machines without one' : false;
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), 'explain', path.join(samples, image ?? ''), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  it('auto on a machine without Vulkan: exactly one stderr line naming the device and why', { skip }, () => {
    const r = run();
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^sea-lens: using cpu \(.*webgpu: no Vulkan loader/);
    assert.doesNotMatch(r.stderr, /Couldn't load Vulkan|BackendVk\.cpp/);
  });
  it('--device cpu: nothing on stderr', { skip }, () => {
    const r = run('--device', 'cpu');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
  });
});

describe('auto and model size', { skip: linux }, () => {
  it('a usable GPU is tried for a large model and passed over for a small one, saying why', async () => {
    // a Vulkan loader "found" (an empty file on LD_LIBRARY_PATH): WebGPU counts as usable without a native call
    const dir = path.join(ROOT, '.test-artifacts', 'fake-libs');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'libvulkan.so.1'), '');
    const saved = process.env.LD_LIBRARY_PATH;
    process.env.LD_LIBRARY_PATH = dir;
    try {
      const tried: Device[] = [];
      const create = async (d: Device) => {
        tried.push(d);
        if (d !== 'cpu') throw new Error('Failed to create a WebGPU device');
        return d;
      };
      const large = await withDevice('auto', create, 17e9);
      assert.ok(tried.includes('webgpu') && large.device === 'cpu', `large model: WebGPU tried first (${tried.join(', ')})`);
      tried.length = 0;
      const small = await withDevice('auto', create, GPU_WORTH_MACS / 20);
      assert.deepEqual(tried, ['cpu'], 'small model: the GPU is not even opened');
      assert.match(small.reason ?? '', /webgpu: not used for a small model \(≈ 50 M multiply–adds per image; the CPU is faster for it\)/);
      tried.length = 0;
      await withDevice('webgpu', create, GPU_WORTH_MACS / 20).catch(() => undefined);
      assert.deepEqual(tried, ['webgpu'], 'an explicit choice is honoured whatever the size');
    } finally {
      if (saved === undefined) delete process.env.LD_LIBRARY_PATH;
      else process.env.LD_LIBRARY_PATH = saved;
    }
  });
});
