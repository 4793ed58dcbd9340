// Compares the Node SDK's AgentKit typings with the official @scalekit-sdk/node, mechanically.
//
// `node scripts/sdk_parity.mjs [--strict] [--write-baseline]` installs the pinned official package
// (once, into target/official-sdk/), reads both packages' .d.ts files with the TypeScript compiler
// API and prints `Node SDK parity: N official, M compatible` with every gap, then the TYPE
// differences scripts/sdk_type_parity.mjs finds (`Node SDK types: … N differences`, one line each).
// It exits 1 when a method the committed baseline (tests/parity/node-baseline.json) counts as
// compatible is not any more (with --strict also on any gap or type difference the baseline gives
// no reason for).
//
// A method is compatible when ours has it (method or function-valued property) and one of our
// signatures takes each official parameter at the same position under the same name, optional
// where the official one is, and accepts every property of an official object parameter,
// requiring none that the official leaves optional.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { compareTypes } from './sdk_type_parity.mjs';

export const OFFICIAL_VERSION = '2.11.0';
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SCRATCH = join(ROOT, 'target', 'official-sdk', `node-${OFFICIAL_VERSION}`);
const BASELINE = join(ROOT, 'tests', 'parity', 'node-baseline.json');

// The AgentKit classes: official file (under lib/) → class name; ours are all in lib/index.d.ts.
const CLASSES = [
  ['actions.d.ts', 'ActionsClient'],
  ['tools.d.ts', 'ToolsClient'],
  ['connected-accounts.d.ts', 'ConnectedAccountsClient'],
  ['scalekit.d.ts', 'ScalekitClient'],
];
// Only these members of the root client belong to AgentKit; the other clients' constructors take
// the official SDK's internal transport objects, so no user code calls them.
const CLIENT_MEMBERS = new Set(['constructor', 'verifyWebhookPayload']);

/**
 * lib/ of the official package, installed once with its dependencies (their typings — axios,
 * @connectrpc/connect — make the type comparison real) into target/official-sdk/node-<version>/,
 * the folder the Node benchmarks use too.
 */
export function officialPackage() {
  if (!existsSync(join(SCRATCH, '.ready'))) {
    mkdirSync(SCRATCH, { recursive: true });
    writeFileSync(join(SCRATCH, 'package.json'), JSON.stringify({ private: true }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--silent', `@scalekit-sdk/node@${OFFICIAL_VERSION}`], { cwd: SCRATCH, stdio: ['ignore', 'ignore', 'inherit'] });
    writeFileSync(join(SCRATCH, '.ready'), '');
  }
  return join(SCRATCH, 'node_modules', '@scalekit-sdk', 'node', 'lib');
}

/** Properties of a parameter's type (every member of a union or intersection), with optionality. */
function propertiesOf(checker, type) {
  const out = new Map();
  const parts = type.isUnion() ? type.types : [type];
  for (const part of parts) {
    if (part.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)) continue;
    for (const prop of checker.getPropertiesOfType(checker.getApparentType(part))) {
      const optional = (prop.flags & ts.SymbolFlags.Optional) !== 0;
      const seen = out.get(prop.name);
      out.set(prop.name, { optional: seen ? seen.optional || optional : optional });
    }
  }
  return out;
}

function isObjectParam(checker, type) {
  const isObject = (t) => (t.isIntersection() ? t.types.every(isObject)
    : (t.flags & ts.TypeFlags.Object) !== 0 && !checker.isArrayType(t) && t.getCallSignatures().length === 0);
  const parts = (type.isUnion() ? type.types : [type]).filter((t) => !(t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)));
  return parts.length > 0 && parts.every(isObject);
}

/** `{ name: [{ params: [{ name, optional, props }] }] }` for the members of `className` in `file`. */
function surface(file, className, onlyMembers) {
  const program = ts.createProgram([file], { strict: true, skipLibCheck: true, noEmit: true, types: [] });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  let cls;
  ts.forEachChild(source, (node) => {
    if (ts.isClassDeclaration(node) && node.name?.text === className) cls = node;
  });
  if (!cls) return null;
  const classType = checker.getTypeAtLocation(cls);
  const members = {};
  const describe = (signatures) => signatures.map((sig) => ({
    params: sig.getParameters().map((p) => {
      const decl = p.valueDeclaration;
      const type = checker.getTypeOfSymbolAtLocation(p, decl);
      const optional = !!(decl && (decl.questionToken || decl.initializer || decl.dotDotDotToken));
      return { name: p.name, optional, props: isObjectParam(checker, type) ? Object.fromEntries(propertiesOf(checker, type)) : null };
    }),
  }));
  for (const member of cls.members) {
    const name = ts.isConstructorDeclaration(member) ? 'constructor' : member.name?.getText(source);
    if (!name || name.startsWith('_') || name.startsWith('#')) continue;
    if (member.modifiers?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword)) continue;
    if (onlyMembers ? !onlyMembers.has(name) : name === 'constructor') continue;
    let signatures;
    if (name === 'constructor') {
      signatures = checker.getSignaturesOfType(checker.getTypeOfSymbolAtLocation(cls.symbol ?? classType.symbol, cls), ts.SignatureKind.Construct);
      if (!signatures.length) signatures = [checker.getSignatureFromDeclaration(member)];
    } else {
      const symbol = checker.getPropertyOfType(classType, name);
      if (!symbol) continue;
      signatures = checker.getTypeOfSymbolAtLocation(symbol, cls).getCallSignatures();
    }
    if (signatures.length) members[name] = describe(signatures);
  }
  return members;
}

