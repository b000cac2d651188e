// Terraform v1.5.7 driving examples/terraform-provider, shipped as one file the two ways README
// "Shipping a plugin" describes (an esbuild bundle, minified, run by node; a Node single executable),
// and the same provider written with terraform-plugin-framework (bench/terraform/go-provider), all
// installed from a filesystem mirror. Measured, rounds interleaved: wall time of `apply` + `destroy` of
// one resource, and `apply` of 300 resources; then one traced `apply` + `destroy` per provider
// (TF_LOG=trace, GO_PLUGIN_TS_TRACE=1): how many times Terraform launched it and the median launch's
// timeline. Ratios are TS / Go from the same run; the machine is shared, so absolute times are noisy.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { cacheDir, goCommand, terraformBinary } from '../test/terraform/go-tools.ts';
import { median, medianPhases, parseLaunches } from './terraform-launches.mjs';

const repo = fileURLToPath(new URL('../', import.meta.url));
const SOURCE = 'example.com/test/localfile';

function goProvider() {
  const out = join(cacheDir, 'bench-terraform-go-provider');
  const env = { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOWORK: 'off', GOFLAGS: '-mod=mod -buildvcs=false' };
  const run = spawnSync(goCommand(), ['build', '-o', out, '.'], { cwd: join(repo, 'bench/terraform/go-provider'), env, encoding: 'utf8', timeout: 20 * 60_000 });
  if (run.status !== 0) throw new Error(`building the Go provider failed:\n${run.stderr}`);
  return out;
}

/** The example provider of the checkout at `checkout`, bundled as README's recipe does (minified ES module). */
async function tsProvider(checkout) {
  // Under the checkout so that protobufjs (loaded at run time) and proto/terraform are found as in the package.
  const out = join(checkout, '.cache/bench-terraform/provider.mjs');
  await build({ entryPoints: [join(checkout, 'examples/terraform-provider/provider.ts')], bundle: true, minify: true, platform: 'node', format: 'esm', target: 'node20', outfile: out, logLevel: 'warning' });
  return out;
}

/** Its Node single executable, by that checkout's own recipe (test/terraform/provider-sea.ts). */
async function seaProvider(checkout, dir) {
  const { buildProviderSea } = await import(pathToFileURL(join(checkout, 'test/terraform/provider-sea.ts')).href);
  return buildProviderSea(dir);
}

/**
 * The workspaces: Go, and the TS bundle and executable of this checkout and, with
 * BENCH_TERRAFORM_BASELINE=<another checkout with node_modules>, of that one too (same-run before/after).
 */
