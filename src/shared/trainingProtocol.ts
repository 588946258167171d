// The training contract: the run config (`.sealens/runs/<id>/config.json`, format 1, read by both the
// launcher and python/sealens/runner/config.py), the JSON-lines progress events the trainer prints, and
// the messages between the extension host and the run view webview. No Node or DOM imports: shared by
// the host, the CLI and the browser bundle.

export const RUN_CONFIG_VERSION = 1;
export const TRAIN_DEVICES = ['auto', 'cpu', 'cuda'] as const;
export type TrainDevice = (typeof TRAIN_DEVICES)[number];

/** Relative paths resolve against the folder of the config file. */
export interface RunConfig {
  formatVersion: 1;
  name?: string;
  pack: string;
  /** An image folder (captions in NAME.txt) or a LLaVA-style JSON list. */
  dataset: string;
  /** LLaVA JSON datasets: the folder its `image` paths are relative to (LLaVA's --image-folder); default the JSON's folder. */
  imageFolder?: string | null;
  outputName: string;
  /** An adapter of the pack to start from; null or absent: a fresh adapter. */
  startAdapter?: string | null;
  lambda?: number;
  epochs?: number;
  learningRate?: number;
  batchSize?: number;
  device?: TrainDevice;
  seed?: number;
  window?: number;
  warmupFraction?: number;
  weightDecay?: number;
  validationImages?: number;
  checkpointEvery?: number;
  maxImages?: number | null;
  /** Hugging Face LLM folder or id (needs `transformers`); absent: the pack's decoder. */
  llm?: string | null;
  /** Hugging Face CLIP/SigLIP folder or id for the labels; absent: the pack's encoders. */
  labelModel?: string | null;
  /** Let `llm` / `labelModel` be downloaded from the Hugging Face hub; default false (local files only). */
  allowDownload?: boolean;
  /** Defaults for the exported Slurm script (CLI flags override them). */
  slurm?: SlurmResources & { nodes?: number; gpusPerNode?: number };
}

/** sbatch resource options, written as `#SBATCH --time=…` etc. */
export interface SlurmResources {
  time?: string;
  mem?: string;
  partition?: string;
  account?: string;
  cpusPerTask?: number;
}

export const RUN_CONFIG_DEFAULTS = {
  lambda: 1.0, epochs: 1, learningRate: 1e-3, batchSize: 8, device: 'auto', seed: 0, window: 2,
  warmupFraction: 0.03, weightDecay: 0, validationImages: 4, checkpointEvery: 10,
} as const;

export interface Metrics {
  images: number;
  patchWordAccuracy?: number;
  top5Accuracy?: number;
  imagesWithTruth?: number;
  modalityGap: number;
  tacs: number | null;
  labelAgreement?: number;
}

export interface RunSummary {
  status: 'done';
  steps: number;
  images: number;
  skippedImages: number;
  pairsTotal: number;
  pairsPerSecond: number;
  trainSeconds: number;
  wallSeconds: number;
  tau: number;
  lambda: number;
  exported: { safetensors: string; onnx: string };
  /** The run-local pack overlay: the base pack's files + the trained adapter (default). */
  pack: string;
  adapter: string;
  baseAdapter: string | null;
  evaluation: { before: Metrics; after: Metrics; evaluatedOn: string; startAdapter: string };
  /** Absolute paths of the images `evaluation` was measured on (at most 64; absent in runs before 2026-11-30). */
  evaluationImages?: string[];
  worldSize: number;
}

/** One line of the trainer's stdout (and of <run>/progress.jsonl). */
export type ProgressEvent =
  /** The first line: the interpreter and the versions the trainer really imported. */
  | { event: 'environment'; python: string; executable: string; torch: string; cuda: boolean; onnx: string | null; transformers: string | null }
  | { event: 'phase'; phase: string; message: string }
  | { event: 'warning'; message: string }
  | { event: 'start'; totalSteps: number; stepsPerEpoch: number; epochs: number; images: number; trainImages: number; validationImages: number; skippedImages: number; resumedFrom: number | null; device: string; worldSize: number; lossG: boolean; lossA: boolean }
  | { event: 'step'; step: number; totalSteps: number; epoch: number; loss: number; lossG: number; lossA: number; tau: number; logitScale: number; lr: number; pairs: number; pairsPerSecond: number; imagesPerSecond: number; elapsedSeconds: number }
  | { event: 'validation'; step: number; agreement: number | null }
  | { event: 'checkpoint'; step: number; path: string }
  | { event: 'evaluation'; before: Metrics; after: Metrics; evaluatedOn: string }
  | { event: 'cancelled'; step: number; totalSteps: number; checkpoint: string }
  | { event: 'done'; summary: RunSummary; alreadyFinished?: boolean }
  | { event: 'error'; kind: 'input' | 'diskFull' | 'internal' | 'environment'; message: string };

