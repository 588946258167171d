// Where the Hugging Face cache, token and server are, read from the same environment variables and in the
// same order as huggingface_hub (constants.py, utils/_auth.py), so that `hf download`, transformers and
// SEA Lens share one cache and one login.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

/** huggingface_hub's ENV_VARS_TRUE_VALUES. */
const isTrue = (v: string | undefined): boolean => v !== undefined && ['1', 'ON', 'YES', 'TRUE'].includes(v.toUpperCase());

const expandHome = (p: string): string => (p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p);

/** $HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface. */
export function hfHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HOME) return expandHome(env.HF_HOME);
  return path.join(env.XDG_CACHE_HOME ? expandHome(env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache'), 'huggingface');
}

/** $HF_HUB_CACHE, else the legacy $HUGGINGFACE_HUB_CACHE, else HF_HOME/hub. */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const v = env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE;
  return v ? expandHome(v) : path.join(hfHome(env), 'hub');
}

/** $HF_TOKEN (or the legacy $HUGGING_FACE_HUB_TOKEN), else the file `hf auth login` writes ($HF_TOKEN_PATH, else HF_HOME/token). */
export function hubToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fromEnv = (env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || '').trim();
  if (fromEnv) return fromEnv;
  try {
    const t = readFileSync(env.HF_TOKEN_PATH ? expandHome(env.HF_TOKEN_PATH) : path.join(hfHome(env), 'token'), 'utf8').trim();
    return t || undefined;
  } catch {
    return undefined;
  }
}

/** $HF_ENDPOINT (a mirror or a local test server) without a trailing slash, else huggingface.co. */
export function hubEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return (env.HF_ENDPOINT || DEFAULT_ENDPOINT).replace(/\/+$/, '');
}

/** $HF_HUB_OFFLINE (or $TRANSFORMERS_OFFLINE) set to 1/ON/YES/TRUE: use the cache only. */
export function hubOffline(env: NodeJS.ProcessEnv = process.env): boolean {
  return isTrue(env.HF_HUB_OFFLINE || env.TRANSFORMERS_OFFLINE);
}

export interface HubSettings {
  endpoint: string;
  cacheDir: string;
  token?: string;
  offline: boolean;
}

export function hubSettings(env: NodeJS.ProcessEnv = process.env): HubSettings {
  return { endpoint: hubEndpoint(env), cacheDir: hubCacheDir(env), token: hubToken(env), offline: hubOffline(env) };
}
