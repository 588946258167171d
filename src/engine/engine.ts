// The engine API: explain, compare, labels, wordsNear, neighbors, metrics. Requests run one at a time (the
// native inference already uses every core); a newer request with the same viewId cancels the older one;
// a pack is loaded once per (folder, device) and shared by concurrent requests.
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type {
  CompareParams, CompareResult, DeviceNotice, ExplainParams, LabelsParams, LabelsResult, LogNotice, MetricsParams,
  MetricsResult, NeighborHit, NeighborsParams, PackInfo, ProgressNotice, VocabularyFilters, WordsNearParams,
} from '../shared/engineProtocol';
import { IMAGE_EXTENSION_LIST, IMAGE_EXTENSION_RE, LIMITS } from '../shared/mediaLimits';
import type { DeviceChoice, PatchScalarMap, TokenMap } from '../shared/tokenMap';
import { parseDeviceChoice } from './devices';
import { CancelledError, badInput } from './engineError';
import { patchLabels } from './labels';
import { accuracy, gapD, readTruth, tacs } from './metrics';
import { loadPack, type LoadedPack } from './packLoader';
import { cosineMap, encodeImage, explainEncoded, project, resolveAdapter, wordVector } from './pipeline';
import { CANONICAL_FILTERS } from './vocabulary';

export interface EngineEvents {
  log?(n: LogNotice): void;
  progress?(n: ProgressNotice): void;
  device?(n: DeviceNotice): void;
}

/** Image file names (the formats of src/shared/mediaLimits.ts); `name.replace(IMAGE_EXTENSIONS, '')` is the stem. */
export const IMAGE_EXTENSIONS = IMAGE_EXTENSION_RE;

/**
 * The image files of a folder, sorted: regular files (or links to them) with an image extension — a
 * sub-folder named x.png is not an image. A folder with none is an error (BadInput), so that a caller
 * never reports success on nothing.
 */
export async function listImages(folder: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw badInput(`folder "${folder}" cannot be read (${code === 'ENOTDIR' ? 'not a folder' : code ?? (e as Error).message})`);
  }
  const images: string[] = [];
  for (const e of entries) {
    if (!IMAGE_EXTENSION_RE.test(e.name)) continue;
    const file = path.join(folder, e.name);
    if (e.isFile() || (e.isSymbolicLink() && (await stat(file).then((s) => s.isFile(), () => false)))) images.push(file);
  }
  if (!images.length) throw badInput(`folder "${folder}" has no image files (${IMAGE_EXTENSION_LIST}); give an image file, or a folder that holds some`);
  return images.sort();
}

