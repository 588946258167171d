// Installs onnxruntime-node's CUDA execution provider, which its npm package leaves out (too large for the
// registry). What to fetch and where it goes is read from the installed onnxruntime-node's own metadata
// (script/install-metadata.js: the NuGet package and version per platform, the files and their paths), so
// the libraries always match the installed release. The download follows the NuGet v3 protocol from the
// feed index: registration leaf → catalog entry (SHA-512 and size) → the .nupkg, resumable, then verified.
// SEA_LENS_CUDA_FEED replaces the feed's index URL (tests serve a fixture feed on 127.0.0.1).
import { existsSync } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findSharedLibrary, nvidiaDriverMissing } from './nativeLibraries';
import { downloadFile, DownloadError } from './resumableDownload';
import { extractZipEntry, listZip } from './zipEntries';

export class GpuInstallError extends Error {
  constructor(
    readonly kind: 'unsupported' | 'no-driver' | 'metadata' | 'feed' | 'download' | 'checksum' | 'not-found' | 'cancelled' | 'package',
    message: string,
  ) {
    super(message);
  }
}

/** What onnxruntime-node's metadata says about the CUDA provider for this platform. */
export interface CudaPlan {
  ortVersion: string;
  platform: string;
  /** NuGet package id, e.g. Microsoft.ML.OnnxRuntime.Gpu.Linux. */
  packageId: string;
  packageVersion: string;
  feedIndex: string;
  /** Target file (absolute) ← path inside the .nupkg. */
  files: { target: string; pathInPackage: string }[];
}

interface OrtMetadata {
  requirements: Record<string, string[]>;
  manifests: Record<string, Record<string, { package: string; path: string }>>;
  packages: Record<string, { name: string; versions: { feed: string; version: string }[] }>;
  feeds: Record<string, { type: string; index: string }>;
}

export function onnxruntimeDir(): string {
  return path.dirname(require.resolve('onnxruntime-node/package.json'));
}

/** Reads the plan from the installed onnxruntime-node; `targetDir` defaults to its binding folder. */
export function cudaPlan(o: { ortDir?: string; platform?: string; targetDir?: string; env?: NodeJS.ProcessEnv } = {}): CudaPlan {
  const ortDir = o.ortDir ?? onnxruntimeDir();
  const platform = o.platform ?? `${process.platform}/${process.arch}`;
  const metaFile = path.join(ortDir, 'script', 'install-metadata.js');
  let meta: OrtMetadata;
  let ortVersion: string;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    meta = require(metaFile) as OrtMetadata;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ortVersion = (require(path.join(ortDir, 'package.json')) as { version: string }).version;
  } catch (e) {
    throw new GpuInstallError('metadata', `cannot read onnxruntime-node's install metadata (${metaFile}: ${(e as Error).message}); reinstall SEA Lens`);
  }
  const manifestName = (meta.requirements[platform] ?? []).find((n) => meta.manifests[`${platform}:${n}`]);
  if (!manifestName) throw new GpuInstallError('unsupported', `onnxruntime-node ${ortVersion} has no CUDA provider for ${platform} (only Linux x64); use --device webgpu or cpu`);
  const manifest = meta.manifests[`${platform}:${manifestName}`];
  const pkgKeys = [...new Set(Object.values(manifest).map((f) => f.package))];
  if (pkgKeys.length !== 1) throw new GpuInstallError('metadata', `onnxruntime-node ${ortVersion}: the ${manifestName} files come from ${pkgKeys.length} packages; this installer handles one`);
  const pkg = meta.packages[pkgKeys[0]];
  const choice = pkg?.versions.find((v) => meta.feeds[v.feed]?.type === 'nuget');
  if (!pkg || !choice) throw new GpuInstallError('metadata', `onnxruntime-node ${ortVersion}: no NuGet source for ${pkgKeys[0]}`);
  const env = o.env ?? process.env;
  const targetDir = o.targetDir ?? path.join(ortDir, 'bin', 'napi-v6', platform);
  return {
    ortVersion, platform, packageId: pkg.name, packageVersion: choice.version,
    feedIndex: env.SEA_LENS_CUDA_FEED || meta.feeds[choice.feed].index,
    files: Object.entries(manifest).map(([file, f]) => ({ target: path.join(targetDir, file), pathInPackage: f.path })),
  };
}

