// Run-config validation before anything is spawned: every error names the file and the key, says what
// was found and what is allowed (the trainer checks the same rules in python/sealens/runner/config.py).

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { IMAGE_EXTENSION_LIST, isImageFileName } from '../shared/mediaLimits';
import { RUN_CONFIG_VERSION, TRAIN_DEVICES, type RunConfig } from '../shared/trainingProtocol';

export class RunConfigError extends Error {
  constructor(readonly file: string, readonly key: string | undefined, message: string) {
    super(`${file}: ${key ? `${key}: ` : ''}${message}`);
    this.name = 'RunConfigError';
  }
}

type Rule = { check: (v: unknown) => boolean; allowed: string };
const num = (ok: (n: number) => boolean): ((v: unknown) => boolean) => (v) => typeof v === 'number' && Number.isFinite(v) && ok(v);
const int = (ok: (n: number) => boolean): ((v: unknown) => boolean) => (v) => Number.isInteger(v) && ok(v as number);
const str = (v: unknown): boolean => typeof v === 'string' && v.trim().length > 0;
const strOrNull = (v: unknown): boolean => v === null || str(v);

// Only shapes here: the values are checked by the Slurm script writer (src/training/slurmScript.ts).
const SLURM_KEYS = ['time', 'mem', 'partition', 'account', 'cpusPerTask', 'nodes', 'gpusPerNode'];

const RULES: Record<string, Rule> = {
  formatVersion: { check: (v) => v === RUN_CONFIG_VERSION, allowed: `${RUN_CONFIG_VERSION}` },
  name: { check: (v) => typeof v === 'string', allowed: 'a string' },
  $schema: { check: (v) => typeof v === 'string', allowed: 'a string' },
  comment: { check: (v) => typeof v === 'string', allowed: 'a string' },
  pack: { check: str, allowed: 'a path to a model pack folder' },
  dataset: { check: str, allowed: 'an image folder or a LLaVA-style JSON list' },
  imageFolder: { check: strOrNull, allowed: "the folder the LLaVA JSON's image paths are relative to (LLaVA's --image-folder), or null" },
  outputName: { check: (v) => typeof v === 'string' && /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(v), allowed: "a name of letters, digits, '-', '_' or '.'" },
  startAdapter: { check: strOrNull, allowed: 'an adapter name of the pack, or null for a fresh one' },
  lambda: { check: num((n) => n >= 0), allowed: 'a number ≥ 0' },
  epochs: { check: int((n) => n >= 1), allowed: 'an integer ≥ 1' },
  learningRate: { check: num((n) => n > 0), allowed: 'a number > 0' },
  batchSize: { check: int((n) => n >= 2), allowed: 'an integer ≥ 2' },
  device: { check: (v) => (TRAIN_DEVICES as readonly unknown[]).includes(v), allowed: `one of ${TRAIN_DEVICES.join(', ')}` },
  seed: { check: (v) => Number.isSafeInteger(v) && (v as number) >= 0, allowed: 'an integer from 0 to 2^53 − 1 (9007199254740991)' },
  window: { check: int((n) => n >= 1), allowed: 'an integer ≥ 1' },
  warmupFraction: { check: num((n) => n >= 0 && n < 1), allowed: 'a number in [0, 1)' },
  weightDecay: { check: num((n) => n >= 0), allowed: 'a number ≥ 0' },
  validationImages: { check: int((n) => n >= 0), allowed: 'an integer ≥ 0' },
  checkpointEvery: { check: int((n) => n >= 1), allowed: 'an integer ≥ 1' },
  maxImages: { check: (v) => v === null || int((n) => n >= 1)(v), allowed: 'an integer ≥ 1 or null' },
  llm: { check: strOrNull, allowed: 'a Hugging Face model folder or id, or null' },
  labelModel: { check: strOrNull, allowed: 'a Hugging Face CLIP/SigLIP folder or id, or null' },
  allowDownload: { check: (v) => typeof v === 'boolean', allowed: 'true or false' },
  slurm: { check: (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).every((k) => SLURM_KEYS.includes(k)), allowed: `an object with some of ${SLURM_KEYS.join(', ')}` },
};
const REQUIRED = ['formatVersion', 'pack', 'dataset', 'outputName'];

