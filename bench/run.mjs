#!/usr/bin/env node
// `npm run bench [-- --quick] [name ...]`: runs bench/*.bench.mjs (or the named ones: `grpc`,
// `grpc.bench.mjs`) and bench/cert.mjs when present. Each exports `run({ quick })`. --quick is a short
// smoke run for CI. Exits non-zero when a benchmark fails; it never fails on speed.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const names = args.filter((a) => !a.startsWith('--'));

const all = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.mjs'))
  .sort();
if (existsSync(join(dir, 'cert.mjs'))) all.push('cert.mjs');
const wanted = (file) => names.length === 0 || names.some((n) => file === n || file === `${n}.bench.mjs` || file === `${n}.mjs`);
const files = all.filter(wanted);
if (files.length === 0) {
  console.error(`no benchmark matches ${names.join(', ')}; available: ${all.join(', ')}`);
  process.exit(1);
}

let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file}${quick ? ' (quick)' : ''}`);
  const started = Date.now();
  try {
    const mod = await import(pathToFileURL(join(dir, file)).href);
    if (typeof mod.run !== 'function') throw new Error(`${file} does not export run({ quick })`);
    await mod.run({ quick });
    console.log(`--- ${file} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (err) {
    failed++;
    console.error(`--- ${file} FAILED: ${err?.stack ?? err}`);
  }
}
console.log(`\nbench: ${files.length - failed} ran, ${failed} failed`);
process.exit(failed ? 1 : 0);
