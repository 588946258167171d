// What a CLI subcommand looks like. Each lives in its own file under commands/ and is listed once in
// commands/index.ts; main.ts only dispatches.
export interface CliContext {
  /** Folder of the SEA Lens installation (holds media/demo-pack). */
  installDir: string;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

export interface CliCommand {
  name: string;
  /** One line for `sea-lens --help`. */
  summary: string;
  /** Full `sea-lens NAME --help` text. */
  help: string;
  /** Returns the exit code: 0 ok, 1 failures, 2 usage. */
  run(argv: string[], ctx: CliContext): Promise<number>;
}

export class UsageError extends Error {}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