async function providerSides(buildDir) {
  const checkouts = { '': repo };
  if (process.env.BENCH_TERRAFORM_BASELINE) checkouts[' (baseline)'] = process.env.BENCH_TERRAFORM_BASELINE;
  const sides = {};
  for (const [suffix, checkout] of Object.entries(checkouts)) {
    const bundle = await tsProvider(checkout);
    const sea = await seaProvider(checkout, mkdtempSync(join(buildDir, 'sea-')));
    sides[`bundle${suffix}`] = workspace('bundle', (path) => {
      writeFileSync(path, `#!/bin/sh\nexec '${process.execPath}' '${bundle}' "$@"\n`);
      chmodSync(path, 0o755);
    });
    sides[`sea${suffix}`] = workspace('sea', (path) => copyFileSync(sea, path));
  }
  const goBinary = goProvider();
  sides.go = workspace('go', (path) => copyFileSync(goBinary, path));
  return sides;
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

// GNU time reports the CPU of terraform and of the providers it waited for: a figure the other jobs on a
// shared machine disturb far less than wall time.
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const cpuSpent = { ms: 0 };

/** Runs one terraform command; returns its wall time and adds its CPU (with its providers') to cpuSpent. */
function timed(terraform, root, args, extraEnv = {}) {
  const env = { ...process.env, TF_CLI_CONFIG_FILE: join(root, 'cli.tfrc'), TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', TF_INPUT: '0', ...extraEnv };
  const cpuFile = join(root, 'cpu.txt');
  const [command, prefix] = GNU_TIME ? [GNU_TIME, ['-f', '%U %S', '-o', cpuFile, terraform]] : [terraform, []];
  const started = performance.now();
  const run = spawnSync(command, [...prefix, ...args, '-no-color'], { cwd: join(root, 'work'), env, encoding: 'utf8', timeout: 20 * 60_000, maxBuffer: 64 << 20 });
  const ms = performance.now() - started;
  if (run.status !== 0) throw new Error(`terraform ${args.join(' ')} failed in ${root}:\n${run.stdout}\n${run.stderr}`);
  if (GNU_TIME) cpuSpent.ms += readFileSync(cpuFile, 'utf8').trim().split(/\s+/).reduce((sum, s) => sum + Number(s) * 1000, 0);
  return ms;
}

/** Wall ms of `measure()`, and the CPU ms it spent (terraform and providers) when GNU time is there. */
function withCpu(measure) {
  const before = cpuSpent.ms;
  const ms = measure();
  return { ms, cpuMs: cpuSpent.ms - before };
}

/** `times` apply + destroy with TF_LOG=trace: the launches of each command, and the median of each phase. */
function traced(terraform, root, times) {
  const counts = {};
  const launches = [];
  for (let i = 0; i < times; i++) {
    for (const command of ['apply', 'destroy']) {
      const log = join(root, `${command}.log`);
      rmSync(log, { force: true });
      timed(terraform, root, [command, '-auto-approve'], { TF_LOG: 'trace', TF_LOG_PATH: log, GO_PLUGIN_TS_TRACE: '1' });
      const found = parseLaunches(readFileSync(log, 'utf8'));
      counts[command] = found.length;
      launches.push(...found);
    }
  }
  return { counts, phases: medianPhases(launches) };
}

function printTimelines(timelines) {
  const names = Object.keys(timelines);
  console.log(`launches per command: ${names.map((n) => `${n} apply ${timelines[n].counts.apply}, destroy ${timelines[n].counts.destroy}`).join('; ')}`);
  console.log(`median launch, ms: ${names.join(' / ')}`);
  const phases = [...new Set(names.flatMap((n) => Object.keys(timelines[n].phases)))];
  for (const phase of phases) console.log(`  ${phase.padEnd(72)} ${names.map((n) => timelines[n].phases[phase]?.toFixed(0) ?? '-').join(' / ')}`);
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Per measurement, each side's figure and its ratio to Go's from the same run. */
function printLine(label, bySide) {
  const ts = Object.keys(bySide).filter((n) => n !== 'go');
  console.log(`${label}: ${ts.map((n) => `TS ${n} ${bySide[n].toFixed(0)} ms (${(bySide[n] / bySide.go).toFixed(2)}x)`).join(', ')}, Go ${bySide.go.toFixed(0)} ms`);
}

function interleaved(sides, rounds, measure) {
  const out = Object.fromEntries(Object.keys(sides).map((n) => [n, []]));
  for (let i = 0; i < rounds; i++) for (const [name, root] of Object.entries(sides)) out[name].push(measure(root));
  return out;
}

export async function run({ quick }) {
  const terraform = await terraformBinary();
  const buildDir = mkdtempSync(join(tmpdir(), 'tf-bench-build-'));
  const sides = await providerSides(buildDir);
  rmSync(buildDir, { recursive: true, force: true });
  try {
    for (const root of Object.values(sides)) {
      writeFileSync(join(root, 'work', 'main.tf'), config(root, 1));
      timed(terraform, root, ['init']);
    }
    const rounds = quick ? 1 : Number(process.env.BENCH_TERRAFORM_ROUNDS ?? 5);
    const one = interleaved(sides, rounds, (root) => withCpu(() => timed(terraform, root, ['apply', '-auto-approve']) + timed(terraform, root, ['destroy', '-auto-approve'])));
    printLine(`one resource apply + destroy, wall (median of ${rounds})`, Object.fromEntries(Object.entries(one).map(([n, xs]) => [n, median(xs.map((x) => x.ms))])));
    if (GNU_TIME) printLine(`one resource apply + destroy, CPU of terraform and provider (median of ${rounds})`, Object.fromEntries(Object.entries(one).map(([n, xs]) => [n, median(xs.map((x) => x.cpuMs))])));
    printTimelines(Object.fromEntries(Object.entries(sides).map(([name, root]) => [name, traced(terraform, root, quick ? 1 : 3)])));
    if (quick) return;
    for (const root of Object.values(sides)) writeFileSync(join(root, 'work', 'main.tf'), config(root, 300));
    const many = interleaved(sides, 2, (root) => {
      const apply = withCpu(() => timed(terraform, root, ['apply', '-auto-approve']));
      timed(terraform, root, ['destroy', '-auto-approve']);
      return apply;
    });
    printLine('300 resources apply, wall (mean of 2)', Object.fromEntries(Object.entries(many).map(([n, xs]) => [n, mean(xs.map((x) => x.ms))])));
    if (GNU_TIME) printLine('300 resources apply, CPU of terraform and provider (mean of 2)', Object.fromEntries(Object.entries(many).map(([n, xs]) => [n, mean(xs.map((x) => x.cpuMs))])));
  } finally {
    for (const root of Object.values(sides)) rmSync(root, { recursive: true, force: true });
  }
}
