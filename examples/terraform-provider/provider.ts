// terraform-provider-localfile: files on the machine that runs Terraform, as a resource, a data
// source and a function. Run it through Terraform (see README.md, "Writing a Terraform provider").
import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { dataSource, providerFunction, resource, schema as s, serveProvider, TerraformError, types } from '../../src/terraform/index.js';

interface Client {
  root: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const octal = (mode: number) => (mode & 0o777).toString(8).padStart(4, '0');

const fileSchema = s.of({
  description: 'A file with the given content.',
  attributes: {
    path: s.string({ required: true, requiresReplace: true, description: 'Where the file is; relative paths start at the provider\'s root.' }),
    content: s.string({ required: true, description: 'What the file holds.' }),
    mode: s.string({
      optional: true,
      computed: true,
      default: '0644',
      description: 'Permissions, in octal.',
      validate: (mode) => (/^0?[0-7]{3}$/.test(mode) ? undefined : `"${mode}" is not an octal file mode such as "0644"`),
    }),
    id: s.string({ computed: true, useStateForUnknown: true, description: 'The absolute path.' }),
    sha256: s.string({ computed: true, description: 'SHA-256 of the content, hex.' }),
    size: s.number({ computed: true, description: 'Bytes in the file.' }),
  },
});

const file = resource({
  schema: fileSchema,
  // Hash and size follow from known content already at plan time.
  plan({ planned }) {
    if (typeof planned.content === 'string') {
      return { ...planned, sha256: sha256(planned.content), size: Buffer.byteLength(planned.content) };
    }
  },
  async create({ config }, ctx) {
    const client = ctx.provider as Client;
    const path = resolve(client.root, config.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, config.content, { mode: Number.parseInt(config.mode ?? '0644', 8), signal: ctx.signal });
    await chmod(path, Number.parseInt(config.mode ?? '0644', 8));
    return { id: path, sha256: sha256(config.content), size: Buffer.byteLength(config.content), mode: config.mode ?? '0644' };
  },
  async read({ state }) {
    const path = state.id ?? state.path;
    try {
      const [content, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
      return { content, sha256: sha256(content), size: info.size, mode: octal(info.mode) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null; // gone: Terraform plans to create it again
      throw err;
    }
  },
  async update({ prior, config }, ctx) {
    await writeFile(prior.id!, config.content, { signal: ctx.signal });
    await chmod(prior.id!, Number.parseInt(config.mode ?? '0644', 8));
    return { sha256: sha256(config.content), size: Buffer.byteLength(config.content) };
  },
  async delete({ state }) {
    await rm(state.id!, { force: true });
  },
  importState(id, ctx) {
    if (!isAbsolute(id)) throw new TerraformError('Import needs an absolute path', { detail: `got "${id}"` });
    ctx.logger.info('importing a file', { path: id });
    return { id, path: id };
  },
});

const fileData = dataSource({
  schema: s.of({
    attributes: {
      path: s.string({ required: true }),
      content: s.string({ computed: true }),
      sha256: s.string({ computed: true }),
    },
  }),
  async read({ config }, ctx) {
    const path = resolve((ctx.provider as Client).root, config.path);
    try {
      const content = await readFile(path, 'utf8');
      return { content, sha256: sha256(content) };
    } catch (err) {
      throw new TerraformError('Cannot read the file', { detail: (err as Error).message, path: ['path'] });
    }
  },
});

const directory = dataSource({
  schema: s.of({
    attributes: {
      path: s.string({ required: true }),
      files: s.nested('list', { name: s.string({ computed: true }), size: s.number({ computed: true }) }, { computed: true, description: 'The files in it, by name.' }),
    },
  }),
  async read({ config }, ctx) {
    const path = resolve((ctx.provider as Client).root, config.path);
    const entries = (await readdir(path, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).sort();
    return { files: await Promise.all(entries.map(async (name) => ({ name, size: (await stat(resolve(path, name))).size }))) };
  },
});

const sha256Function = providerFunction({
  summary: 'SHA-256 of a string, hex',
  parameters: [{ name: 'input', type: types.string }],
  returns: types.string,
  run: ([input]) => sha256(input),
});

const versions = process.env.LOCALFILE_PROTOCOL ? [Number(process.env.LOCALFILE_PROTOCOL) as 5 | 6] : undefined;

// No top-level await: the single-executable build (README, "Writing a Terraform provider") is CommonJS.
serveProvider(
  {
    schema: s.of({ attributes: { root: s.string({ optional: true, description: 'Base directory for relative paths (default: the working directory).' }) } }),
    configure: (config) => ({ root: typeof config.root === 'string' ? config.root : process.cwd() }) satisfies Client,
    resources: { localfile_file: file },
    dataSources: { localfile_file: fileData, localfile_directory: directory },
    functions: { sha256: sha256Function },
  },
  // `--debug` (or GO_PLUGIN_DEBUG=1) serves it by hand and prints TF_REATTACH_PROVIDERS for this address.
  { protocolVersions: versions, providerAddress: 'registry.terraform.io/example/localfile' },
).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
