// The module graph of src/ and commands/, read from the files themselves (no dependency):
// every relative `import … from`, `export … from`, `import type` and `import('…')`, with
// `.js` resolved to the `.ts` beside it. It has no cycles, nothing in src/ imports
// commands/, and src/records/ does not import src/io/: the readers and writers of io/ are
// built on the field definitions and the issues of records/, not the other way round
// (what opens files for a check lives above both, in validate/; the text helpers that
// both use, below both, in text/, which imports nothing of the tool).
// And the packages they import are runtime dependencies: a devDependency (the benchmarks'
// csv-parse, papaparse, csv-stringify) is not installed with the tool.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function tsFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return tsFiles(rel);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [rel] : [];
  });
}

// `import|export [type] <clause> from '…'` starting a line (so neither a comment naming a
// module nor an `export const … '--from'` is read as one), `import '…'`, and import('…')
const CLAUSE = String.raw`(?:type\s+)?(?:[\w$]+\s*,\s*)?(?:\{[^}]*\}|\*(?:\s+as\s+[\w$]+)?|[\w$]+)`;
function specifiers(spec: string): RegExp[] {
  return [
    new RegExp(String.raw`^\s*(?:import|export)\s+${CLAUSE}\s*from\s*['"](${spec})['"]`, 'gm'),
    new RegExp(String.raw`^\s*import\s*['"](${spec})['"]`, 'gm'),
    new RegExp(String.raw`\b(?:import|require)\(\s*['"](${spec})['"]\s*\)`, 'g'),
  ];
}
const SPECIFIERS = specifiers(String.raw`\.{1,2}\/[^'"]+`);

/** Module (path from the root) → the modules of src/ and commands/ it imports. */
function importGraph(): Map<string, string[]> {
  const files = [...tsFiles('src'), ...tsFiles('commands')];
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const text = fs.readFileSync(path.join(ROOT, f), 'utf8');
    const deps = new Set<string>();
    for (const m of SPECIFIERS.flatMap((re) => [...text.matchAll(re)])) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(f), m[1]!.replace(/\.js$/, '.ts')));
      if (known.has(target)) deps.add(target);
    }
    graph.set(f, [...deps].sort());
  }
  return graph;
}

/** One cycle through each strongly connected set of modules (Tarjan), as a path a → … → a. */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const members = new Set<string>();
    for (let w = ''; w !== v; ) {
      w = stack.pop()!;
      onStack.delete(w);
      members.add(w);
    }
    if (members.size > 1 || graph.get(v)!.includes(v)) found.push(pathWithin(graph, members, v));
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** A shortest path from `start` back to itself inside one strongly connected set. */
function pathWithin(graph: Map<string, string[]>, members: Set<string>, start: string): string[] {
  const from = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v)!) {
      if (!members.has(w)) continue;
      if (w === start) {
        const p = [start];
        for (let u = v; u !== start; u = from.get(u)!) p.splice(1, 0, u);
        return [...p, start];
      }
      if (!from.has(w)) {
        from.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

/** The packages (not node: built-ins) that the files of src/ and commands/ import. */
function packagesImported(): Map<string, string[]> {
  const bare = specifiers(String.raw`[^'"./][^'"]*`);
  const byPackage = new Map<string, string[]>();
  for (const f of [...tsFiles('src'), ...tsFiles('commands')]) {
    const text = fs.readFileSync(path.join(ROOT, f), 'utf8');
    for (const m of bare.flatMap((re) => [...text.matchAll(re)])) {
      const spec = m[1]!;
      if (spec.startsWith('node:')) continue;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
      byPackage.set(name, [...(byPackage.get(name) ?? []), f]);
    }
  }
  return byPackage;
}

describe('the import graph of src/ and commands/', () => {
  const graph = importGraph();
  const edges = [...graph].flatMap(([f, deps]) => deps.map((d) => [f, d] as const));

  it('is read from the files (sanity: known imports are seen)', () => {
    expect(graph.get('commands/program.ts')).toContain('commands/options.ts');
    expect(graph.get('src/io/read-records.ts')).toContain('src/io/xlsx-source.ts'); // import('./xlsx-source.js')
    expect(graph.get('src/export/manifest.ts')).toContain('src/export/filters.ts'); // import type
  });

  it('has no cycles', () => {
    expect(cycles(graph).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('finds a cycle when there is one', () => {
    const g = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
    expect(cycles(g)).toEqual([['a', 'b', 'c', 'a']]);
  });

  it('src/ never imports commands/', () => {
    expect(edges.filter(([f, d]) => f.startsWith('src/') && d.startsWith('commands/'))).toEqual([]);
  });

  it('src/records/ does not import src/io/', () => {
    const crossing = edges.filter(([f, d]) => f.startsWith('src/records/') && d.startsWith('src/io/')).map(([f, d]) => `${f} -> ${d}`);
    expect(crossing).toEqual([]);
  });

  it('src/text/ imports nothing of the tool outside itself', () => {
    const out = edges.filter(([f, d]) => f.startsWith('src/text/') && !d.startsWith('src/text/')).map(([f, d]) => `${f} -> ${d}`);
    expect(out).toEqual([]);
  });

  it('imports runtime dependencies only; the benchmark-only CSV packages are devDependencies', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const imported = packagesImported();
    expect(imported.get('commander')).toBeDefined(); // sanity: the imports are seen
    // a type-only import of a package that ships its own types is erased; any other must be a dependency
    expect([...imported.keys()].filter((n) => !(n in pkg.dependencies))).toEqual([]);
    for (const n of ['csv-parse', 'papaparse', 'csv-stringify']) {
      expect(pkg.dependencies).not.toHaveProperty(n);
      expect(pkg.devDependencies).toHaveProperty(n);
    }
  });
});
