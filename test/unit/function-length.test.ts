// A reader follows a function top to bottom; past about 60 lines of code the protocol's order gets lost. Every
// function in src/ (a nested function counts towards the one that holds it) stays within LIMIT lines of code
// (blank and comment-only lines not counted), or says why just above itself with a `// long function: <why>`
// comment. The test also fails on such a comment that no longer explains anything, so reasons do not go stale.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const LIMIT = 60;
const REASON = /^\s*\/\/ long function: \S/;

interface Measured {
  where: string;
  name: string;
  lines: number;
  reason: boolean;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

function isFunction(node: ts.Node): node is ts.FunctionLikeDeclaration {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isArrowFunction(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node)
  );
}

function nameOf(node: ts.FunctionLikeDeclaration): string {
  if (node.name) return node.name.getText();
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) return parent.name.getText();
  return '<anonymous>';
}

/** Lines between the function's first and last that hold code, not only blanks or comments. */
function codeLines(lines: string[], first: number, last: number): number {
  let count = 0;
  let inBlock = false;
  for (let i = first; i <= last; i++) {
    const line = lines[i]!.trim();
    if (inBlock) {
      if (line.includes('*/')) inBlock = false;
      continue;
    }
    if (line === '' || line.startsWith('//')) continue;
    if (line.startsWith('/*')) {
      inBlock = !line.includes('*/');
      continue;
    }
    count++;
  }
  return count;
}

/** The line just above a function's statement (its variable statement for `const f = () => …`). */
function statementStart(node: ts.FunctionLikeDeclaration, file: ts.SourceFile): number {
  let holder: ts.Node = node;
  while (
    holder.parent &&
    (ts.isVariableDeclaration(holder.parent) ||
      ts.isVariableDeclarationList(holder.parent) ||
      ts.isVariableStatement(holder.parent) ||
      ts.isExportAssignment(holder.parent))
  ) {
    holder = holder.parent;
  }
  return file.getLineAndCharacterOfPosition(holder.getStart(file)).line;
}

export function measure(path: string): Measured[] {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const found: Measured[] = [];
  const visit = (node: ts.Node): void => {
    if (isFunction(node) && node.body) {
      const first = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
      const last = file.getLineAndCharacterOfPosition(node.getEnd()).line;
      const above = lines[statementStart(node, file) - 1] ?? '';
      found.push({
        where: `${relative(root, path)}:${first + 1}`,
        name: nameOf(node),
        lines: codeLines(lines, first, last),
        reason: REASON.test(above),
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe('function length in src/', () => {
  const all = sources(join(root, 'src')).flatMap(measure);

  it(`no function longer than ${LIMIT} lines of code without a "// long function:" reason above it`, () => {
    const long = all
      .filter((f) => f.lines > LIMIT && !f.reason)
      .sort((a, b) => b.lines - a.lines)
      .map((f) => `${f.where} ${f.name}: ${f.lines} lines`);
    assert.deepEqual(long, []);
  });

  it('every "// long function:" reason sits above a function that is still long', () => {
    const stale = all.filter((f) => f.reason && f.lines <= LIMIT).map((f) => `${f.where} ${f.name}: ${f.lines} lines`);
    assert.deepEqual(stale, []);
  });

  it('measures what it claims (a known function and a made-up long one)', () => {
    const here = measure(fileURLToPath(import.meta.url));
    const codeLinesFn = here.find((f) => f.name === 'codeLines');
    assert.ok(codeLinesFn && codeLinesFn.lines >= 15 && codeLinesFn.lines <= 25, JSON.stringify(codeLinesFn));
    assert.equal(here.find((f) => f.name === 'measure')?.reason, false);
  });
});
