// `pack init` from start to end, for the CLI and the extension alike (no vscode here): resolve the source,
// download what an explain needs when it is a Hub id, find a Python with torch + onnx + transformers, run
// the exporter, and turn every failure into a PackInitError whose exit code is documented in
// packInitError.ts. Progress has two stages: the download (0–50 % when there is one) and the export.
import { existsSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { downloadForExplain, type ExplainDownloadOptions } from '../hub/downloadForExplain';
import { HubError } from '../hub/hubError';
import { PACK_INIT_NEED, PythonError } from '../training/pythonInterpreter';
import { describeDiscovery, discoverPython, pythonCandidates, type Discovery, type PythonCandidate } from '../training/pythonDiscovery';
import { exporterExit, HUB_EXIT, PACK_INIT_EXIT, PackInitError } from './packInitError';
import { defaultPackName, resolveSource, type PackSource } from './packSource';
import { runExporter } from './runExporter';

export interface PackInitOptions {
  /** A checkpoint folder, a folder in the HF cache, or org/name[@revision]. */
  source: string;
  /** The pack folder to write; default <outRoot>/<org>--<name>. */
  out?: string;
  /** Where packs go when `out` is not given (the CLI: ./sealens-packs; the extension: globalStorage/packs). */
  outRoot: string;
  /** The vision layer the LLM reads (the exporter's default: the model's own setting). */
  layer?: number;
  /** --python or seaLens.pythonPath. */
  python?: { executable: string; source: 'flag' | 'setting' };
  /** The Python extension's interpreter (extension only). */
  pythonExtension?: string;
  /** The SEA Lens installation: python/ holds the exporter, .venv may hold its interpreter. */
  installDir: string;
  /** Folders whose .venv is a Python candidate (default: the installation folder). */
  projectDirs?: string[];
  /** The interpreters to try, in order, instead of python/pythonExtension/projectDirs (the extension's own list). */
  candidates?: PythonCandidate[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  onProgress?: (message: string, fraction: number) => void;
  onLog?: (line: string) => void;
  /** Passed to the Hub download (tests: a local server's fetch, free space). */
  hub?: Pick<ExplainDownloadOptions, 'settings' | 'fetch' | 'freeBytes' | 'retries'>;
  /** The exporter module (tests run a fake one for the process handling). */
  exporterModule?: string;
}

export interface PackInitResult {
  pack: string;
  family: string;
  name: string;
  /** The checkpoint folder the pack refers to (a cache snapshot for a Hub model). */
  checkpoint: string;
  repo?: string;
  revision?: string;
  python: Discovery;
}

export async function packInit(o: PackInitOptions): Promise<PackInitResult> {
  const source: PackSource = resolveSource(o.source, o.cwd);
  const out = path.resolve(o.cwd ?? process.cwd(), o.out ?? path.join(o.outRoot, defaultPackName(source)));
  // An existing pack is replaced by the exporter; any other non-empty folder is the user's, never overwritten.
  if (existsSync(out) && !existsSync(path.join(out, 'manifest.json')) && readdirSync(out).length > 0) {
    throw new PackInitError(PACK_INIT_EXIT.usage, `--out ${out} is a folder with other files in it and no manifest.json; choose a new folder (an existing pack is replaced)`);
  }
  const cancelled = (): PackInitError => new PackInitError(PACK_INIT_EXIT.cancelled, 'pack init was cancelled; nothing was written (a download in progress resumes on the next run)');
  // Find the Python first: a missing transformers is better learned before a 10 GB download.
  let python: Discovery;
  try {
    python = await discoverPython(o.candidates ?? pythonCandidates({ explicit: o.python, pythonExtension: o.pythonExtension, projectDirs: o.projectDirs ?? [o.installDir], env: o.env }), PACK_INIT_NEED);
  } catch (e) {
    if (e instanceof PythonError) throw new PackInitError(PACK_INIT_EXIT.pythonPackagesMissing, e.message);
    throw e;
  }
  for (const line of describeDiscovery(python)) o.onLog?.(line);
  const pythonPath = path.join(o.installDir, 'python');
  const module = o.exporterModule ?? 'sealens.hfpack';
  if (!existsSync(path.join(pythonPath, ...module.split('.')))) {
    throw new PackInitError(PACK_INIT_EXIT.failed, `the exporter ${module} is missing from ${pythonPath}; reinstall SEA Lens or run from a checkout of the repository`);
  }
  if (o.signal?.aborted) throw cancelled();

  let checkpoint: string;
  let repo: string | undefined;
  let revision: string | undefined;
  const hasDownload = source.kind === 'hub';
  if (source.kind === 'hub') {
    try {
      const d = await downloadForExplain(source, {
        env: o.env, signal: o.signal, onLog: o.onLog, ...o.hub,
        onProgress: (p) => o.onProgress?.(p.message, 0.5 * p.fraction),
      });
      checkpoint = d.snapshotDir;
      repo = d.repo;
      revision = d.commit;
      o.onLog?.(d.downloadedBytes ? `downloaded ${(d.downloadedBytes / 1e6).toFixed(1)} MB of ${d.repo}@${d.commit} into ${d.snapshotDir}` : `${d.repo}@${d.commit}: using the cached files in ${d.snapshotDir}`);
    } catch (e) {
      if (e instanceof HubError) throw new PackInitError(HUB_EXIT[e.code], e.code === 'cancelled' ? cancelled().message : e.message);
      throw e;
    }
  } else {
    checkpoint = source.dir;
    repo = source.repo;
    revision = source.revision;
  }
  if (o.signal?.aborted) throw cancelled();

  await mkdir(path.dirname(out), { recursive: true });
  const run = runExporter({
    python: python.info.executable, pythonPath, module, src: checkpoint, out, layer: o.layer, repo, revision, env: o.env,
    onProgress: (m, f) => o.onProgress?.(m, hasDownload ? 0.5 + 0.5 * f : f), onLog: o.onLog,
  });
  const onAbort = (): void => run.cancel();
  o.signal?.addEventListener('abort', onAbort);
  const r = await run.done.finally(() => o.signal?.removeEventListener('abort', onAbort));
  if (r.cancelled) throw cancelled();
  if (r.exitCode === 0 && r.done) return { ...r.done, checkpoint, repo, revision, python };
  const why = r.error?.message ?? (r.exitCode === 0 ? 'the exporter ended without reporting a pack' : `the exporter ${r.signal ? `was killed by ${r.signal}` : `exited with ${r.exitCode}`}${r.tail.length ? `: ${r.tail.slice(-5).join(' | ')}` : ''}`);
  throw new PackInitError(r.exitCode === 0 ? PACK_INIT_EXIT.failed : exporterExit(r.exitCode), why);
}
