#!/usr/bin/env node
// The go-plugin-ts command: dispatches to one module per command (each exports run(argv) → exit code).
const commands: Record<string, () => Promise<{ run(argv: string[]): Promise<number> }>> = {
  gen: () => import('./gen.js'),
  inspect: () => import('./inspect.js'),
  call: () => import('./call.js'),
};

const USAGE = `usage: go-plugin-ts <command> [options]

commands:
  inspect <plugin command…>                      launch a plugin as a host would and show what happens
  call <plugin command…> <Service/Method> [json]  make one call to a plugin
  gen                                            generate TypeScript from .proto files

go-plugin-ts <command> --help shows a command's options.`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE + '\n');
    return name === undefined ? 2 : 0;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`go-plugin-ts: unknown command "${name}"\n\n${USAGE}\n`);
    return 2;
  }
  let command: { run(argv: string[]): Promise<number> };
  try {
    command = await load();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' || (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') {
      process.stderr.write(`go-plugin-ts: the "${name}" command is not built yet in this version\n`);
      return 2;
    }
    throw err;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`go-plugin-ts: ${(err instanceof Error ? err.stack : undefined) ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
