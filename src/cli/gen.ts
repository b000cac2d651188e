// `go-plugin-ts gen <file.proto…> --out <dir>`: a TypeScript module per .proto file (src/codegen/emit.ts).
import { errorMessage } from '../errors.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadFiles } from '../codegen/load.js';
import { emitModule } from '../codegen/emit.js';

const HELP = `usage: go-plugin-ts gen <file.proto>... --out <dir> [options]

Writes <dir>/<name>.ts per .proto file: message interfaces, typed ServiceDefinitions for addService,
createClient and plugin.client, and static codecs (no .proto parse at start-up).

  --out, -o <dir>       where the modules go (required)
  --include, -I <dir>   also look for imports here (repeatable); the importing file's directory comes first
  --import-from <spec>  the module the generated code imports the package from (default go-plugin-ts)
  --keep-case           keep field names as written (service_id) instead of lowerCamelCase (serviceId),
                        as loadProto's keepCase option
`;

export async function run(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string', short: 'o' },
        include: { type: 'string', short: 'I', multiple: true },
        'import-from': { type: 'string' },
        'keep-case': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`go-plugin-ts gen: ${errorMessage(err)}\n\n${HELP}`);
    return 2;
  }
  if (args.values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const files = args.positionals;
  const out = args.values.out;
  if (files.length === 0 || !out) {
    process.stderr.write(`go-plugin-ts gen: ${files.length === 0 ? 'no .proto file given' : '--out <dir> is required'}\n\n${HELP}`);
    return 2;
  }
  try {
    for (const [file, text] of generate(files, { includeDirs: args.values.include ?? [], importFrom: args.values['import-from'], keepCase: args.values['keep-case'] ?? false })) {
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, file), text);
      process.stderr.write(`wrote ${join(out, file)}\n`);
    }
  } catch (err) {
    process.stderr.write(`go-plugin-ts gen: ${errorMessage(err)}\n`);
    return 1;
  }
  return 0;
}

export interface GenerateOptions {
  includeDirs?: string[];
  importFrom?: string;
  keepCase?: boolean;
}

/** The generated modules, as [file name, text], one per .proto file in `files`. */
export function generate(files: string[], options: GenerateOptions = {}): Array<[string, string]> {
  const loaded = loadFiles(files, options.includeDirs ?? [], options.keepCase ?? false);
  const names = new Map<string, string>();
  return loaded.inputs.map((input, i) => {
    const name = `${basename(input).replace(/\.proto$/, '')}.ts`;
    const clash = names.get(name);
    if (clash) throw new Error(`${files[i]} and ${clash} would both be written to ${name}; generate them into different --out directories`);
    names.set(name, files[i]!);
    const sourceName = relative(process.cwd(), resolve(input)).split('\\').join('/');
    return [name, emitModule(loaded, input, sourceName, { importFrom: options.importFrom })];
  });
}
