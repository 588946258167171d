// Run-config validation before anything is spawned: every error names the file and the key, says what was
// found and what is allowed. The rules are schemas/run-config.schema.json (a precompiled validator,
// src/shared/generated), which the trainer checks too (python/sealens/runner/config.py); the phrase for
// the allowed values is each property's `x-allowed`. Both sides report the first problem in the same order:
// formatVersion, the missing required keys, then the keys in the file's order.

import type { ErrorObject } from 'ajv';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import schema from '../../schemas/run-config.schema.json';
import { validateRunConfig as matchesSchema } from '../shared/generated/run-config.validate';
import { IMAGE_EXTENSION_LIST, isImageFileName } from '../shared/mediaLimits';
import type { RunConfig } from '../shared/trainingProtocol';

/** A key as messages name it: bare when it is a plain name, else quoted (an empty or odd key stays visible). */
const shownKey = (key: string): string => (/^[A-Za-z0-9_$-]+$/.test(key) ? key : JSON.stringify(key));

export class RunConfigError extends Error {
  constructor(readonly file: string, readonly key: string | undefined, message: string) {
    super(`${file}: ${key === undefined ? '' : `${shownKey(key)}: `}${message}`);
    this.name = 'RunConfigError';
  }
}

const PROPS: Record<string, { 'x-allowed'?: string }> = schema.properties;
const allowed = (key: string): string => PROPS[key]?.['x-allowed'] ?? 'a valid value';
const KNOWN = Object.keys(PROPS).filter((k) => !k.startsWith('$')).sort().join(', ');

/** A value as the messages show it: JSON, except numbers JSON cannot hold (the Python side writes the same). */
const shown = (v: unknown): string => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : JSON.stringify(v));

/** The first problem, keyed as the trainer keys it: [key, message]. */
function firstProblem(o: Record<string, unknown>, errors: readonly ErrorObject[]): [string | undefined, string] {
  const keyed = new Map<string, string>();
  for (const e of errors) {
    const top = e.instancePath.split('/')[1];
    if (top !== undefined) {
      const k = top.replace(/~1/g, '/').replace(/~0/g, '~');
      if (!keyed.has(`key:${k}`)) keyed.set(`key:${k}`, `must be ${allowed(k)} (got ${shown(o[k])})`);
    } else if (e.keyword === 'required') {
      const k = String(e.params.missingProperty);
      keyed.set(`required:${k}`, `required (${allowed(k)})`);
    } else if (e.keyword === 'additionalProperties') {
      keyed.set(`key:${String(e.params.additionalProperty)}`, `unknown key (known: ${KNOWN})`);
    }
  }
  const order = ['key:formatVersion', ...schema.required.map((k) => `required:${k}`), ...Object.keys(o).map((k) => `key:${k}`)];
  for (const slot of order) {
    const m = keyed.get(slot);
    if (m) return [slot.slice(slot.indexOf(':') + 1), m];
  }
  return [undefined, errors[0]?.message ?? 'does not match schemas/run-config.schema.json'];
}

/** Shape and value checks only (no file system). */
export function validateRunConfig(raw: unknown, file: string): RunConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new RunConfigError(file, undefined, 'the top level must be a JSON object');
  if (matchesSchema(raw)) return raw;
  const [key, message] = firstProblem(raw as Record<string, unknown>, matchesSchema.errors ?? []);
  throw new RunConfigError(file, key, message);
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
  // A webdataset brace pattern (shards-{0000..0009}.tar) names no single file: the trainer expands and checks it.
  if (ds.includes('{')) return checkImageFolder(cfg, configFile);
  if (!existsSync(ds)) throw new RunConfigError(configFile, 'dataset', `${ds} does not exist`);
  if (statSync(ds).isDirectory()) {
    if (!isShardOrHfFolder(ds) && countImages(ds) === 0) {
      throw new RunConfigError(configFile, 'dataset', `${ds} holds no images (${IMAGE_EXTENSION_LIST}), webdataset .tar shards or Hugging Face datasets files: the dataset is empty`);
    }
  } else if (!/\.(jsonl?|tar)$/i.test(ds)) {
    throw new RunConfigError(configFile, 'dataset', `${ds} is neither a folder of images, a LLaVA-style .json list (or .jsonl) nor a webdataset .tar shard`);
  }
  checkImageFolder(cfg, configFile);
}

/** A folder the trainer reads as webdataset shards (*.tar) or a local Hugging Face datasets folder. */
function isShardOrHfFolder(dir: string): boolean {
  const names = readdirSync(dir);
  if (names.some((n) => /\.tar$/i.test(n) || n === 'state.json' || n === 'dataset_dict.json' || /\.parquet$/i.test(n))) return true;
  // parquet files may sit in sub-folders (data/train-00000-of-00001.parquet)
  return names.some((n) => {
    const sub = path.join(dir, n);
    try {
      return statSync(sub).isDirectory() && readdirSync(sub).some((m) => /\.parquet$/i.test(m));
    } catch {
      return false;
    }
  });
}

function checkImageFolder(cfg: RunConfig, configFile: string): void {
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
