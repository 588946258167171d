// sea-lens gpu install | status: the CUDA execution provider that onnxruntime-node's npm package leaves out.
import { parseArgs } from 'node:util';
import { cudaPlan, cudaProviderInstalled, CUDA_RUNTIME_HINT, GpuInstallError, installCudaProvider, missingCudaRuntime } from '../../engine/cudaProviderInstall';
import { nvidiaDriverMissing, vulkanLoaderMissing } from '../../engine/nativeLibraries';
import { EXIT, UsageError, type CliCommand, type CliContext } from '../command';

export const gpuCommand: CliCommand = {
  name: 'gpu',
  summary: 'install the CUDA provider (gpu install) or show what the GPU paths need (gpu status)',
  help: `Usage: sea-lens gpu install [--force] [--cache DIR] [--into DIR]
       sea-lens gpu status

install  downloads the CUDA execution provider that matches the installed onnxruntime-node release (from
         the NuGet feed its own installer uses), checks its SHA-512 and unpacks it beside onnxruntime's
         binding. An interrupted download resumes when you run it again.
status   says whether CUDA (driver, provider, CUDA runtime) and WebGPU (Vulkan loader) can be used.

Options:
  --force       install even when no NVIDIA driver is found (e.g. to prepare a machine image)
  --cache DIR   where the package is kept while downloading (default ~/.cache/sea-lens/downloads)
  --into DIR    unpack into DIR instead of onnxruntime-node's folder
  -h, --help    this text

Environment: SEA_LENS_CUDA_FEED replaces the NuGet feed index URL (a mirror).
Exit codes: 0 done, 1 failed (the reason on stderr), 2 usage error.`,
  async run(argv, ctx) {
    const [sub, ...rest] = argv;
    if (sub === 'status') return status(ctx);
    if (sub !== 'install') throw new UsageError(`unknown subcommand ${sub === undefined ? '(none)' : `"${sub}"`}; use install or status`);
    const { values } = parseArgs({ args: rest, options: { force: { type: 'boolean' }, cache: { type: 'string' }, into: { type: 'string' } } });
    let lastLine = '';
    const tty = process.stderr.isTTY && ctx.stderr === defaultStderr;
    try {
      const plan = cudaPlan({ targetDir: values.into });
      const r = await installCudaProvider({
        plan, force: values.force, cacheDir: values.cache,
        onProgress: (p) => {
          // One line per tenth on a log, a line that updates itself on a terminal.
          const tenth = p.fraction === undefined ? p.message : `${Math.floor(p.fraction * 10)}`;
          if (tty) ctx.stderr(`\r${p.message.padEnd(lastLine.length)}`);
          else if (tenth !== lastLine) ctx.stderr(`sea-lens: ${p.message}\n`);
          lastLine = tty ? p.message : tenth;
        },
      });
      if (tty) ctx.stderr('\n');
      ctx.stdout(`installed the CUDA provider of onnxruntime-node ${r.plan.ortVersion} (${r.plan.packageId} ${r.plan.packageVersion}):\n${r.installed.map((f) => `  ${f}\n`).join('')}`);
      if (r.missingRuntime.length) ctx.stderr(`sea-lens: the provider will not load until the CUDA runtime is there — missing ${r.missingRuntime.join(', ')}: ${CUDA_RUNTIME_HINT}\n`);
      else ctx.stdout('run `sea-lens explain IMG --device cuda` to use it (`auto` picks it first).\n');
      return EXIT.ok;
    } catch (e) {
      if (tty) ctx.stderr('\n');
      if (e instanceof GpuInstallError) {
        ctx.stderr(`sea-lens gpu install: ${e.message}\n`);
        return EXIT.failed;
      }
      throw e;
    }
  },
};

const defaultStderr = (s: string) => process.stderr.write(s);

function status(ctx: CliContext): number {
  const line = (what: string, problem: string | undefined) => ctx.stdout(`${what.padEnd(26)}${problem ? `no — ${problem}` : 'yes'}\n`);
  line('NVIDIA driver', nvidiaDriverMissing());
  let plan;
  try {
    plan = cudaPlan();
  } catch (e) {
    line('CUDA provider', (e as Error).message);
  }
  if (plan) line('CUDA provider', cudaProviderInstalled(plan) ? undefined : 'not installed (sea-lens gpu install)');
  const runtime = missingCudaRuntime();
  line('CUDA runtime + cuDNN', runtime.length ? `missing ${runtime.join(', ')}` : undefined);
  line('Vulkan loader (WebGPU)', vulkanLoaderMissing());
  return EXIT.ok;
}
