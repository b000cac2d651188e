// examples/terraform-provider under real hosts built by go-tools.ts, Terraform v1.5.7 and OpenTofu,
// installed from a filesystem mirror with `init`, through every step of a resource's life on
// protocols 6 and 5. Terraform 1.5.7 has no provider functions; OpenTofu calls the example's here,
// and functions.test.ts calls them through our own host. On protocol 6 the mirror holds the provider
// as README "Writing a Terraform provider" ships it: one Node single executable, nothing beside it; on
// protocol 5 a launcher script that runs the source with tsx.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPENTOFU_VERSION, terraformBinary, tofuBinary } from './go-tools.ts';
import { buildProviderSea } from './provider-sea.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const SOURCE = 'example.com/test/localfile';
const VERSION = '0.1.0';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let seaDir: string | undefined;
let sea: string | undefined;
/** The example provider as a Node single executable, built once for every host. */
function providerSea(): string {
  seaDir ??= mkdtempSync(join(tmpdir(), 'tf-e2e-sea-'));
  sea ??= buildProviderSea(seaDir);
  return sea;
}
after(() => seaDir && rmSync(seaDir, { recursive: true, force: true }));

const hosts = [
  { name: 'Terraform v1.5.7', binary: terraformBinary, functions: false },
  { name: `OpenTofu ${OPENTOFU_VERSION}`, binary: tofuBinary, functions: true },
];

function mainTf(files: string, extra = ''): string {
  return `terraform {
  required_providers {
    localfile = { source = "${SOURCE}", version = "${VERSION}" }
  }
}
provider "localfile" {
  root = "${files}"
}
resource "localfile_file" "a" {
  path    = "a.txt"
  content = "hello"
}
# b's content is unknown until a exists: unknown values flow between resources.
resource "localfile_file" "b" {
  path    = "b.txt"
  content = "a is at \${localfile_file.a.id}"
}
data "localfile_file" "a" {
  path       = localfile_file.a.path
  depends_on = [localfile_file.a]
}
# A nested attribute (protocol 6; an object-typed attribute on protocol 5).
data "localfile_directory" "files" {
  path       = "."
  depends_on = [localfile_file.a, localfile_file.b]
}
output "listing" { value = { for f in data.localfile_directory.files.files : f.name => f.size if f.name == "a.txt" } }
output "a_sha" { value = localfile_file.a.sha256 }
output "a_data" { value = data.localfile_file.a.content }
${extra}`;
}

/** A provider function call, for hosts that have them (Terraform 1.8+, OpenTofu 1.7+). */
function functionsTf(functions: boolean): string {
  return functions ? 'output "hashed" { value = provider::localfile::sha256("hello") }\n' : '';
}

