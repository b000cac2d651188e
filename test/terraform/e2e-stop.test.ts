// Ctrl-C during `apply` (Terraform v1.5.7 and OpenTofu): the host calls StopProvider, which aborts
// the running create's signal, so the apply ends with the provider's own error instead of waiting
// out the create.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPENTOFU_VERSION, terraformBinary, tofuBinary } from './go-tools.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const SOURCE = 'example.com/test/slow';

const hosts = [
  { name: 'Terraform v1.5.7', binary: terraformBinary },
  { name: `OpenTofu ${OPENTOFU_VERSION}`, binary: tofuBinary },
];

for (const host of hosts) for (const protocol of [6, 5] as const) {
  describe(`Ctrl-C during apply reaches the provider as StopProvider (${host.name}, protocol ${protocol})`, () => {
    let root: string;
    let terraform: string;
    let env: NodeJS.ProcessEnv;
    before(
      async () => {
        terraform = await host.binary();
        root = mkdtempSync(join(tmpdir(), `tf-stop-${protocol}-`));
        const dir = join(root, 'mirror', SOURCE, '0.1.0', 'linux_amd64');
        mkdirSync(dir, { recursive: true });
        const launcher = join(dir, 'terraform-provider-slow_v0.1.0');
        writeFileSync(launcher, `#!/bin/sh\ncd '${repo}' && exec '${process.execPath}' --import tsx test/terraform/fixtures/slow-provider.ts "$@"\n`);
        chmodSync(launcher, 0o755);
        writeFileSync(join(root, 'cli.tfrc'), `provider_installation {\n  filesystem_mirror {\n    path = "${join(root, 'mirror')}"\n  }\n}\n`);
        mkdirSync(join(root, 'work'));
        writeFileSync(
          join(root, 'work', 'main.tf'),
          `terraform {\n  required_providers {\n    slow = { source = "${SOURCE}" }\n  }\n}\nresource "slow_wait" "x" {\n  seconds = 300\n}\n`,
        );
        env = { ...process.env, TF_CLI_CONFIG_FILE: join(root, 'cli.tfrc'), TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', TF_INPUT: '0', SLOW_PROTOCOL: String(protocol) };
        const init = spawnSync(terraform, ['init', '-no-color'], { cwd: join(root, 'work'), env, encoding: 'utf8', timeout: 300_000 });
        assert.equal(init.status, 0, init.stdout + init.stderr);
      },
      { timeout: 40 * 60_000 },
    );
    after(() => root && rmSync(root, { recursive: true, force: true }));

    it('ends the apply with the error the stopped create returned', async () => {
      const child = spawn(terraform, ['apply', '-auto-approve', '-no-color'], { cwd: join(root, 'work'), env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let interrupted = false;
      child.stderr.on('data', (c) => (stderr += c));
      child.stdout.on('data', (c) => {
        stdout += c;
        if (!interrupted && stdout.includes('slow_wait.x: Creating...')) {
          interrupted = true;
          // Give the provider's create a moment to be under way, then press Ctrl-C.
          setTimeout(() => child.kill('SIGINT'), 1000);
        }
      });
      // The create alone would take 300 s; the guard only keeps a broken run from hanging the suite.
      const guard = setTimeout(() => child.kill('SIGKILL'), 240_000);
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      clearTimeout(guard);
      assert.ok(interrupted, `apply never started creating:\n${stdout}\n${stderr}`);
      assert.equal(code, 1, stdout + stderr);
      assert.match(stdout, /Interrupt received/);
      assert.match(stderr, /Error: Interrupted/);
      assert.match(stderr, /Terraform asked the provider to stop before the wait was over/);
    });
  });
}
