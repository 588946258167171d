// The CLI's dispatcher: help, command lookup, exit codes. main.ts runs it; tests call it directly.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { EXIT, UsageError, type CliContext } from './command';
import { COMMANDS } from './commands/index';

/** The installation folder: the nearest parent with a package.json (dist/ when bundled, src/cli under tsx). */
export function findInstallDir(start = __dirname): string {
  let d = start;
  for (let i = 0; i < 6; i++) {
    if (existsSync(path.join(d, 'package.json'))) return d;
    d = path.dirname(d);
  }
  return path.resolve(start, '..');
}

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: sea-lens <command> [options]',
    '',
    'See what a multimodal LLM\'s visual tokens mean: the nearest LLM words of every image patch.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `sea-lens <command> --help` for the options of a command.',
    'Exit codes: 0 ok, 1 some inputs failed, 2 usage error.',
  ].join('\n');
}

export async function main(argv: string[], ctx: CliContext): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    ctx.stdout(usage() + '\n');
    return name ? EXIT.ok : EXIT.usage;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    ctx.stderr(`sea-lens: unknown command "${name}" (commands: ${COMMANDS.map((c) => c.name).join(', ')})\n`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    ctx.stdout(cmd.help + '\n');
    return EXIT.ok;
  }
  try {
    return await cmd.run(rest, ctx);
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      ctx.stderr(`sea-lens ${name}: ${(e as Error).message}\nRun \`sea-lens ${name} --help\` for usage.\n`);
      return EXIT.usage;
    }
    ctx.stderr(`sea-lens ${name}: ${(e as Error).message}\n`);
    return EXIT.failed;
  }
}