/** Shape and value checks only (no file system). */
export function validateRunConfig(raw: unknown, file: string): RunConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new RunConfigError(file, undefined, 'the top level must be a JSON object');
  const o = raw as Record<string, unknown>;
  for (const k of REQUIRED) if (!(k in o)) throw new RunConfigError(file, k, `required (${RULES[k].allowed})`);
  for (const [k, v] of Object.entries(o)) {
    const rule = RULES[k];
    if (!rule) throw new RunConfigError(file, k, `unknown key (known: ${Object.keys(RULES).filter((x) => !x.startsWith('$')).sort().join(', ')})`);
    if (!rule.check(v)) throw new RunConfigError(file, k, `must be ${rule.allowed} (got ${JSON.stringify(v)})`);
  }
  return o as unknown as RunConfig;
}

export function readRunConfig(file: string): RunConfig {
  let text: string;
  try {
    // A FIFO would block the read forever, a folder cannot be read: only a regular file is a config.
    if (!statSync(file).isFile()) throw new RunConfigError(file, undefined, 'not a regular file (a run config JSON file is expected)');
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof RunConfigError) throw e;
    throw new RunConfigError(file, undefined, `cannot read the config (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new RunConfigError(file, undefined, `not valid JSON (${(e as Error).message})`);
  }
  return validateRunConfig(raw, file);
}

export function resolveConfigPath(configFile: string, p: string): string {
  return path.resolve(path.dirname(configFile), p);
}

/** Checks that need the file system, done before launch so an empty dataset never starts a process. */
export function checkRunInputs(cfg: RunConfig, configFile: string): void {
  const pack = resolveConfigPath(configFile, cfg.pack);
  if (!existsSync(path.join(pack, 'manifest.json'))) {
    throw new RunConfigError(configFile, 'pack', `${pack} has no manifest.json (a model pack folder is expected; see docs/model-pack.md)`);
  }
  if (cfg.startAdapter) {
    // Refused here in milliseconds rather than after the trainer has started PyTorch (the trainer checks too).
    const names = manifestAdapterNames(path.join(pack, 'manifest.json'));
    if (names && !names.includes(cfg.startAdapter)) {
      throw new RunConfigError(configFile, 'startAdapter', `the pack ${pack} has no adapter named ${JSON.stringify(cfg.startAdapter)} (it has ${names.map((n) => JSON.stringify(n)).join(', ') || 'none'}); use one of them, or null for a fresh adapter`);
    }
  }
  const ds = resolveConfigPath(configFile, cfg.dataset);
  if (!existsSync(ds)) throw new RunConfigError(configFile, 'dataset', `${ds} does not exist`);
  if (statSync(ds).isDirectory()) {
    const n = countImages(ds);
    if (n === 0) throw new RunConfigError(configFile, 'dataset', `${ds} holds no images (${IMAGE_EXTENSION_LIST}): the dataset is empty`);
  } else if (!/\.jsonl?$/i.test(ds)) {
    throw new RunConfigError(configFile, 'dataset', `${ds} is neither a folder of images nor a LLaVA-style .json list (or .jsonl)`);
  }
  if (cfg.imageFolder) {
    const f = resolveConfigPath(configFile, cfg.imageFolder);
    if (!existsSync(f) || !statSync(f).isDirectory()) throw new RunConfigError(configFile, 'imageFolder', `${f} is not a folder`);
  }
}


/** The adapter names a pack manifest lists, or undefined when it cannot be read (the trainer then reports it). */
function manifestAdapterNames(manifestFile: string): string[] | undefined {
  try {
    const m = JSON.parse(readFileSync(manifestFile, 'utf8')) as { adapters?: { name?: unknown }[] };
    return Array.isArray(m.adapters) ? m.adapters.map((a) => a?.name).filter((n): n is string => typeof n === 'string') : undefined;
  } catch {
    return undefined;
  }
}

/** Images in the folder and its sub-folders (the trainer reads both; captions in `x.txt` beside `x.png`). */
export function countImages(dir: string): number {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => isImageFileName(path.basename(f))).length;
}
