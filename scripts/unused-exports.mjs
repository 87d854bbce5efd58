// Lists exported names no other file imports (source, tests, benchmarks, scripts), so dead exports
// can be removed. The public API (api/index.ts and what it re-exports) counts as used.
// Usage: node scripts/unused-exports.mjs   (exit 1 when there are any)
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
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
  const base = path.resolve(path.dirname(from), spec);
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
let n = 0;
for (const [file, names] of exported) {
  if (!/^(api|core|schemas|store|exchanges|simulator|recorder|replay|analysis|demo|cli)\//.test(path.relative(ROOT, file))) continue;
  const u = used.get(file) ?? new Set();
  if (u.has('*')) continue;
  for (const name of names) {
    if (u.has(name)) continue;
    // used inside its own file only: still an export nobody imports
    console.log(`${path.relative(ROOT, file)}: ${name}`);
    n++;
  }
}
console.error(`${n} exported names nobody imports`);
process.exitCode = n ? 1 : 0;
