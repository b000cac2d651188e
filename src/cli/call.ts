export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('go-plugin-ts call: not built yet\n');
  return 2;
}
