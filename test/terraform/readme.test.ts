// README.md "Writing a Terraform provider", run as written: its shell steps and provider.ts in an
// empty folder, then `terraform init` and `terraform apply` with Terraform v1.5.7. Only two things
// differ from a reader's machine: `go-plugin-ts/terraform` resolves to this checkout's source, and
// the folder's node_modules is this checkout's (no npm install in tests).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { terraformBinary } from './go-tools.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));

function readmeBlocks(): Array<{ lang: string; code: string }> {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const start = readme.indexOf('## Writing a Terraform provider');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 10));
  return [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, code: m[2]! }));
}

describe('README: Writing a Terraform provider, from an empty folder to terraform apply', () => {
  let dir: string;
  let terraform: string;
  before(async () => {
    terraform = await terraformBinary();
    dir = mkdtempSync(join(tmpdir(), 'tf-readme-'));
  }, { timeout: 40 * 60_000 });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('applies the greeting and its default', () => {
    const [setup, provider, mirror, use] = readmeBlocks();
    assert.deepEqual([setup?.lang, provider?.lang, mirror?.lang, use?.lang], ['sh', 'ts', 'sh', 'sh']);
    assert.match(setup!.code, /npm install go-plugin-ts tsx/);
    symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
    writeFileSync(join(dir, 'provider.ts'), provider!.code.replace("'go-plugin-ts/terraform'", `'${join(repo, 'src/terraform/index.ts')}'`));
    // `terraform` is v1.5.7; apply does not wait for a "yes".
    const steps = [`terraform() { '${terraform}' "$@" -no-color; }`, mirror!.code, use!.code.replace('terraform apply', 'terraform apply -auto-approve')];
    const run = spawnSync('bash', ['-euc', steps.join('\n')], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', TF_INPUT: '0' },
    });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /Apply complete! Resources: 1 added/);
    assert.match(run.stdout, /text = "Hello, world!"/);
  });
});
