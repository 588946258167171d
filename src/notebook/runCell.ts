// Executes one sealens-cell with the engine process: parse, check paths and adapter names (so errors
// point at the word that is wrong), call the engine, and turn each answer into a notebook output. Used
// by the VS Code notebook controller and by `sea-lens notebook run`, so both produce the same outputs.

import { stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { EngineMethod, EngineRequests, PackInfo } from '../shared/engineProtocol';
import { TOKENMAP_MIME, type TokenMap } from '../shared/tokenMap';
import {
  COMPARE_MIME, ERROR_MIME, LABELS_MIME, METRICS_MIME, NEIGHBORS_MIME, WORDS_NEAR_MIME,
  type ErrorPayload, type MetricsPayload, type NotebookFileOutput,
} from '../shared/notebookFormat';
import { formatPosition, parseCell, type ParsedCommand, type Span } from './parseCell';
import { imageDataUri } from './imageDataUri';
import { CellPathError, displayCellPath, resolveCellPath } from './resolveCellPath';

/** What the runner needs from the engine client: typed requests that an AbortSignal can cancel. */
export interface NotebookEngine {
  request<M extends EngineMethod>(method: M, params: EngineRequests[M][0], signal?: AbortSignal): Promise<EngineRequests[M][1]>;
}

export interface RunContext {
  engine: NotebookEngine;
  /** The notebook's folder: relative paths in cells resolve against it. */
  baseDir: string;
  /** The installed demo folder (`<install>/media`) that `demo:` paths resolve against. */
  demoDir?: string;
  /** Absolute path of the pack to use unless a `pack` line says otherwise. */
  pack: string;
  signal?: AbortSignal;
  /** Pack info by pack folder, shared across the cells of one run so each pack is described once. */
  packCache?: Map<string, Promise<PackInfo>>;
  /**
   * Notes that hold for the whole run rather than one output (today: the device fallback, e.g. "running
   * on cpu: …"). They are taken out of the outputs, so a saved notebook does not repeat them in every
   * cell, and handed here to be shown once (status bar, log, stderr).
   */
  onNotice?: (note: string) => void;
}

export interface CellRunResult {
  /** Primary outputs only (fallbacks are derived, see outputFallbacks.ts). */
  outputs: NotebookFileOutput[];
  status: 'ok' | 'error' | 'cancelled';
}

/** An error that belongs to a place in the cell; the message is shown with that position. */
export class CellRunError extends Error {
  constructor(readonly span: Span, message: string) {
    super(message);
  }
}

export async function runCell(source: string, ctx: RunContext): Promise<CellRunResult> {
  const parsed = parseCell(source);
  if (parsed.errors.length > 0) {
    const message = parsed.errors.map((e) => `${formatPosition(e)}: ${e.message}`).join('\n');
    return { outputs: [errorOutput('SEA Lens: cell not run', message)], status: 'error' };
  }
  const outputs: NotebookFileOutput[] = [];
  let pack = ctx.pack;
  const packCache = ctx.packCache ?? new Map<string, Promise<PackInfo>>();
  let lastMetrics: { pack: string; folder: string; payload: MetricsPayload } | undefined;
  for (const cmd of parsed.commands) {
    if (ctx.signal?.aborted) return { outputs, status: 'cancelled' };
    try {
      if (cmd.name === 'pack') {
        pack = await checkPath(ctx, cmd.args.dir, 'pack');
        lastMetrics = undefined;
        continue;
      }
      const out = await runCommand(cmd, { ...ctx, pack, packCache });
      // Metrics of several adapters over one folder, on consecutive lines, are one table with a column
      // per adapter: the comparison the lines ask for, instead of tables to read side by side.
      if (out.mime === METRICS_MIME) {
        const payload = out.data as MetricsPayload;
        if (lastMetrics && lastMetrics.pack === pack && lastMetrics.folder === payload.folder) {
          lastMetrics.payload.results!.push(payload.result);
          continue;
        }
        payload.results = [payload.result];
        lastMetrics = { pack, folder: payload.folder, payload };
      } else {
        lastMetrics = undefined;
      }
      outputs.push(out);
    } catch (err) {
      if (ctx.signal?.aborted) return { outputs, status: 'cancelled' };
      const span = err instanceof CellRunError ? err.span : cmd;
      outputs.push(errorOutput(`SEA Lens: ${cmd.name} failed`, `${formatPosition(span)}: ${(err as Error).message}`));
      return { outputs, status: 'error' };
    }
  }
  return { outputs, status: 'ok' };
}

export function errorOutput(name: string, message: string): NotebookFileOutput {
  const data: ErrorPayload = { name, message, stack: '' };
  return { mime: ERROR_MIME, data };
}

type Ctx = RunContext & { packCache: Map<string, Promise<PackInfo>> };

/**
 * The engine's device-fallback note (src/engine/pipeline.ts writes `running on <device>: <reason>`).
 * It says the same thing for every image of a run, so it belongs in the status bar, not in each output.
 */
const DEVICE_NOTE = /^running on [^\s:]+: /;

/** The TokenMap without its device-fallback note, which goes to ctx.onNotice instead. */
function withoutDeviceNote(tm: TokenMap, ctx: Ctx): TokenMap {
  if (!tm.notes?.some((n) => DEVICE_NOTE.test(n))) return tm;
  const kept: string[] = [];
  for (const n of tm.notes) {
    if (DEVICE_NOTE.test(n)) ctx.onNotice?.(n);
    else kept.push(n);
  }
  const { notes: _dropped, ...rest } = tm;
  return kept.length ? { ...rest, notes: kept } : rest;
}

async function runCommand(cmd: ParsedCommand, ctx: Ctx): Promise<NotebookFileOutput> {
  const { engine, signal, pack } = ctx;
  const adapter = await checkAdapter(cmd, ctx);
  switch (cmd.name) {
    case 'explain': {
      const image = await checkPath(ctx, cmd.args.image, 'image');
      const topK = cmd.options.topk?.value as number | undefined;
      const tm = await engine.request('engine/explain', { image, pack, adapter, topK }, signal);
      return { mime: TOKENMAP_MIME, data: { ...asWritten(withoutDeviceNote(tm, ctx), cmd), imageDataUri: await imageDataUri(image) } };
    }
    case 'compare': {
      const image = await checkPath(ctx, cmd.args.image, 'image');
      const info = await packInfo(ctx);
      for (const key of ['adapterA', 'adapterB'] as const) checkAdapterName(info, cmd.args[key].value, cmd.args[key]);
      const result = await engine.request('engine/compare', { image, pack, adapterA: cmd.args.adapterA.value, adapterB: cmd.args.adapterB.value }, signal);
      result.a = asWritten(withoutDeviceNote(result.a, ctx), cmd);
      result.b = asWritten(withoutDeviceNote(result.b, ctx), cmd);
      return { mime: COMPARE_MIME, data: { image: cmd.args.image.value, result, imageDataUri: await imageDataUri(image) } };
    }
    case 'labels': {
      const image = await checkPath(ctx, cmd.args.image, 'image');
      const info = await packInfo(ctx);
      if (!info.hasLabeling) throw new CellRunError(cmd, `pack "${info.name}" has no "labeling" section in its manifest, so it cannot make SEA labels (see docs/model-pack.md).`);
      const seed = cmd.options.seed?.value as number | undefined;
      const result = await engine.request('engine/labels', { image, pack, seed }, signal);
      // The labels answer has no geometry; one explain of the same image says where the grid lies.
      const geometry = await engine.request('engine/explain', { image, pack, topK: 1 }, signal);
      result.image = cmd.args.image.value;
      return {
        mime: LABELS_MIME,
        data: { image: cmd.args.image.value, result, region: geometry.region, imageSize: geometry.imageSize, imageDataUri: await imageDataUri(image) },
      };
    }
    case 'words': {
      const image = await checkPath(ctx, cmd.args.image, 'image');
      const word = cmd.args.word.value;
      const map = await engine.request('engine/wordsNear', { image, pack, adapter, word }, signal);
      const tm = await engine.request('engine/explain', { image, pack, adapter }, signal);
      return { mime: WORDS_NEAR_MIME, data: { word, map, tokenMap: asWritten(withoutDeviceNote(tm, ctx), cmd), imageDataUri: await imageDataUri(image) } };
    }
    case 'neighbors': {
      const folder = await checkPath(ctx, cmd.args.folder, 'folder');
      const limit = cmd.options.limit?.value as number | undefined;
      const hits = await engine.request('engine/neighbors', { word: cmd.args.word.value, folder, pack, adapter, limit }, signal);
      const thumbnails: Record<string, string> = {};
      const shown = hits.map((h) => ({ ...h, image: displayCellPath(h.image, ctx) }));
      for (let i = 0; i < hits.length; i++) {
        if (thumbnails[shown[i].image] !== undefined) continue;
        const uri = await imageDataUri(isAbsolute(hits[i].image) ? hits[i].image : join(folder, hits[i].image), 256);
        if (uri) thumbnails[shown[i].image] = uri;
      }
      return { mime: NEIGHBORS_MIME, data: { word: cmd.args.word.value, folder: cmd.args.folder.value, hits: shown, thumbnails } };
    }
    case 'metrics': {
      const folder = await checkPath(ctx, cmd.args.folder, 'folder');
      const result = await engine.request('engine/metrics', { folder, pack, adapter }, signal);
      return { mime: METRICS_MIME, data: { folder: cmd.args.folder.value, result } };
    }
    case 'pack':
      throw new Error('unreachable: pack is handled by runCell');
  }
}

/** Resolves a path argument (see resolveCellPath) and checks that it is what the command needs. */
async function checkPath(ctx: RunContext, arg: { value: string } & Span, what: 'image' | 'folder' | 'pack'): Promise<string> {
  let abs: string;
  try {
    abs = resolveCellPath(arg.value, ctx);
  } catch (e) {
    if (e instanceof CellPathError) throw new CellRunError(arg, e.message);
    throw e;
  }
  const st = await stat(abs).catch(() => undefined);
  const where = abs === arg.value ? '' : ` (looked for ${abs})`;
  if (!st) {
    const hint = arg.value.startsWith('demo:') ? 'demo: paths are relative to the installed demo folder (demo:samples/…, demo:demo-pack).' : "Paths are relative to the notebook's folder; demo:samples/… names the shipped sample images.";
    throw new CellRunError(arg, `${what} not found: ${arg.value}${where}. ${hint}`);
  }
  if (what === 'image' && !st.isFile()) throw new CellRunError(arg, `${arg.value} is a folder; explain, compare, labels and words take an image file.`);
  if (what !== 'image' && !st.isDirectory()) throw new CellRunError(arg, `${arg.value} is a file; ${what === 'pack' ? 'pack takes a model pack folder' : 'this command takes a folder of images'}.`);
  if (what === 'pack') {
    const manifest = await stat(join(abs, 'manifest.json')).catch(() => undefined);
    if (!manifest?.isFile()) throw new CellRunError(arg, `${arg.value} has no manifest.json, so it is not a model pack (see docs/model-pack.md).`);
  }
  return abs;
}

async function checkAdapter(cmd: ParsedCommand, ctx: Ctx): Promise<string | undefined> {
  const opt = cmd.options.adapter;
  if (!opt) return undefined;
  checkAdapterName(await packInfo(ctx), String(opt.value), opt);
  return String(opt.value);
}

function checkAdapterName(info: PackInfo, name: string, span: Span): void {
  if (!info.adapters.some((a) => a.name === name)) {
    throw new CellRunError(span, `pack "${info.name}" has no adapter "${name}"; it has ${info.adapters.map((a) => a.name).join(', ')}.`);
  }
}

function packInfo(ctx: Ctx): Promise<PackInfo> {
  let p = ctx.packCache.get(ctx.pack);
  if (!p) {
    p = ctx.engine.request('engine/packInfo', { pack: ctx.pack }, ctx.signal);
    ctx.packCache.set(ctx.pack, p);
    p.catch(() => ctx.packCache.delete(ctx.pack)); // a failed describe is retried on the next cell
  }
  return p;
}

/** Outputs name the image as the cell wrote it, so a saved notebook holds no machine-specific paths. */
function asWritten(tm: TokenMap, cmd: ParsedCommand): TokenMap {
  return { ...tm, image: cmd.args.image.value };
}
