// How long one AutoMTLS certificate takes: generateCertificate() (P-521, in process) against shelling
// out to `openssl req -x509` for the same kind of certificate, measured in the same run.
//   node --import tsx bench/cert.mjs [--quick]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { generateCertificate } from '../src/tls/index.ts';
import { opensslBinary } from '../test/helpers/tools.ts';

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function timeOurs(iterations) {
  await generateCertificate(); // warm-up: module loading and the first key generation
  const times = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await generateCertificate();
    times.push(performance.now() - start);
  }
  return times;
}

function timeOpenssl(iterations) {
  const openssl = opensslBinary();
  const dir = mkdtempSync(join(tmpdir(), 'bench-cert-'));
  const args = [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-521', '-nodes', '-days', '10950',
    '-subj', '/O=HashiCorp/CN=localhost', '-addext', 'subjectAltName=DNS:localhost',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ];
  try {
    const times = [];
    for (let i = 0; i <= iterations; i++) {
      const start = performance.now();
      const result = spawnSync(openssl, args, { encoding: 'utf8' });
      const elapsed = performance.now() - start;
      if (result.error || result.status !== 0) {
        throw new Error(`openssl req failed (is openssl installed?): ${result.error?.message ?? result.stderr}`);
      }
      if (i > 0) times.push(elapsed); // the first run warms the page cache
    }
    return times;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Returns medians in milliseconds and the ratio openssl/ours (above 1: ours is faster). */
export async function run({ quick = false } = {}) {
  const oursRuns = quick ? 5 : 30;
  const opensslRuns = quick ? 3 : 10;
  const oursMs = median(await timeOurs(oursRuns));
  const opensslMs = median(timeOpenssl(opensslRuns));
  const ratio = opensslMs / oursMs;
  console.log(`generateCertificate() P-521: ${oursMs.toFixed(2)} ms (median of ${oursRuns})`);
  console.log(`openssl req -x509 P-521:     ${opensslMs.toFixed(2)} ms (median of ${opensslRuns}, one process each)`);
  console.log(`ratio openssl/ours:          ${ratio.toFixed(1)}x`);
  return { oursMs, opensslMs, ratio };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await run({ quick: process.argv.includes('--quick') || process.env.CI === 'true' });
}
