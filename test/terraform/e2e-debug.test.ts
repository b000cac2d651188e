// Debug mode under Terraform v1.5.7: the example provider started by hand with `--debug` prints
// TF_REATTACH_PROVIDERS; Terraform given it talks to that process instead of launching one (nothing is
// installed: there is no mirror and no `init`), and leaves it running between commands (Test: true).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { terraformBinary } from './go-tools.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const ADDRESS = 'registry.terraform.io/example/localfile';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

for (const protocol of [6, 5] as const) {
  describe(`Terraform v1.5.7 reattaches to the example provider in debug mode (protocol ${protocol})`, () => {
    let terraform: string;
    let root: string;
    let provider: ChildProcessWithoutNullStreams;
    let output = '';
    let reattach: string;

    before(
      async () => {
        terraform = await terraformBinary();
        root = mkdtempSync(join(tmpdir(), `tf-debug-${protocol}-`));
        mkdirSync(join(root, 'work'));
        // Installation only from an empty mirror: a provider Terraform had to launch could not be found.
        mkdirSync(join(root, 'empty-mirror'));
        writeFileSync(join(root, 'cli.tfrc'), `provider_installation {\n  filesystem_mirror {\n    path = "${join(root, 'empty-mirror')}"\n  }\n}\n`);
        writeFileSync(
          join(root, 'work', 'main.tf'),
          `terraform {\n  required_providers {\n    localfile = { source = "example/localfile" }\n  }\n}\n` +
            `provider "localfile" {\n  root = "${join(root, 'files')}"\n}\n` +
            `resource "localfile_file" "a" {\n  path    = "a.txt"\n  content = "hello"\n}\n`,
        );
        const env: NodeJS.ProcessEnv = { ...process.env, LOCALFILE_PROTOCOL: String(protocol) };
        for (const name of Object.keys(env)) if (name.startsWith('TF_') || name.startsWith('PLUGIN_') || name === 'GO_PLUGIN_DEBUG') delete env[name];
        provider = spawn(process.execPath, ['--import', 'tsx', 'examples/terraform-provider/provider.ts', '--debug'], { cwd: repo, env });
        provider.stderr.on('data', (c) => (output += c));
        reattach = await new Promise<string>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no TF_REATTACH_PROVIDERS within 60 s:\n${output}`)), 60_000);
          provider.stdout.on('data', (c) => {
            output += c;
            const match = /export TF_REATTACH_PROVIDERS='(.*)'\n/.exec(output);
            if (match) {
              clearTimeout(timer);
              resolve(match[1]!);
            }
          });
          provider.on('exit', (code) => reject(new Error(`the provider exited (${code}) before printing TF_REATTACH_PROVIDERS:\n${output}`)));
        });
      },
      { timeout: 40 * 60_000 },
    );

    after(() => {
      if (provider && provider.exitCode === null && provider.signalCode === null) provider.kill('SIGKILL');
      if (root) rmSync(root, { recursive: true, force: true });
    });

    function tf(args: string[]): Promise<Run> {
      return new Promise((resolve, reject) => {
        const child = spawn(terraform, [...args, '-no-color'], {
          cwd: join(root, 'work'),
          env: {
            ...process.env,
            TF_REATTACH_PROVIDERS: reattach,
            TF_CLI_CONFIG_FILE: join(root, 'cli.tfrc'),
            TF_IN_AUTOMATION: '1',
            CHECKPOINT_DISABLE: '1',
            TF_INPUT: '0',
            TF_LOG: 'debug',
            TF_LOG_PATH: join(root, 'terraform.log'),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c) => (stdout += c));
        child.stderr.on('data', (c) => (stderr += c));
        const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        });
      });
    }

    const running = () => provider.exitCode === null && provider.signalCode === null;

    it('prints TF_REATTACH_PROVIDERS for the provider address, with its pid and Test: true', () => {
      const parsed = JSON.parse(reattach) as Record<string, { Protocol: string; ProtocolVersion: number; Pid: number; Test: boolean; Addr: { Network: string; String: string } }>;
      assert.deepEqual(Object.keys(parsed), [ADDRESS]);
      const config = parsed[ADDRESS]!;
      assert.equal(config.Protocol, 'grpc');
      assert.equal(config.ProtocolVersion, protocol);
      assert.equal(config.Pid, provider.pid);
      assert.equal(config.Test, true);
      assert.equal(config.Addr.Network, 'unix');
      assert.ok(existsSync(config.Addr.String), `${config.Addr.String} is not there`);
    });

    it('plans, applies and destroys through the running provider, which keeps running', async () => {
      const plan = await tf(['plan']);
      assert.equal(plan.code, 0, plan.stdout + plan.stderr);
      assert.match(plan.stdout, /Plan: 1 to add, 0 to change, 0 to destroy/);
      assert.ok(running(), 'the provider stopped after plan');
      const apply = await tf(['apply', '-auto-approve']);
      assert.equal(apply.code, 0, apply.stdout + apply.stderr);
      assert.match(apply.stdout, /Resources: 1 added, 0 changed, 0 destroyed/);
      assert.equal(readFileSync(join(root, 'files', 'a.txt'), 'utf8'), 'hello');
      assert.ok(running(), 'the provider stopped after apply');
      const destroy = await tf(['destroy', '-auto-approve']);
      assert.equal(destroy.code, 0, destroy.stdout + destroy.stderr);
      assert.match(destroy.stdout, /Destroy complete! Resources: 1 destroyed/);
      assert.ok(!existsSync(join(root, 'files', 'a.txt')));
      assert.ok(running(), 'the provider stopped after destroy');
      // Terraform's own account: it reattached, it did not start a plugin.
      const log = readFileSync(join(root, 'terraform.log'), 'utf8');
      assert.match(log, /Provider registry.terraform.io\/example\/localfile is overridden as an "unmanaged provider"/);
      assert.doesNotMatch(log, /plugin: starting plugin/);
    });

    it('stops on Ctrl-C', async () => {
      const exited = new Promise<number | null>((resolve) => provider.once('exit', (code) => resolve(code)));
      provider.kill('SIGINT');
      const timer = setTimeout(() => provider.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      assert.equal(code, 0, output);
    });
  });
}