export class Engine {
  private readonly packs = new Map<string, Promise<LoadedPack>>();
  private readonly views = new Map<string, AbortController>();
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly events: EngineEvents = {}) {}

  /** One promise per (pack folder, device choice): concurrent requests share the load. */
  getPack(dir: string, device: DeviceChoice = 'auto'): Promise<LoadedPack> {
    const key = `${path.resolve(dir)}\0${device}`;
    let p = this.packs.get(key);
    if (!p) {
      const t0 = performance.now();
      p = loadPack(dir, device).then((pack) => {
        this.events.device?.({ requested: device, used: pack.device, reason: pack.deviceReason });
        this.events.log?.({ level: 'info', message: `pack "${pack.manifest.name}" loaded on ${pack.device} in ${Math.round(performance.now() - t0)} ms` });
        return pack;
      });
      p.catch(() => this.packs.delete(key));
      this.packs.set(key, p);
    }
    return p;
  }

  /** Serialises requests; a newer request with the same viewId aborts the older one. */
  private schedule<T>(viewId: string | undefined, signal: AbortSignal | undefined, fn: (check: () => void) => Promise<T>): Promise<T> {
    const ctl = new AbortController();
    if (viewId) {
      this.views.get(viewId)?.abort();
      this.views.set(viewId, ctl);
    }
    const onAbort = () => ctl.abort();
    signal?.addEventListener('abort', onAbort);
    const check = () => {
      if (ctl.signal.aborted) throw new CancelledError(viewId ? `request for view "${viewId}" was superseded or cancelled` : 'request cancelled');
    };
    const run = this.tail.then(async () => {
      check();
      return fn(check);
    });
    this.tail = run.catch(() => undefined);
    return run.finally(() => {
      signal?.removeEventListener('abort', onAbort);
      if (viewId && this.views.get(viewId) === ctl) this.views.delete(viewId);
    });
  }

  async packInfo(params: { pack: string }): Promise<PackInfo> {
    return (await this.getPack(params.pack, 'auto')).info();
  }

  explain(p: ExplainParams, signal?: AbortSignal): Promise<TokenMap> {
    return this.schedule(p.viewId, signal, async (check) => {
      requireStrings(p, 'explain', 'pack', 'image');
      const pack = await this.getPack(p.pack, parseDeviceChoice(p.device));
      check();
      const index = await pack.searchIndex(p.filters ?? {});
      check();
      const enc = await encodeImage(pack, p.image);
      check();
      return (await explainEncoded(pack, enc, p.image, p.adapter, index, topK(p.topK))).map;
    });
  }

  /**
   * explain, plus the visual tokens themselves ([count, H], the LLM's order) and each view's model input
   * (CHW float32): what `sea-lens explain --save-tokens` writes for checking against the model's own code.
   */
  explainWithTokens(p: ExplainParams, signal?: AbortSignal): Promise<{ map: TokenMap; tokens: Float32Array; width: number; views: { id: string; pixels: Float32Array; width: number; height: number }[] }> {
    return this.schedule(p.viewId, signal, async (check) => {
      requireStrings(p, 'explain', 'pack', 'image');
      const pack = await this.getPack(p.pack, parseDeviceChoice(p.device));
      const index = await pack.searchIndex(p.filters ?? {});
      check();
      const enc = await encodeImage(pack, p.image);
      check();
      const { map, projected } = await explainEncoded(pack, enc, p.image, p.adapter, index, topK(p.topK));
      const views = (enc.views ?? []).map((v) => ({ id: v.pixels.spec.id, pixels: v.pixels.pixels, width: v.pixels.spec.width, height: v.pixels.spec.height }));
      return { map, tokens: projected, width: pack.embeddings.width, views };
    });
  }

  compare(p: CompareParams, signal?: AbortSignal): Promise<CompareResult> {
    return this.schedule(p.viewId, signal, async (check) => {
      requireStrings(p, 'compare', 'pack', 'image');
      const pack = await this.getPack(p.pack, parseDeviceChoice(p.device));
      const index = await pack.searchIndex(p.filters ?? {});
      check();
      const enc = await encodeImage(pack, p.image);
      check();
      const a = (await explainEncoded(pack, enc, p.image, p.adapterA, index, topK(p.topK))).map;
      const b = (await explainEncoded(pack, enc, p.image, p.adapterB, index, topK(p.topK))).map;
      const changed = a.patches.map((pa, i) => pa.words[0]?.word !== b.patches[i].words[0]?.word);
      return { a, b, changed, agreement: changed.filter((c) => !c).length / changed.length };
    });
  }

  labels(p: LabelsParams, signal?: AbortSignal): Promise<LabelsResult> {
    return this.schedule(undefined, signal, async () => {
      requireStrings(p, 'labels', 'pack', 'image');
      const pack = await this.getPack(p.pack, parseDeviceChoice(p.device));
      const enc = await encodeImage(pack, p.image, true);
      const grid = gridOf(pack, 'labels');
      const { sign, patches } = patchLabels(pack, enc.patchEmbeds, p.seed ?? 0);
      return { image: p.image, pack: pack.manifest.name, grid, sign, patches };
    });
  }

  wordsNear(p: WordsNearParams, signal?: AbortSignal): Promise<PatchScalarMap> {
    return this.schedule(p.viewId, signal, async (check) => {
      requireStrings(p, 'wordsNear', 'pack', 'image', 'word');
      const pack = await this.getPack(p.pack, parseDeviceChoice(p.device));
      const index = await pack.searchIndex(p.filters ?? {});
      const enc = await encodeImage(pack, p.image);
      check();
      const projected = await project(pack, resolveAdapter(pack, p.adapter), enc);
      const values = cosineMap(projected.data, projected.count, wordVector(pack, index, p.word));
      return { ...(projected.grid ? { grid: projected.grid } : {}), values, label: p.word };
    });
  }

  neighbors(p: NeighborsParams, signal?: AbortSignal): Promise<NeighborHit[]> {
    return this.schedule(undefined, signal, async (check) => {
      requireStrings(p, 'neighbors', 'pack', 'folder', 'word');
      const pack = await this.getPack(p.pack, parseDeviceChoice(p.device));
      const index = await pack.searchIndex({});
      const adapter = resolveAdapter(pack, p.adapter);
      const v = wordVector(pack, index, p.word);
      const hits: NeighborHit[] = [];
      const images = await listImages(p.folder);
      for (const [i, image] of images.entries()) {
        check();
        this.events.progress?.({ message: `neighbors: ${path.basename(image)}`, fraction: i / images.length });
        const enc = await encodeImage(pack, image);
        const projected = await project(pack, adapter, enc);
        cosineMap(projected.data, projected.count, v).forEach((score, k) => {
          const t = projected.tokens[k];
          if (t.kind === 'patch') hits.push({ image, row: t.row ?? 0, col: t.col ?? 0, score, ...(projected.views.length > 1 ? { tile: t.tile } : {}), ...(t.box ? { box: t.box } : {}) });
        });
      }
      return hits.sort((a, b) => b.score - a.score).slice(0, p.limit ?? 50);
    });
  }

  metrics(p: MetricsParams, signal?: AbortSignal): Promise<MetricsResult> {
    return this.schedule(undefined, signal, async (check) => {
      requireStrings(p, 'metrics', 'pack', 'folder');
      const pack = await this.getPack(p.pack, parseDeviceChoice(p.device));
      // Metrics use the canonical candidate definition, so that they match the Python evaluator.
      const filters: VocabularyFilters = { ...CANONICAL_FILTERS };
      const index = await pack.searchIndex(filters);
      const adapter = resolveAdapter(pack, p.adapter);
      const images = await listImages(p.folder);
      const grid = gridOf(pack, 'metrics');
      const n = grid.rows * grid.cols;
      let withTruth = 0, top1 = 0, top5 = 0, labelled = 0, agree = 0, agreeN = 0, gap = 0;
      const tacsValues: number[] = [];
      for (const [i, image] of images.entries()) {
        check();
        this.events.progress?.({ message: `metrics: ${path.basename(image)}`, fraction: i / images.length });
        const enc = await encodeImage(pack, image, true);
        const { map, projected } = await explainEncoded(pack, enc, image, adapter.name, index, 5);
        const stem = image.replace(IMAGE_EXTENSIONS, '');
        const truth = await readTruth(`${stem}.truth.json`, grid);
        if (truth) {
          withTruth++;
          const a = accuracy(map.patches, truth);
          top1 += a.top1; top5 += a.top5; labelled += a.n;
        }
        if (pack.manifest.labeling && pack.labelWordEmbeddings && enc.patchEmbeds) {
          const labels = patchLabels(pack, enc.patchEmbeds, 0).patches;
          labels.forEach((l, k) => {
            agreeN++;
            if (l.candidates.some((c) => c.word === map.patches[k].words[0]?.word)) agree++;
          });
        }
        gap += gapD(projected, n, index);
        const caption = (await firstText([`${stem}.txt`, `${stem}.caption.txt`])) ?? truth?.caption ?? null;
        if (caption !== null) {
          const t = tacs(pack, projected, n, caption);
          if (t !== null) tacsValues.push(t);
        }
      }
      return {
        pack: pack.manifest.name, adapter: adapter.name, images: images.length, imagesWithTruth: withTruth,
        patchWordAccuracy: labelled ? top1 / labelled : null, top5Accuracy: labelled ? top5 / labelled : null,
        labelAgreement: agreeN ? agree / agreeN : null, gapD: gap / images.length,
        tacs: tacsValues.length ? tacsValues.reduce((a, b) => a + b, 0) / tacsValues.length : null,
      };
    });
  }

  async dispose(): Promise<void> {
    for (const v of this.views.values()) v.abort();
    const packs = [...this.packs.values()];
    this.packs.clear();
    for (const p of packs) await p.then((x) => x.release()).catch(() => undefined);
  }
}

