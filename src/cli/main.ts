#!/usr/bin/env node
// The go-plugin-ts command: dispatches to one module per command.
const commands: Record<string, () => Promise<{ run(argv: string[]): Promise<number> }>> = {
  gen: () => import('./gen.js'),
  inspect: () => import('./inspect.js'),
  call: () => import('./call.js'),
};

const [name, ...rest] = process.argv.slice(2);
const usage = `usage: go-plugin-ts <${Object.keys(commands).join('|')}> [arguments]; \`go-plugin-ts <command> --help\` for one`;
if (name === undefined || name === '--help' || name === '-h') {
  process.stderr.write(`${usage}\n`);
  process.exitCode = name === undefined ? 2 : 0;
} else if (!Object.hasOwn(commands, name)) {
  process.stderr.write(`go-plugin-ts: unknown command "${name}"; ${usage}\n`);
  process.exitCode = 2;
} else {
  let command: { run(argv: string[]): Promise<number> } | undefined;
  try {
    command = await commands[name]!();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    process.stderr.write(`go-plugin-ts: the "${name}" command is not built yet\n`);
    process.exitCode = 1;
  }
  if (command) process.exitCode = await command.run(rest);
}
