// sea-lens gpu install against a NuGet feed served on 127.0.0.1 (never the real network): the plan comes
// from the installed onnxruntime-node's own metadata; a fixture .nupkg holds the files it names. Happy path,
// a wrong published checksum, a missing package, a connection dropped halfway (the rerun resumes with a
// Range request), and the message when there is no NVIDIA driver.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/cli/cli';
import { nvidiaDriverMissing } from '../../src/engine/devices';
import { cudaPlan, GpuInstallError, installCudaProvider, type CudaPlan } from '../../src/engine/cudaProviderInstall';
import { makeZip, startNugetFixture, type NugetFixture } from '../fixtures/nugetFixtureServer';
import { ROOT } from '../fixtures/fixturePacks';

const TMP = path.join(ROOT, '.test-artifacts', 'gpu-install');

describe('gpu install: plan from onnxruntime-node\'s metadata', () => {
  it('Linux x64: the NuGet package and version of the installed release, files into its binding folder', () => {
    const plan = cudaPlan({ platform: 'linux/x64', env: {} });
    const ortVersion = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'onnxruntime-node', 'package.json'), 'utf8')).version;
    assert.equal(plan.ortVersion, ortVersion);
    assert.equal(plan.packageId, 'Microsoft.ML.OnnxRuntime.Gpu.Linux');
    assert.equal(plan.packageVersion, ortVersion);
    assert.equal(plan.feedIndex, 'https://api.nuget.org/v3/index.json');
    assert.ok(plan.files.some((f) => f.target.endsWith(path.join('bin', 'napi-v6', 'linux', 'x64', 'libonnxruntime_providers_cuda.so'))));
    assert.ok(plan.files.every((f) => f.pathInPackage.startsWith('runtimes/linux-x64/native/')));
  });
  it('BAD INPUT - a platform without a CUDA package → says which', () => {
    assert.throws(() => cudaPlan({ platform: 'darwin/arm64' }), (e: GpuInstallError) => e.kind === 'unsupported' && /no CUDA provider for darwin\/arm64/.test(e.message));
  });
});

