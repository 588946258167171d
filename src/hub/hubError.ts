// What can go wrong between SEA Lens and a Hugging Face Hub server, as codes a caller can map to exit
// codes or to a VS Code message. Each message names the repo, revision or file and says what to do.

export type HubErrorCode =
  | 'bad-repo-id' // not of the form org/name
  | 'repo-not-found' // no such repo on the server (or private and no token)
  | 'revision-not-found' // the repo exists, the branch/tag/commit does not
  | 'file-not-found' // a file the index names is not in the repo
  | 'gated' // gated or private: needs a token, or the license accepted on the Hub
  | 'offline-missing' // HF_HUB_OFFLINE=1 and the cache lacks what an explain needs
  | 'no-safetensors' // the repo has only pickle weights (.bin / .pt), which SEA Lens never loads
  | 'network' // connection refused/dropped, timeout, 5xx: rerun resumes
  | 'integrity' // the downloaded bytes do not match the server's sha256 / git hash: the partial file is removed
  | 'disk-full' // not enough free space for the files still to download (or ENOSPC while writing)
  | 'cancelled';

export class HubError extends Error {
  constructor(readonly code: HubErrorCode, message: string) {
    super(message);
    this.name = 'HubError';
  }
}

export const isHubError = (e: unknown, code?: HubErrorCode): e is HubError => e instanceof HubError && (code === undefined || e.code === code);