/** Labels and metrics read per-patch truth on one grid: packs with views (pack init) do not have one. */
function gridOf(pack: LoadedPack, what: string): { rows: number; cols: number } {
  if (!pack.grid) throw badInput(`${what} needs a pack with one patch grid; "${pack.manifest.name}" is a ${pack.family?.def.title ?? 'multi-view'} pack whose tokens follow the image's views`);
  return pack.grid;
}

/**
 * Required string parameters, checked first: a request without an image (a client bug, or a hand-written
 * JSON-RPC call) gets "explain: "image" is required …", not an internal error from deep in the pipeline.
 */
function requireStrings(p: object, method: string, ...keys: string[]): void {
  for (const k of keys) {
    const v = (p as Record<string, unknown>)[k];
    if (typeof v !== 'string' || v.trim() === '') {
      const what: Record<string, string> = { image: 'the path of an image file', folder: 'the path of a folder of images', pack: 'the path of a model pack folder', word: 'a word of the vocabulary' };
      throw badInput(`${method}: "${k}" is required (${what[k] ?? 'a string'}), got ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
    }
  }
}

function topK(k: number | undefined): number {
  const { min, max } = LIMITS.topK;
  if (k === undefined) return LIMITS.topK.default;
  if (!Number.isInteger(k) || k < min || k > max) throw badInput(`topK must be an integer from ${min} to ${max}, got ${k}`);
  return k;
}

async function firstText(files: string[]): Promise<string | null> {
  for (const f of files) {
    try {
      if ((await stat(f)).isFile()) return await readFile(f, 'utf8');
    } catch {
      /* try the next name */
    }
  }
  return null;
}