/** Shared libraries onnxruntime's CUDA 12 provider loads (CUDA runtime, cuBLAS, cuFFT, cuRAND, cuDNN 9). */
export const CUDA_RUNTIME_LIBRARIES = ['libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12', 'libcufft.so.11', 'libcurand.so.10', 'libcudnn.so.9'];

export function missingCudaRuntime(env: NodeJS.ProcessEnv = process.env): string[] {
  if (process.platform !== 'linux') return [];
  return CUDA_RUNTIME_LIBRARIES.filter((l) => findSharedLibrary(l, env) === null);
}

export const CUDA_RUNTIME_HINT =
  'install the CUDA 12 runtime and cuDNN 9 (NVIDIA\'s packages, or `pip install nvidia-cuda-runtime-cu12 nvidia-cublas-cu12 nvidia-cufft-cu12 nvidia-curand-cu12 nvidia-cudnn-cu12` ' +
  'and add their lib folders to LD_LIBRARY_PATH)';

export interface InstallProgress {
  message: string;
  /** 0..1 of the download, when its size is known. */
  fraction?: number;
}

export interface InstallOptions {
  plan?: CudaPlan;
  /** Where the .nupkg is kept between tries (resume) — a cache folder, never the install folder. */
  cacheDir?: string;
  /** Install even without an NVIDIA driver (to prepare a machine image). */
  force?: boolean;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  onProgress?: (p: InstallProgress) => void;
  fetch?: typeof fetch;
  retries?: number;
}

export interface InstallResult {
  plan: CudaPlan;
  installed: string[];
  /** CUDA runtime libraries not found: the provider will not load until they are installed. */
  missingRuntime: string[];
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'sea-lens', 'downloads');
}

async function getJson(url: string, what: string, o: InstallOptions): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await (o.fetch ?? fetch)(url, { signal: o.signal, headers: { accept: 'application/json' } });
  } catch (e) {
    if (o.signal?.aborted) throw new GpuInstallError('cancelled', 'cancelled');
    const c = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    throw new GpuInstallError('feed', `cannot reach the package feed for ${what} (${url}: ${c}); check the connection (or SEA_LENS_CUDA_FEED)`);
  }
  if (res.status === 404) throw new GpuInstallError('not-found', `${what} is not on the feed (${url} answered 404)`);
  if (!res.ok) throw new GpuInstallError('feed', `the package feed answered HTTP ${res.status} for ${what} (${url})`);
  try {
    return (await res.json()) as Record<string, unknown>;
  } catch (e) {
    throw new GpuInstallError('feed', `the package feed sent no JSON for ${what} (${url}: ${(e as Error).message})`);
  }
}

/** NuGet v3: the package's download URL, SHA-512 (base64) and size, from its registration and catalog entries. */
export async function resolveNugetPackage(plan: CudaPlan, o: InstallOptions = {}): Promise<{ url: string; sha512: string; size?: number }> {
  const what = `${plan.packageId} ${plan.packageVersion}`;
  const index = await getJson(plan.feedIndex, 'the feed index', o);
  const resources = (index.resources ?? []) as { '@id': string; '@type': string }[];
  const find = (prefix: string) => resources.find((r) => r['@type'] === prefix || r['@type']?.startsWith(`${prefix}/`))?.['@id'];
  const registrations = find('RegistrationsBaseUrl/3.6.0') ?? find('RegistrationsBaseUrl');
  const base = find('PackageBaseAddress/3.0.0');
  if (!registrations || !base) throw new GpuInstallError('feed', `${plan.feedIndex} is not a NuGet v3 feed index (no RegistrationsBaseUrl / PackageBaseAddress)`);
  const id = plan.packageId.toLowerCase();
  const ver = plan.packageVersion.toLowerCase();
  const leaf = await getJson(`${registrations.replace(/\/?$/, '/')}${id}/${ver}.json`, what, o);
  const catalogUrl = leaf.catalogEntry;
  if (typeof catalogUrl !== 'string') throw new GpuInstallError('feed', `the feed's registration of ${what} names no catalog entry, so its checksum is unknown`);
  const entry = await getJson(catalogUrl, `the catalog entry of ${what}`, o);
  if (typeof entry.packageHash !== 'string' || String(entry.packageHashAlgorithm).toUpperCase() !== 'SHA512') {
    throw new GpuInstallError('feed', `the catalog entry of ${what} has no SHA-512 (packageHash/packageHashAlgorithm); refusing to install an unverified package`);
  }
  const url = typeof leaf.packageContent === 'string' ? leaf.packageContent : `${base.replace(/\/?$/, '/')}${id}/${ver}/${id}.${ver}.nupkg`;
  return { url, sha512: entry.packageHash, size: typeof entry.packageSize === 'number' ? entry.packageSize : undefined };
}