/** Why none of our signatures takes what the official signature takes, or null. */
export function incompatibility(officialSigs, ourSigs) {
  if (!ourSigs) return 'missing';
  let reason = null;
  for (const off of officialSigs) {
    let fits = null;
    for (const ours of ourSigs) {
      const why = signatureGap(off, ours);
      if (!why) { fits = true; break; }
      reason ??= why;
    }
    if (!fits) return reason;
  }
  return null;
}

function signatureGap(off, ours) {
  for (const [i, p] of off.params.entries()) {
    const q = ours.params[i];
    if (!q) return `no parameter ${p.name} at position ${i}`;
    if (q.name !== p.name) return `parameter ${i} is ${q.name}, official ${p.name}`;
    if (p.optional && !q.optional) return `parameter ${p.name} is required, official optional`;
    if (p.props) {
      if (!q.props) return `parameter ${p.name} is not an options object`;
      for (const [prop, { optional }] of Object.entries(p.props)) {
        if (!(prop in q.props)) return `${p.name}.${prop} not accepted`;
        if (optional && !q.props[prop].optional) return `${p.name}.${prop} is required, official optional`;
      }
    }
  }
  for (const q of ours.params.slice(off.params.length)) {
    if (!q.optional) return `extra required parameter ${q.name}`;
  }
  return null;
}

export function compare() {
  const lib = officialPackage();
  const oursFile = join(ROOT, 'bindings-node', 'lib', 'index.d.ts');
  const gaps = {};
  const compatible = [];
  for (const [file, cls] of CLASSES) {
    const only = cls === 'ScalekitClient' ? CLIENT_MEMBERS : null;
    const official = surface(join(lib, file), cls, only) ?? {};
    const ours = surface(oursFile, cls, only) ?? {};
    for (const [name, sigs] of Object.entries(official)) {
      const key = `${cls}.${name}`;
      const why = incompatibility(sigs, Object.hasOwn(ours, name) ? ours[name] : null);
      if (why) gaps[key] = why; else compatible.push(key);
    }
  }
  return { gaps, compatible: compatible.sort(), total: compatible.length + Object.keys(gaps).length };
}

function main() {
  const result = compare();
  console.log(`Node SDK parity (@scalekit-sdk/node ${OFFICIAL_VERSION}): ${result.total} official, ${result.compatible.length} compatible`);
  const baseline = existsSync(BASELINE) ? JSON.parse(readFileSync(BASELINE, 'utf8')) : { compatible: [], exceptions: {} };
  for (const [key, why] of Object.entries(result.gaps)) {
    const reason = baseline.exceptions[key];
    console.log(`  ${key}: ${why}${reason ? `  [accepted: ${reason}]` : ''}`);
  }
  // Types, not only names: each member's and answer type's type against the official .d.ts.
  const types = compareTypes(officialPackage(), join(ROOT, 'bindings-node', 'lib'));
  console.log(`Node SDK types: ${types.compared} official members and types compared, ${types.differences.length} differences`);
  for (const d of types.differences) {
    const reason = baseline.exceptions[`${d.key}${d.where}`];
    console.log(`  ${d.key}${d.where}: ${d.text}${reason ? `  [accepted: ${reason}]` : ''}`);
  }
  if (types.notDeclared.length) {
    console.log(`  (protobuf exports outside the AgentKit calls, not declared by ours: ${types.notDeclared.length})`);
  }
  if (process.argv.includes('--write-baseline')) {
    writeFileSync(BASELINE, `${JSON.stringify({ official: OFFICIAL_VERSION, compatible: result.compatible, exceptions: baseline.exceptions }, null, 2)}\n`);
    return 0;
  }
  const regressed = baseline.compatible.filter((k) => !result.compatible.includes(k));
  if (regressed.length) {
    console.log(`REGRESSION: no longer compatible: ${regressed.join(', ')}`);
    return 1;
  }
  const unexplained = [
    ...Object.keys(result.gaps),
    ...types.differences.map((d) => `${d.key}${d.where}`),
  ].filter((k) => !(k in baseline.exceptions));
  if (unexplained.length && process.argv.includes('--strict')) {
    console.log(`${new Set(unexplained).size} differences without a reason in the baseline (listed above)`);
    return 1;
  }
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main();
