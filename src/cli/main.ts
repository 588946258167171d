// sea-lens: the command-line face of the engine (which runs in-process here; no VS Code needed).
import { EXIT, type CliContext } from './command';
import { findInstallDir, main } from './cli';

const ctx: CliContext = { installDir: findInstallDir(), stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };
main(process.argv.slice(2), ctx).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`sea-lens: ${(e as Error).stack ?? e}\n`);
    process.exitCode = EXIT.failed;
  },
);
