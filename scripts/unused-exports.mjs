// Lists exported names no other file imports (source, tests, benchmarks, scripts): an export is a
// promise that another module uses the name, so one nobody imports is dead weight (drop the
// `export`, or the code when nothing uses it). The public API (api/index.ts and what it re-exports)
// counts as used; an import of a built file (dist/x.js) counts for its source (x.ts).
// The justified exceptions are listed in scripts/unused-exports.allow (`file: name  # why`).
// Usage: node scripts/unused-exports.mjs [--root DIR]   (exit 1 on an unused export not allowed, or an
// allowed one that is no longer unused; `npm run lint` runs it)
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const rootArg = process.argv.indexOf('--root');
const ROOT = rootArg > 0 ? path.resolve(process.argv[rootArg + 1]) : path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const ALLOW_FILE = path.join(ROOT, 'scripts/unused-exports.allow');
const DIRS = ['api', 'core', 'schemas', 'store', 'exchanges', 'simulator', 'recorder', 'replay', 'analysis', 'demo', 'cli', 'bench', 'test', 'scripts'];

function walk(dir, out = []) {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') walk(p, out);
    } else if (/\.(ts|mts|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const files = DIRS.flatMap((d) => walk(path.join(ROOT, d)));
const exported = new Map(); // file → Set(names)
const used = new Map(); // file → Set(names) ('*' for all)

function resolve(from, spec) {
  if (!spec.startsWith('.')) return null;
  let base = path.resolve(path.dirname(from), spec);
  // a built file stands for its source
  const rel = path.relative(ROOT, base);
  if (rel.startsWith(`dist${path.sep}`)) base = path.join(ROOT, rel.slice(5));
  for (const c of [base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), base, `${base}.ts`, path.join(base, 'index.ts')]) if (fs.existsSync(c) && fs.statSync(c).isFile()) return c;
  return null;
}
const use = (file, name) => {
  if (!file) return;
  if (!used.has(file)) used.set(file, new Set());
  used.get(file).add(name);
};
const hasExport = (n) => ts.canHaveModifiers(n) && (ts.getModifiers(n) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);

for (const file of files) {
  const src = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const names = new Set();
  const visit = (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const target = resolve(file, node.moduleSpecifier.text);
      if (ts.isImportDeclaration(node)) {
        const c = node.importClause;
        if (!c) use(target, '*');
        else {
          if (c.name) use(target, 'default');
          if (c.namedBindings && ts.isNamespaceImport(c.namedBindings)) use(target, '*');
          if (c.namedBindings && ts.isNamedImports(c.namedBindings)) for (const el of c.namedBindings.elements) use(target, (el.propertyName ?? el.name).text);
        }
      } else {
        if (!node.exportClause) use(target, '*');
        else if (ts.isNamedExports(node.exportClause)) for (const el of node.exportClause.elements) use(target, (el.propertyName ?? el.name).text);
        else use(target, '*');
      }
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) use(resolve(file, node.arguments[0].text), '*');
    if (node.parent === src && hasExport(node)) {
      if (ts.isVariableStatement(node)) for (const d of node.declarationList.declarations) ts.isIdentifier(d.name) && names.add(d.name.text);
      else if (node.name && ts.isIdentifier(node.name)) names.add(node.name.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(src);
  exported.set(file, names);
}

use(path.join(ROOT, 'api/index.ts'), '*');

/** `file: name` → the reason it stays exported. */
const allowed = new Map();
if (fs.existsSync(ALLOW_FILE)) {
  for (const line of fs.readFileSync(ALLOW_FILE, 'utf8').split('\n')) {
    const m = /^\s*([^#\s][^:]*):\s*(\w+)\s*(#.*)?$/.exec(line);
    if (m) allowed.set(`${m[1]}: ${m[2]}`, (m[3] ?? '').replace(/^#\s*/, ''));
  }
}

const unused = [];
for (const [file, names] of exported) {
  if (!/^(api|core|schemas|store|exchanges|simulator|recorder|replay|analysis|demo|cli)\//.test(path.relative(ROOT, file))) continue;
  const u = used.get(file) ?? new Set();
  if (u.has('*')) continue;
  // used inside its own file only: still an export nobody imports
  for (const name of names) if (!u.has(name)) unused.push(`${path.relative(ROOT, file)}: ${name}`);
}
const fresh = unused.filter((k) => !allowed.has(k));
const stale = [...allowed.keys()].filter((k) => !unused.includes(k));
for (const k of fresh) console.log(`${k}   (exported, imported nowhere: remove the export, or the code if nothing uses it)`);
for (const k of stale) console.log(`${k}   (listed in scripts/unused-exports.allow but imported now, or gone: remove the line)`);
console.error(`${unused.length} exported names nobody imports (${unused.length - fresh.length} allowed in scripts/unused-exports.allow); ${fresh.length + stale.length} to fix`);
process.exitCode = fresh.length + stale.length ? 1 : 0;
