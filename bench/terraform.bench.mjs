// Terraform v1.5.7 driving examples/terraform-provider (bundled into one file with esbuild, as a
// single-file provider ships) and the same provider written with terraform-plugin-framework
// (bench/terraform/go-provider), installed the same way from a filesystem mirror. Measured, rounds
// interleaved: wall time of `apply` + `destroy` of one resource, and `apply` of 300 resources.
// Ratios are TS / Go from the same run; the machine is shared, so absolute times are noisy.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { cacheDir, goCommand, terraformBinary } from '../test/terraform/go-tools.ts';

const repo = fileURLToPath(new URL('../', import.meta.url));
const SOURCE = 'example.com/test/localfile';

function goProvider() {
  const out = join(cacheDir, 'bench-terraform-go-provider');
  const env = { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOWORK: 'off', GOFLAGS: '-mod=mod -buildvcs=false' };
  const run = spawnSync(goCommand(), ['build', '-o', out, '.'], { cwd: join(repo, 'bench/terraform/go-provider'), env, encoding: 'utf8', timeout: 20 * 60_000 });
  if (run.status !== 0) throw new Error(`building the Go provider failed:\n${run.stderr}`);
  return out;
}

async function tsProvider() {
  // Under the repo so that protobufjs (loaded at run time) and proto/terraform are found as in the package.
  const out = join(repo, '.cache/bench-terraform/provider.mjs');
  await build({ entryPoints: [join(repo, 'examples/terraform-provider/provider.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: out, logLevel: 'warning' });
  return out;
}

function workspace(name, install) {
  const root = mkdtempSync(join(tmpdir(), `tf-bench-${name}-`));
  const dir = join(root, 'mirror', SOURCE, '0.1.0', 'linux_amd64');
  mkdirSync(dir, { recursive: true });
  install(join(dir, 'terraform-provider-localfile_v0.1.0'));
  writeFileSync(join(root, 'cli.tfrc'), `provider_installation {\n  filesystem_mirror {\n    path = "${join(root, 'mirror')}"\n  }\n}\n`);
  mkdirSync(join(root, 'work'));
  return root;
}

function config(root, count) {
  return `terraform {\n  required_providers {\n    localfile = { source = "${SOURCE}", version = "0.1.0" }\n  }\n}\nprovider "localfile" {\n  root = "${join(root, 'files')}"\n}\nresource "localfile_file" "f" {\n  count   = ${count}\n  path    = "f\${count.index}.txt"\n  content = "file \${count.index}"\n}\n`;
}

function timed(terraform, root, args) {
  const env = { ...process.env, TF_CLI_CONFIG_FILE: join(root, 'cli.tfrc'), TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', TF_INPUT: '0' };
  const started = performance.now();
  const run = spawnSync(terraform, [...args, '-no-color'], { cwd: join(root, 'work'), env, encoding: 'utf8', timeout: 20 * 60_000, maxBuffer: 64 << 20 });
  const ms = performance.now() - started;
  if (run.status !== 0) throw new Error(`terraform ${args.join(' ')} failed in ${root}:\n${run.stdout}\n${run.stderr}`);
  return ms;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run({ quick }) {
  const terraform = await terraformBinary();
  const [goBinary, bundle] = [goProvider(), await tsProvider()];
  const sides = {
    ts: workspace('ts', (path) => {
      writeFileSync(path, `#!/bin/sh\nexec '${process.execPath}' '${bundle}' "$@"\n`);
      chmodSync(path, 0o755);
    }),
    go: workspace('go', (path) => copyFileSync(goBinary, path)),
  };
  try {
    for (const root of Object.values(sides)) {
      writeFileSync(join(root, 'work', 'main.tf'), config(root, 1));
      timed(terraform, root, ['init']);
    }
    const rounds = quick ? 1 : 5;
    const one = { ts: [], go: [] };
    for (let i = 0; i < rounds; i++) {
      for (const [name, root] of Object.entries(sides)) {
        one[name].push(timed(terraform, root, ['apply', '-auto-approve']) + timed(terraform, root, ['destroy', '-auto-approve']));
      }
    }
    const line = (label, ts, go) => console.log(`${label}: TS ${ts.toFixed(0)} ms, Go ${go.toFixed(0)} ms, ratio ${(ts / go).toFixed(2)}x`);
    line(`one resource apply + destroy (median of ${rounds})`, median(one.ts), median(one.go));
    if (quick) return;
    const many = { ts: [], go: [] };
    for (let i = 0; i < 2; i++) {
      for (const [name, root] of Object.entries(sides)) {
        writeFileSync(join(root, 'work', 'main.tf'), config(root, 300));
        many[name].push(timed(terraform, root, ['apply', '-auto-approve']));
        timed(terraform, root, ['destroy', '-auto-approve']);
      }
    }
    const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
    line('300 resources apply (mean of 2)', mean(many.ts), mean(many.go));
  } finally {
    for (const root of Object.values(sides)) rmSync(root, { recursive: true, force: true });
  }
}