describe('gpu install against a local NuGet feed', () => {
  let feed: NugetFixture;
  let plan: CudaPlan;
  const contents = new Map<string, Uint8Array>();
  const target = path.join(TMP, 'bin');
  const cache = path.join(TMP, 'cache');
  const fresh = () => {
    rmSync(target, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  };
  before(async () => {
    mkdirSync(TMP, { recursive: true });
    const base = cudaPlan({ platform: 'linux/x64', targetDir: target, env: {} });
    // Library stand-ins of different sizes, some incompressible so the package is big enough to drop halfway.
    base.files.forEach((f, i) => {
      const data = new Uint8Array(200_000 + i * 1000);
      let s = 11 + i;
      for (let j = 0; j < data.length; j++) data[j] = (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24;
      contents.set(f.pathInPackage, data);
    });
    const nupkg = makeZip({ '[Content_Types].xml': new TextEncoder().encode('<Types/>'), ...Object.fromEntries(contents) });
    feed = await startNugetFixture(base.packageId, base.packageVersion, nupkg);
    plan = cudaPlan({ platform: 'linux/x64', targetDir: target, env: { SEA_LENS_CUDA_FEED: feed.index } });
  });
  after(async () => {
    await feed?.close();
  });
  const install = () => installCudaProvider({ plan, cacheDir: cache, force: true, retries: 0 });

  it('happy path: resolves, downloads with progress, verifies and unpacks every file byte for byte', async () => {
    fresh();
    feed.setMode('ok');
    const progress: (number | undefined)[] = [];
    const r = await installCudaProvider({ plan, cacheDir: cache, force: true, onProgress: (p) => progress.push(p.fraction) });
    assert.equal(plan.feedIndex, feed.index, 'SEA_LENS_CUDA_FEED replaces the feed');
    assert.equal(r.installed.length, plan.files.length);
    for (const f of plan.files) assert.deepEqual(new Uint8Array(readFileSync(f.target)), contents.get(f.pathInPackage), f.pathInPackage);
    assert.ok(progress.some((f) => f !== undefined && f > 0 && f < 1) && progress.at(-1) === 1, `progress ${progress.join(',')}`);
    assert.ok(!existsSync(path.join(target, 'libonnxruntime_providers_cuda.so.sealens-tmp')));
  });
  it('BAD INPUT - the file does not match the published SHA-512 → checksum error, nothing installed, no partial file kept', async () => {
    fresh();
    feed.setMode('bad-checksum');
    await assert.rejects(install(), (e: GpuInstallError) => e.kind === 'checksum' && /does not match its published SHA-512/.test(e.message));
    assert.ok(plan.files.every((f) => !existsSync(f.target)));
    assert.ok(!existsSync(path.join(cache, `${plan.packageId.toLowerCase()}.${plan.packageVersion}.nupkg.part`)), 'the broken download is deleted');
  });
  it('BAD INPUT - the package is missing on the feed (404) → names the URL', async () => {
    fresh();
    feed.setMode('missing-package');
    await assert.rejects(install(), (e: GpuInstallError) => e.kind === 'not-found' && /404/.test(e.message) && /\.nupkg/.test(e.message));
  });
  it('a connection dropped halfway → "run again to resume"; the rerun asks for the rest with Range and installs', async () => {
    fresh();
    feed.setMode('drop-once');
    await assert.rejects(install(), (e: GpuInstallError) => e.kind === 'download' && /broke off at .* run the same command again to resume/.test(e.message));
    const part = path.join(cache, `${plan.packageId.toLowerCase()}.${plan.packageVersion}.nupkg.part`);
    assert.ok(existsSync(part) && statSync(part).size > 0, 'the partial download is kept');
    const kept = statSync(part).size;
    feed.log.length = 0;
    await install();
    assert.ok(feed.log.some((l) => l.includes(`range=bytes=${kept}-`)), feed.log.join('\n'));
    for (const f of plan.files) assert.deepEqual(new Uint8Array(readFileSync(f.target)), contents.get(f.pathInPackage));
  });
  it('no NVIDIA driver → a clear message before any download (unless --force)', { skip: nvidiaDriverMissing() ? false : 'this machine has an NVIDIA driver' }, async () => {
    fresh();
    feed.setMode('ok');
    feed.log.length = 0;
    await assert.rejects(installCudaProvider({ plan, cacheDir: cache }), (e: GpuInstallError) => e.kind === 'no-driver' && /no NVIDIA driver .*Install the driver.*--force/.test(e.message));
    assert.equal(feed.log.length, 0, 'nothing was requested');
  });
  it('CLI: sea-lens gpu install --force → exit 0, progress on stderr; gpu install without a driver → exit 1', async () => {
    fresh();
    feed.setMode('ok');
    let out = '', err = '';
    const ctx = { installDir: TMP, stdout: (s: string) => (out += s), stderr: (s: string) => (err += s) };
    const saved = process.env.SEA_LENS_CUDA_FEED;
    process.env.SEA_LENS_CUDA_FEED = feed.index;
    try {
      const code = await main(['gpu', 'install', '--force', '--into', target, '--cache', cache], ctx);
      assert.equal(code, 0, err);
      assert.match(err, /downloading .*MB/);
      assert.match(out, /installed/);
      for (const f of plan.files) assert.ok(existsSync(f.target));
      if (nvidiaDriverMissing()) {
        err = '';
        assert.equal(await main(['gpu', 'install', '--into', target, '--cache', cache], ctx), 1);
        assert.match(err, /no NVIDIA driver/);
      }
      assert.equal(await main(['gpu', 'frobnicate'], ctx), 2);
    } finally {
      if (saved === undefined) delete process.env.SEA_LENS_CUDA_FEED;
      else process.env.SEA_LENS_CUDA_FEED = saved;
    }
  });
});