for (const host of hosts) for (const protocol of [6, 5] as const) {
  describe(`${host.name} with the example provider on protocol ${protocol}`, () => {
    let terraform: string;
    let root: string;
    let work: string;
    let files: string;
    let cliConfig: string;

    function tf(args: string[], timeoutMs = 300_000): Promise<Run> {
      return new Promise((resolve, reject) => {
        const child = spawn(terraform, [...args, '-no-color'], {
          cwd: work,
          env: {
            ...process.env,
            TF_CLI_CONFIG_FILE: cliConfig,
            TF_IN_AUTOMATION: '1',
            CHECKPOINT_DISABLE: '1',
            TF_INPUT: '0',
            TF_LOG: 'debug',
            TF_LOG_PATH: join(root, 'terraform.log'),
            LOCALFILE_PROTOCOL: String(protocol),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c) => (stdout += c));
        child.stderr.on('data', (c) => (stderr += c));
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        });
      });
    }

    const ok = (run: Run, what: string) => assert.equal(run.code, 0, `${what} failed:\n${run.stdout}\n${run.stderr}`);

    before(
      async () => {
        terraform = await host.binary();
        root = mkdtempSync(join(tmpdir(), `tf-e2e-${protocol}-`));
        work = join(root, 'work');
        files = join(root, 'files');
        mkdirSync(work);
        // The provider as a filesystem mirror holds it (unpacked layout): one executable.
        const dir = join(root, 'mirror', SOURCE, VERSION, 'linux_amd64');
        mkdirSync(dir, { recursive: true });
        const executable = join(dir, `terraform-provider-localfile_v${VERSION}`);
        if (protocol === 6) copyFileSync(providerSea(), executable);
        else writeFileSync(executable, `#!/bin/sh\ncd '${repo}' && exec '${process.execPath}' --import tsx examples/terraform-provider/provider.ts "$@"\n`);
        chmodSync(executable, 0o755);
        cliConfig = join(root, 'cli.tfrc');
        writeFileSync(cliConfig, `provider_installation {\n  filesystem_mirror {\n    path = "${join(root, 'mirror')}"\n  }\n}\n`);
        writeFileSync(join(work, 'main.tf'), mainTf(files, functionsTf(host.functions)));
      },
      { timeout: 40 * 60_000 },
    );

    after(() => {
      if (root) rmSync(root, { recursive: true, force: true });
    });

    if (protocol === 6) {
      it('has one file in the mirror: an executable, with no node_modules beside it or above it', () => {
        const dir = join(root, 'mirror', SOURCE, VERSION, 'linux_amd64');
        assert.deepEqual(readdirSync(dir), [`terraform-provider-localfile_v${VERSION}`]);
        assert.deepEqual([...readFileSync(join(dir, `terraform-provider-localfile_v${VERSION}`)).subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46]); // ELF, not a script
        for (let d = dir; dirname(d) !== d; d = dirname(d)) assert.ok(!existsSync(join(d, 'node_modules')), `${d} has a node_modules`);
      });
    }

    it('init installs the provider from the filesystem mirror', async () => {
      const run = await tf(['init']);
      ok(run, 'init');
      assert.match(run.stdout, new RegExp(`Installing ${SOURCE} v${VERSION}`));
      assert.match(readFileSync(join(work, '.terraform.lock.hcl'), 'utf8'), /provider "example.com\/test\/localfile"/);
    });

    it('plans the unknown id of a into b, then applies both and reads the data source', async () => {
      const plan = await tf(['plan']);
      ok(plan, 'plan');
      assert.match(plan.stdout, /Plan: 2 to add, 0 to change, 0 to destroy/);
      assert.match(plan.stdout, /content = \(known after apply\)/);
      // The plan hook knows a's hash before apply.
      assert.match(plan.stdout, /a_sha += "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"/);
      const apply = await tf(['apply', '-auto-approve']);
      ok(apply, 'apply');
      assert.match(apply.stdout, /Resources: 2 added, 0 changed, 0 destroyed/);
      assert.equal(readFileSync(join(files, 'a.txt'), 'utf8'), 'hello');
      assert.equal(readFileSync(join(files, 'b.txt'), 'utf8'), `a is at ${join(files, 'a.txt')}`);
      assert.match(apply.stdout, /a_data = "hello"/);
      assert.match(apply.stdout, /listing = \{\s*"a.txt" = 5\s*\}/);
      if (host.functions) assert.match(apply.stdout, /hashed = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"/);
      assert.match(readFileSync(join(root, 'terraform.log'), 'utf8'), new RegExp(`using plugin: version=${protocol}`));
    });

    it('plans no changes when nothing changed', async () => {
      const plan = await tf(['plan', '-detailed-exitcode']);
      assert.equal(plan.code, 0, plan.stdout + plan.stderr);
      assert.match(plan.stdout, /No changes/);
    });

    it('updates in place', async () => {
      writeFileSync(join(work, 'main.tf'), mainTf(files, functionsTf(host.functions)).replace('content = "hello"', 'content = "hello world"'));
      const apply = await tf(['apply', '-auto-approve']);
      ok(apply, 'apply');
      assert.match(apply.stdout, /~ content += "hello" -> "hello world"/);
      assert.match(apply.stdout, /Resources: 0 added, 1 changed, 0 destroyed/);
      assert.equal(readFileSync(join(files, 'a.txt'), 'utf8'), 'hello world');
    });

    it('replaces when an attribute marked requiresReplace changes', async () => {
      writeFileSync(join(work, 'main.tf'), mainTf(files, functionsTf(host.functions)).replace('content = "hello"', 'content = "hello world"').replace('"a.txt"', '"a2.txt"'));
      const apply = await tf(['apply', '-auto-approve']);
      ok(apply, 'apply');
      assert.match(apply.stdout, /localfile_file.a must be replaced/);
      assert.match(apply.stdout, /path += "a.txt" -> "a2.txt" # forces replacement/);
      // b's content names a's path, so b is updated with it.
      assert.match(apply.stdout, /Resources: 1 added, 1 changed, 1 destroyed/);
      assert.ok(!existsSync(join(files, 'a.txt')));
      assert.equal(readFileSync(join(files, 'b.txt'), 'utf8'), `a is at ${join(files, 'a2.txt')}`);
    });

    it('detects drift: a file changed outside Terraform, then one deleted', async () => {
      writeFileSync(join(files, 'b.txt'), 'changed by hand');
      const changed = await tf(['plan', '-detailed-exitcode']);
      assert.equal(changed.code, 2, changed.stdout + changed.stderr);
      assert.match(changed.stdout, /~ content += "changed by hand" -> "a is at /);
      assert.match(changed.stdout, /Plan: 0 to add, 1 to change, 0 to destroy/);
      unlinkSync(join(files, 'b.txt'));
      const gone = await tf(['plan', '-detailed-exitcode']);
      assert.equal(gone.code, 2, gone.stdout + gone.stderr);
      assert.match(gone.stdout, /localfile_file.b will be created/);
      ok(await tf(['apply', '-auto-approve']), 'apply');
      assert.equal(readFileSync(join(files, 'b.txt'), 'utf8'), `a is at ${join(files, 'a2.txt')}`);
    });

    it('imports an existing file, after which the plan is empty', async () => {
      const path = join(files, 'c.txt');
      writeFileSync(path, 'made elsewhere\n');
      const config = mainTf(files, functionsTf(host.functions) + `resource "localfile_file" "c" {\n  path    = "${path}"\n  content = "made elsewhere\\n"\n}\n`)
        .replace('content = "hello"', 'content = "hello world"')
        .replace('"a.txt"', '"a2.txt"');
      writeFileSync(join(work, 'main.tf'), config);
      const run = await tf(['import', 'localfile_file.c', path]);
      ok(run, 'import');
      assert.match(run.stdout, /Import successful!/);
      const plan = await tf(['plan', '-detailed-exitcode']);
      assert.equal(plan.code, 0, plan.stdout + plan.stderr);
    });

    it('shows a validation error at the attribute it is about', async () => {
      const good = readFileSync(join(work, 'main.tf'), 'utf8');
      writeFileSync(join(work, 'main.tf'), good.replace('content = "made elsewhere\\n"', 'content = "made elsewhere\\n"\n  mode    = "abc"'));
      const plan = await tf(['plan']);
      assert.equal(plan.code, 1, plan.stdout + plan.stderr);
      assert.match(plan.stderr, /Error: Invalid mode/);
      assert.match(plan.stderr, /in resource "localfile_file" "c":\n\s*\d+:\s+mode += "abc"/);
      assert.match(plan.stderr, /"abc" is not an octal file mode such as "0644"/);
      writeFileSync(join(work, 'main.tf'), good);
    });

    it('destroys everything', async () => {
      const run = await tf(['destroy', '-auto-approve']);
      ok(run, 'destroy');
      assert.match(run.stdout, /Destroy complete! Resources: 3 destroyed/);
      for (const name of ['a2.txt', 'b.txt', 'c.txt']) assert.ok(!existsSync(join(files, name)), name);
    });
  });
}
