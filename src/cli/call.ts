// Placeholder until the tools branch lands its `call` command (this file is theirs; take their version).
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('go-plugin-ts: the "call" command is not built yet\n');
  return 1;
}
