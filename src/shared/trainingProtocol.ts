// The training contract: the run config (`.sealens/runs/<id>/config.json`, format 1, read by both the
// launcher and python/sealens/runner/config.py), the JSON-lines progress events the trainer prints, and
// the messages between the extension host and the run view webview. No Node or DOM imports: shared by
// the host, the CLI and the browser bundle.

import runConfigSchema from '../../schemas/run-config.schema.json';
import type { RunConfig } from './generated/run-config';
import type { Metrics, RunSummary, TrainingProgress } from './generated/training-progress';
import { validateTrainingProgress } from './generated/training-progress.validate';
import type { FromRunView as GeneratedFromRunView } from './generated/webview-messages';
import { validateFromRunView, validateToRunView } from './generated/webview-messages.validate';

// RunConfig, the progress events and the exit codes are defined once, in schemas/run-config.schema.json and
// schemas/training-progress.schema.json; the types here are generated from them (src/shared/generated).
export type { RunConfig, Metrics, RunSummary };
/** Exit codes of `python -m sealens.runner` (the TrainerExit enum of the progress schema). */
export { TrainerExit as TRAINER_EXIT } from './generated/training-progress';

/** Typed against the schema's `const`: a new format version fails to compile here until it is handled. */
export const RUN_CONFIG_VERSION: RunConfig['formatVersion'] = 1;
export type TrainDevice = NonNullable<RunConfig['device']>;
export const TRAIN_DEVICES = runConfigSchema.properties.device.enum as readonly TrainDevice[];

/** sbatch resource options, written as `#SBATCH --time=…` etc. */
export type SlurmResources = Omit<NonNullable<RunConfig['slurm']>, 'nodes' | 'gpusPerNode'>;

type Defaulted = 'lambda' | 'epochs' | 'learningRate' | 'batchSize' | 'device' | 'seed' | 'window' | 'warmupFraction' | 'weightDecay' | 'validationImages' | 'checkpointEvery' | 'allowDownload';
/** The `default` of each setting in the schema (what the trainer uses when the key is absent). */
export const RUN_CONFIG_DEFAULTS = Object.freeze(
  Object.fromEntries(Object.entries(runConfigSchema.properties).flatMap(([k, p]) => ('default' in p ? [[k, p.default]] : []))),
) as Readonly<Required<Pick<RunConfig, Defaulted>>>;

/** One line of the trainer's stdout (and of <run>/progress.jsonl). */
export type ProgressEvent = TrainingProgress;

export type RunStatus = 'running' | 'finished' | 'failed' | 'cancelled' | 'interrupted' | 'new';

// ---- run view webview ------------------------------------------------------------------------------------
export interface RunViewState {
  runId: string;
  status: RunStatus;
  config: RunConfig;
  events: ProgressEvent[];
}

/** Host → run view (schemas/webview-messages.schema.json `ToRunView`), with its events typed: each one is checked
 *  against the progress schema by parseProgressEvent. */
export type ToRunView = { kind: 'state'; state: RunViewState } | { kind: 'events'; runId: string; status: RunStatus; events: ProgressEvent[] };
/** Run view → host: schemas/webview-messages.schema.json `FromRunView`. */
export type FromRunView = GeneratedFromRunView;

export class TrainingProtocolError extends Error {}

/** The host validates every webview message: the page is untrusted input. */
export function parseFromRunView(raw: unknown): FromRunView {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new TrainingProtocolError('message is not an object');
  if (validateFromRunView(raw)) return raw;
  const kind = (raw as { kind?: unknown }).kind;
  const extra = validateFromRunView.errors?.some((e) => e.keyword === 'additionalProperties');
  throw new TrainingProtocolError(extra && typeof kind === 'string' ? `message "${kind}" has unexpected fields` : `unknown message kind ${JSON.stringify(kind)}`);
}

/** A progress-event problem in words: each field, what the schema wants and what came (wrong values first,
 *  then missing and unknown fields; at most three). */
function describeProgressError(raw: Record<string, unknown>): string {
  const errors = validateTrainingProgress.errors ?? [];
  const kind = JSON.stringify(raw.event);
  if (typeof raw.event !== 'string' || errors.some((e) => e.keyword === 'discriminator')) return `unknown progress event ${kind}`;
  const field = (pointer: string, last?: unknown) => [...pointer.split('/').slice(1), ...(last === undefined ? [] : [String(last)])].join('.');
  const rank = (k: string) => (k === 'required' ? 1 : k === 'additionalProperties' ? 2 : 0);
  const lines = [...errors].sort((a, b) => rank(a.keyword) - rank(b.keyword)).map((e) => {
    if (e.keyword === 'required') return `${field(e.instancePath, e.params.missingProperty)} is missing`;
    if (e.keyword === 'additionalProperties') return `${field(e.instancePath, e.params.additionalProperty)} is not a field of this event`;
    const t = e.params.type;
    const wanted = e.keyword !== 'type' ? (e.message ?? e.keyword).replace(/^must be /, '') : t === 'number' ? 'a finite number' : t === 'integer' ? 'an integer' : `of type ${String(t)}`;
    return `${field(e.instancePath) || '(the event)'} must be ${wanted} (got ${JSON.stringify(e.data) ?? String(e.data)})`;
  });
  const distinct = [...new Set(lines)];
  const more = distinct.length > 3 ? ` (and ${distinct.length - 3} more)` : '';
  return `progress event ${kind}: ${distinct.slice(0, 3).join('; ')}${more}`;
}

/** Validates one progress event (from the trainer's stdout or from progress.jsonl) against the schema. */
export function parseProgressEvent(raw: unknown): ProgressEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new TrainingProtocolError('progress line is not a JSON object');
  if (!validateTrainingProgress(raw)) throw new TrainingProtocolError(describeProgressError(raw as Record<string, unknown>));
  return raw;
}

/** Validates host → run view messages on the page side. */
export function parseToRunView(raw: unknown): ToRunView {
  if (typeof raw !== 'object' || raw === null) throw new TrainingProtocolError('message is not an object');
  const m = raw as Record<string, unknown>;
  if (m.kind !== 'state' && m.kind !== 'events') throw new TrainingProtocolError(`unknown message kind ${JSON.stringify(m.kind)}`);
  if (!validateToRunView(raw)) throw new TrainingProtocolError(`${String(m.kind)} message is malformed`);
  if (raw.kind === 'state') {
    const s = raw.state;
    return { kind: 'state', state: { ...(s as unknown as RunViewState), events: s.events.map(parseProgressEvent) } };
  }
  return { kind: 'events', runId: raw.runId, status: raw.status, events: raw.events.map(parseProgressEvent) };
}