/** Downloads, verifies and unpacks the CUDA provider libraries for the installed onnxruntime-node. */
export async function installCudaProvider(o: InstallOptions = {}): Promise<InstallResult> {
  const env = o.env ?? process.env;
  const plan = o.plan ?? cudaPlan({ env });
  const noDriver = nvidiaDriverMissing(env);
  if (noDriver && !o.force) {
    throw new GpuInstallError('no-driver', `${noDriver}: the CUDA provider needs an NVIDIA GPU and its driver. Install the driver (then check with nvidia-smi), or use --device webgpu/cpu; --force downloads anyway (for a machine image)`);
  }
  const say = (message: string, fraction?: number) => o.onProgress?.({ message, fraction });
  say(`finding ${plan.packageId} ${plan.packageVersion} (for onnxruntime-node ${plan.ortVersion})`);
  const pkg = await resolveNugetPackage(plan, o);
  const cacheDir = o.cacheDir ?? defaultCacheDir(env);
  const nupkg = path.join(cacheDir, `${plan.packageId.toLowerCase()}.${plan.packageVersion.toLowerCase()}.nupkg`);
  let lastTenth = -1;
  try {
    await downloadFile({
      url: pkg.url, dest: nupkg, sha512: pkg.sha512, size: pkg.size, signal: o.signal, fetch: o.fetch, retries: o.retries,
      onProgress: (done, total) => {
        const f = total ? done / total : undefined;
        const tenth = f === undefined ? -1 : Math.floor(f * 100);
        if (tenth === lastTenth) return; // one report per percent
        lastTenth = tenth;
        say(`downloading ${path.basename(nupkg)}: ${(done / 1e6).toFixed(1)}${total ? ` of ${(total / 1e6).toFixed(1)}` : ''} MB`, f);
      },
    });
  } catch (e) {
    if (e instanceof DownloadError) throw new GpuInstallError(e.kind === 'network' || e.kind === 'http' ? 'download' : e.kind, e.message);
    throw e;
  }
  say('unpacking');
  let entries;
  try {
    entries = await listZip(nupkg);
  } catch (e) {
    await rm(nupkg, { force: true });
    throw new GpuInstallError('package', `${nupkg}: ${(e as Error).message}; it was deleted — run again`);
  }
  const installed: string[] = [];
  for (const f of plan.files) {
    const entry = entries.find((x) => x.name === f.pathInPackage);
    if (!entry) throw new GpuInstallError('package', `${plan.packageId} ${plan.packageVersion} has no ${f.pathInPackage}, which onnxruntime-node ${plan.ortVersion} expects; report this`);
    await mkdir(path.dirname(f.target), { recursive: true });
    // Unpack beside the target and rename, so onnxruntime never sees a half-written library.
    const tmp = `${f.target}.sealens-tmp`;
    await extractZipEntry(nupkg, entry, tmp);
    const written = await stat(tmp).then((s) => s.size, () => -1);
    if (written !== entry.size) {
      await rm(tmp, { force: true });
      throw new GpuInstallError('package', `${f.pathInPackage} unpacked to ${written} bytes instead of ${entry.size}; run again`);
    }
    await rename(tmp, f.target).catch(async () => {
      await copyFile(tmp, f.target);
      await rm(tmp, { force: true });
    });
    installed.push(f.target);
  }
  say('done', 1);
  return { plan, installed, missingRuntime: missingCudaRuntime(env) };
}

/** Whether every file of the plan is in place. */
export function cudaProviderInstalled(plan: CudaPlan): boolean {
  return plan.files.every((f) => existsSync(f.target));
}
