// The public API is every name src/index.ts exports. This test pins those names to test/api-names.txt
// so that renaming or dropping one (easy to do by accident in a refactor) is a deliberate, reviewed change.
// To accept a change: UPDATE_API_NAMES=1 npx vitest run test/api-names.test.ts, then commit the txt.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const entry = resolve(root, 'src/index.ts');
const listFile = resolve(root, 'test/api-names.txt');

type Kind = 'value' | 'type' | 'value+type';

function kindOf(checker: ts.TypeChecker, sym: ts.Symbol): Kind {
  // `export type { X }` anywhere along the re-export chain makes X type-only, even if X is a class.
  let typeOnly = false;
  let s = sym;
  while (s.flags & ts.SymbolFlags.Alias) {
    if (s.declarations?.some((d) => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly))) typeOnly = true;
    s = checker.getImmediateAliasedSymbol(s) ?? checker.getAliasedSymbol(s);
    if (s === sym) break;
  }
  const value = !typeOnly && (s.flags & ts.SymbolFlags.Value) !== 0;
  const type = (s.flags & ts.SymbolFlags.Type) !== 0;
  return value && type ? 'value+type' : value ? 'value' : 'type';
}

function currentNames(): string[] {
  const config = ts.readConfigFile(resolve(root, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  // Only the entry as root: the checker pulls in what it imports, no need for the whole include set.
  const program = ts.createProgram([entry], { ...options, noEmit: true });
  const checker = program.getTypeChecker();
  const moduleSym = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  const lines: string[] = [];
  for (const sym of checker.getExportsOfModule(moduleSym)) {
    const name = sym.getName();
    lines.push(`${kindOf(checker, sym)} ${name}`);
    const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
    // Namespace re-exports (`export * as reference`) expose their members as public API too.
    if (target.flags & ts.SymbolFlags.ValueModule) {
      for (const m of checker.getExportsOfModule(target)) lines.push(`${kindOf(checker, m)} ${name}.${m.getName()}`);
    }
  }
  return lines.sort();
}

function readList(): string[] {
  try {
    return readFileSync(listFile, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
  } catch {
    return [];
  }
}

const nameOf = (line: string) => line.slice(line.indexOf(' ') + 1);
const isValue = (line: string) => line.startsWith('value');

describe('public API names', () => {
  it('src/index.ts exports exactly the names in test/api-names.txt', () => {
    const actual = currentNames();
    if (process.env.UPDATE_API_NAMES === '1') {
      writeFileSync(listFile, actual.join('\n') + '\n');
      return;
    }
    const expected = readList();
    const added = actual.filter((l) => !expected.includes(l));
    const removed = expected.filter((l) => !actual.includes(l));
    if (added.length || removed.length) {
      throw new Error(
        'The public API of src/index.ts changed.\n' +
          (added.length ? `  added:\n${added.map((l) => `    + ${l}`).join('\n')}\n` : '') +
          (removed.length ? `  removed:\n${removed.map((l) => `    - ${l}`).join('\n')}\n` : '') +
          'If this is deliberate, run: UPDATE_API_NAMES=1 npx vitest run test/api-names.test.ts\n' +
          'and commit test/api-names.txt. Otherwise restore the export (or re-export under the old name).',
      );
    }
  });

  // The compiler's view can differ from what the bundle really exports (e.g. a type-only export of a value).
  it('the runtime module exports exactly the listed values', async () => {
    const mod: Record<string, unknown> = await import('../src/index.js');
    const listed = readList().filter(isValue).map(nameOf);
    const missing = listed.filter((n) => {
      const [head, member] = n.split('.');
      const v = member === undefined ? mod[head] : (mod[head] as Record<string, unknown> | undefined)?.[member];
      return typeof v === 'undefined';
    });
    const isNamespace = (v: unknown) => (v as { [Symbol.toStringTag]?: string })?.[Symbol.toStringTag] === 'Module';
    const runtime = Object.keys(mod).flatMap((k) =>
      isNamespace(mod[k]) ? [k, ...Object.keys(mod[k] as object).map((m) => `${k}.${m}`)] : [k],
    );
    const unlisted = runtime.filter((n) => !listed.includes(n));
    expect({ missing, unlisted }).toEqual({ missing: [], unlisted: [] });
  });
});
