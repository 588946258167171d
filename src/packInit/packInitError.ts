// pack init's outcomes as exit codes, shared by the CLI (its exit status) and the extension (its message).
// 3–6 are the exporter's own codes passed through; 7–9 are the Hub download's.
import type { HubErrorCode } from '../hub/hubError';

export const PACK_INIT_EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  unsupportedArchitecture: 3,
  checkpointInvalid: 4,
  pythonPackagesMissing: 5,
  diskFull: 6,
  notFound: 7,
  accessDenied: 8,
  downloadFailed: 9,
  cancelled: 130,
} as const;

/** The --help / docs table: one line per exit code. */
export const PACK_INIT_EXIT_HELP = `Exit codes: 0 pack written; 1 other failure; 2 bad arguments (or not a folder / not org/name);
3 unsupported architecture (the message lists the supported families); 4 checkpoint files missing or
invalid (a missing shard, no config.json, only pickle weights); 5 the Python lacks torch, onnx or
transformers (the message gives the pip command); 6 disk full; 7 repo or revision not found on the Hub, or
not in the cache with HF_HUB_OFFLINE=1; 8 access denied (gated or private repo: accept the license, set
HF_TOKEN or run \`hf auth login\`); 9 download failed or damaged (run again: it resumes); 130 cancelled.`;

export class PackInitError extends Error {
  constructor(readonly exitCode: number, message: string) {
    super(message);
    this.name = 'PackInitError';
  }
}

export const HUB_EXIT: Record<HubErrorCode, number> = {
  'bad-repo-id': PACK_INIT_EXIT.usage,
  'repo-not-found': PACK_INIT_EXIT.notFound,
  'revision-not-found': PACK_INIT_EXIT.notFound,
  'offline-missing': PACK_INIT_EXIT.notFound,
  'file-not-found': PACK_INIT_EXIT.checkpointInvalid,
  'no-safetensors': PACK_INIT_EXIT.checkpointInvalid,
  gated: PACK_INIT_EXIT.accessDenied,
  network: PACK_INIT_EXIT.downloadFailed,
  integrity: PACK_INIT_EXIT.downloadFailed,
  'disk-full': PACK_INIT_EXIT.diskFull,
  cancelled: PACK_INIT_EXIT.cancelled,
};

/** The exporter's exit status → ours (the exporter's protocol: 2 usage, 3–6 as above, anything else 1). */
export function exporterExit(code: number | null): number {
  if (code === 2 || code === 3 || code === 4 || code === 5 || code === 6) return code;
  return PACK_INIT_EXIT.failed;
}