export type RunStatus = 'running' | 'finished' | 'failed' | 'cancelled' | 'interrupted' | 'new';

/** Exit codes of `python -m sealens.runner` (python/sealens/runner/__main__.py). */
export const TRAINER_EXIT = { ok: 0, failed: 1, input: 2, diskFull: 3, cancelled: 4, busy: 5, environment: 6 } as const;

// ---- run view webview ------------------------------------------------------------------------------------
export interface RunViewState {
  runId: string;
  status: RunStatus;
  config: RunConfig;
  events: ProgressEvent[];
}

export type ToRunView = { kind: 'state'; state: RunViewState } | { kind: 'events'; runId: string; status: RunStatus; events: ProgressEvent[] };
export type FromRunView = { kind: 'ready' } | { kind: 'cancel' } | { kind: 'resume' } | { kind: 'compare' } | { kind: 'showLog' };

const FROM_KINDS = new Set(['ready', 'cancel', 'resume', 'compare', 'showLog']);

export class TrainingProtocolError extends Error {}

/** The host validates every webview message: the page is untrusted input. */
export function parseFromRunView(raw: unknown): FromRunView {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new TrainingProtocolError('message is not an object');
  const kind = (raw as { kind?: unknown }).kind;
  if (typeof kind !== 'string' || !FROM_KINDS.has(kind)) throw new TrainingProtocolError(`unknown message kind ${JSON.stringify(kind)}`);
  if (Object.keys(raw).length !== 1) throw new TrainingProtocolError(`message "${kind}" has unexpected fields`);
  return { kind } as FromRunView;
}

const EVENT_KINDS = new Set(['environment', 'phase', 'warning', 'start', 'step', 'validation', 'checkpoint', 'evaluation', 'cancelled', 'done', 'error']);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Validates one progress event (from the trainer's stdout or from progress.jsonl). */
export function parseProgressEvent(raw: unknown): ProgressEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new TrainingProtocolError('progress line is not a JSON object');
  const e = raw as Record<string, unknown>;
  if (typeof e.event !== 'string' || !EVENT_KINDS.has(e.event)) throw new TrainingProtocolError(`unknown progress event ${JSON.stringify(e.event)}`);
  const need = (keys: string[]): void => {
    for (const k of keys) if (!isNum(e[k])) throw new TrainingProtocolError(`progress event "${e.event}": ${k} must be a finite number (got ${JSON.stringify(e[k])})`);
  };
  if (e.event === 'step') need(['step', 'totalSteps', 'loss', 'lossG', 'lossA', 'tau', 'lr', 'pairsPerSecond', 'elapsedSeconds']);
  if (e.event === 'start') need(['totalSteps', 'images']);
  if (e.event === 'validation' || e.event === 'checkpoint' || e.event === 'cancelled') need(['step']);
  if ((e.event === 'warning' || e.event === 'error' || e.event === 'phase') && typeof e.message !== 'string') {
    throw new TrainingProtocolError(`progress event "${e.event}": message must be a string`);
  }
  if (e.event === 'environment' && (typeof e.torch !== 'string' || typeof e.python !== 'string')) throw new TrainingProtocolError('progress event "environment": python and torch must be strings');
  if (e.event === 'done' && (typeof e.summary !== 'object' || e.summary === null)) throw new TrainingProtocolError('progress event "done": summary missing');
  return e as unknown as ProgressEvent;
}

/** Validates host → run view messages on the page side. */
export function parseToRunView(raw: unknown): ToRunView {
  if (typeof raw !== 'object' || raw === null) throw new TrainingProtocolError('message is not an object');
  const m = raw as Record<string, unknown>;
  if (m.kind === 'state') {
    const s = m.state as Record<string, unknown> | undefined;
    if (!s || typeof s.runId !== 'string' || !Array.isArray(s.events)) throw new TrainingProtocolError('state message is malformed');
    return { kind: 'state', state: { ...(s as unknown as RunViewState), events: (s.events as unknown[]).map(parseProgressEvent) } };
  }
  if (m.kind === 'events') {
    if (typeof m.runId !== 'string' || !Array.isArray(m.events) || typeof m.status !== 'string') throw new TrainingProtocolError('events message is malformed');
    return { kind: 'events', runId: m.runId, status: m.status as RunStatus, events: (m.events as unknown[]).map(parseProgressEvent) };
  }
  throw new TrainingProtocolError(`unknown message kind ${JSON.stringify(m.kind)}`);
}
