// Code comments cite docs/ by section: every `docs/<file>.md#<anchor>` must name a file in the repo and
// a heading in it, so a reader who follows a citation lands where it points.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SCANNED = ['src', 'test', 'bench', 'examples', 'docs', 'README.md'];
const SKIP = new Set(['node_modules', 'dist', 'bin', '.cache']);

function files(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((name) => !SKIP.has(name) && !name.startsWith('.'))
    .flatMap((name) => files(join(path, name)));
}

/** GitHub's heading anchor: lower case, punctuation other than `-` and `_` dropped, spaces as `-`. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(doc: string): Set<string> {
  const text = readFileSync(join(root, doc), 'utf8').replace(/```[\s\S]*?```/g, '');
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const match of text.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const base = slug(match[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

describe('citations of docs/ in the repo', () => {
  it('slug follows GitHub: "Unix sockets and :authority" → unix-sockets-and-authority', () => {
    assert.equal(slug('Unix sockets and :authority'), 'unix-sockets-and-authority');
    assert.equal(slug('Field 6: server certificate'), 'field-6-server-certificate');
  });

  it('every docs/<file>.md#<anchor> names an existing file and heading', () => {
    const anchors = new Map<string, Set<string>>();
    const broken: string[] = [];
    let checked = 0;
    for (const file of SCANNED.flatMap((p) => files(join(root, p)))) {
      if (!/\.(ts|mts|cts|mjs|cjs|js|go|md|sh)$/.test(file)) continue;
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/(?<![\w/.-])docs\/([a-z0-9-]+\.md)(?:#([a-z0-9_-]+))?/g)) {
        const doc = `docs/${match[1]}`;
        checked++;
        const where = `${relative(root, file)}: ${match[0]}`;
        if (!existsSync(join(root, doc))) {
          broken.push(`${where} (no such file)`);
          continue;
        }
        if (!match[2]) continue;
        if (!anchors.has(doc)) anchors.set(doc, anchorsOf(doc));
        if (!anchors.get(doc)!.has(match[2])) broken.push(`${where} (no such heading)`);
      }
    }
    assert.ok(checked > 50, `expected the code to cite docs/ often, found ${checked} citations`);
    assert.deepEqual(broken, []);
  });
});
