// Hub repo ids as people type them: `org/name` or `org/name@revision` (a branch, tag or commit). The rules
// are huggingface_hub's validate_repo_id: letters, digits, `-`, `_`, `.`; no `--` or `..`; at most 96 chars.

export interface RepoSpec {
  repo: string;
  /** Branch, tag or 40-hex commit; "main" when not given. */
  revision: string;
}

const PART = /^[A-Za-z0-9_.-]+$/;
export const COMMIT_HASH = /^[0-9a-f]{40}$/;

/** Why `repo` is not a valid model repo id, or undefined when it is. */
export function repoIdProblem(repo: string): string | undefined {
  const parts = repo.split('/');
  if (parts.length !== 2 || !parts.every((p) => p && PART.test(p))) return `"${repo}" is not a Hub repo id: expected org/name (letters, digits, - _ .)`;
  if (repo.length > 96) return `"${repo}" is longer than the Hub's 96 characters`;
  if (repo.includes('--') || repo.includes('..')) return `"${repo}" contains "--" or "..", which Hub repo ids cannot`;
  if (parts.some((p) => /^[-.]|[-.]$/.test(p))) return `"${repo}": a part of a Hub repo id cannot start or end with "-" or "."`;
  return undefined;
}

/** `org/name[@revision]` → {repo, revision}, or undefined when the text does not look like a repo id. */
export function parseRepoSpec(text: string): RepoSpec | undefined {
  const at = text.indexOf('@');
  const repo = at < 0 ? text : text.slice(0, at);
  const revision = at < 0 ? 'main' : text.slice(at + 1);
  if (repoIdProblem(repo) || !revision || /\s|\.\.|^\/|\/$/.test(revision)) return undefined;
  return { repo, revision };
}

/** The cache folder name of a model repo: models--org--name (huggingface_hub's repo_folder_name). */
export const repoFolderName = (repo: string): string => ['models', ...repo.split('/')].join('--');

/** models--org--name → org/name, or undefined. */
export function repoFromFolderName(folder: string): string | undefined {
  const m = /^models--([^/\\]+?)--([^/\\]+)$/.exec(folder);
  return m ? `${m[1]}/${m[2]}` : undefined;
}
