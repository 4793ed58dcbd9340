// Compares the TYPES of the Node SDK's public surface with the official @scalekit-sdk/node's .d.ts,
// so that code written against the official typings compiles unchanged (tsc --strict) against ours.
//
// Both packages' typings load into one TypeScript program (the official one installed with its
// dependencies, so axios / @connectrpc/connect / @bufbuild/protobuf types are real). For every
// export in scope (MODULES) the official type is compared with ours of the same name, member by
// member and recursively, in the direction values flow:
//   - what user code reads (properties, return types, answer types): ours must be assignable to
//     the official type — an official `number` read as ours `number | undefined` is a difference;
//   - what user code passes (parameters, option objects): the official type must be assignable to
//     ours — a parameter official leaves optional but ours requires, or an option ours does not
//     accept (an object literal's excess property), is a difference;
//   - exported types (interfaces, aliases) are checked both ways.
// Classes compare structurally (public members only; the official classes' private fields would
// make them nominal), constructors and statics included; generic type parameters of ours match
// anything. Each difference is `{ key, where, text }`: key names the export and member
// (`ScalekitServerException#httpStatus`), where the path inside its type.
//
// Run by scripts/sdk_parity.mjs (`compareTypes(officialLib, oursLib)`), which prints the differences
// and fails --strict on any the baseline gives no reason for; tests/node/sdk_parity.test.mjs
// checks on small packages that it notices what it should.
import { join } from 'node:path';
import ts from 'typescript';

/**
 * What is compared: official module (under lib/) → ours (under lib/), and which exports: '*' all
 * (each missing one is a difference), a list, or 'common' (the protobuf modules: those ours
 * declares; the official messages of RPCs AgentKit does not call are only counted, `notDeclared`).
 * `alsoPresent`: a module whose every export ours must also export here (the root re-exports the
 * errors).
 */
export const MODULES = [
  { official: 'errors/index', ours: 'errors', names: '*' },
  { official: 'tools', ours: 'tools', names: '*' },
  { official: 'connected-accounts', ours: 'connected-accounts', names: '*' },
  { official: 'actions', ours: 'actions', names: '*' },
  { official: 'scalekit', ours: 'scalekit', names: '*' },
  { official: 'index', ours: 'index', names: ['ScalekitClient', 'Scalekit', 'default', 'ScalekitOptions'], alsoPresent: 'errors/index' },
  { official: 'pkg/grpc/scalekit/v1/connected_accounts/connected_accounts_pb', ours: 'pkg/grpc/scalekit/v1/connected_accounts/connected_accounts_pb', names: 'common' },
  { official: 'pkg/grpc/scalekit/v1/tools/tools_pb', ours: 'pkg/grpc/scalekit/v1/tools/tools_pb', names: 'common' },
];
/** Only these members of the root client belong to AgentKit (the rest: SSO, directory, users…). */
export const CLIENT_MEMBERS = new Set(['constructor', 'verifyWebhookPayload', 'tools', 'connectedAccounts', 'actions']);
/** Sub-clients whose constructors take the official SDK's internal transport objects. */
const INTERNAL_CONSTRUCTORS = new Set(['ToolsClient', 'ConnectedAccountsClient', 'ActionsClient']);

const OUT = 'out'; // ours flows to code typed with the official type (src = ours)
const IN = 'in'; // official-typed values flow into ours (src = official)
const flip = (dir) => (dir === OUT ? IN : OUT);
const MAX_DEPTH = 14;

function program(files) {
  return ts.createProgram(files, {
    strict: true, skipLibCheck: true, noEmit: true, types: [], target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
  });
}

function comparer(checker) {
  const str = (t) => {
    const s = checker.typeToString(t, undefined, ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseAliasDefinedOutsideCurrentScope);
    return s.length > 160 ? `${s.slice(0, 157)}...` : s;
  };
  const isPublic = (sym) => {
    if (sym.name.startsWith('#') || sym.name.startsWith('__@')) return false;
    return !(sym.declarations ?? []).some((d) => ts.getCombinedModifierFlags(d) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected));
  };
  const optional = (sym) => (sym.flags & ts.SymbolFlags.Optional) !== 0;
  const nullish = (t) => (t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null | ts.TypeFlags.Void)) !== 0;
  const isObject = (t) => t.isIntersection() || ((t.flags & ts.TypeFlags.Object) !== 0);
  const promised = (t) => (t.symbol?.name === 'Promise' && (ts.getObjectFlags(t) & ts.ObjectFlags.Reference) ? checker.getTypeArguments(t)[0] : null);
  const callable = (t) => isObject(t) && checker.getSignaturesOfType(t, ts.SignatureKind.Call).length > 0
    && checker.getPropertiesOfType(t).filter(isPublic).length === 0;
  const hasTypeParameter = (t) => (t.flags & ts.TypeFlags.TypeParameter) !== 0;
  const stringIndex = (t) => checker.getIndexInfosOfType(t).find((i) => i.keyType.flags & ts.TypeFlags.String);
  /** One difference for the whole of `src` (a type, or the members of a union that do not fit). */
  const leaf = (src, dst, dir) => {
    const from = Array.isArray(src) ? src.map(str).join(' | ') : str(src);
    const text = dir === OUT
      ? `ours ${from} where the official typings give ${str(dst)}`
      : `the official typings pass ${from}, ours accepts ${str(dst)}`;
    return [{ where: '', text }];
  };
  // What user code may write as an object literal (excess properties are errors there): option
  // objects and the official package's own types, not instances of classes or other packages' types.
  const literalLike = (t) => {
    const parts = t.isIntersection() ? t.types : [t];
    return parts.every((p) => {
      const sym = p.aliasSymbol ?? p.symbol;
      if (!sym || (sym.flags & ts.SymbolFlags.Class)) return !sym;
      return (sym.declarations ?? []).every((d) => {
        const f = d.getSourceFile().fileName;
        return !f.includes('/node_modules/') || /\/node_modules\/@(scalekit-sdk|bufbuild)\//.test(f);
      });
    });
  };
  const at = (seg, problems) => problems.map((p) => ({ ...p, where: `${seg}${p.where}` }));

  const memo = new Map();
  const ids = new Map();
  const id = (t) => { if (!ids.has(t)) ids.set(t, ids.size); return ids.get(t); };
  /** Pairs (ours, official) of classes compared member by member on their own. */
  const classPairs = new Set();
  const anyType = (t) => (t.flags & ts.TypeFlags.Any) !== 0;

  /** Differences that keep `src` from being used where `dst` is expected ([] when it fits). */
  function fits(src, dst, dir, depth = 0) {
    if (hasTypeParameter(dir === OUT ? src : dst)) return []; // ours is generic there: any instantiation
    // Official `any` read by user code allows anything (`err.errDetails.foo`); ours must be any too.
    if (dir === OUT && anyType(dst) && !anyType(src)) return leaf(src, dst, dir);
    if (classPairs.has(dir === OUT ? `${id(src)}>${id(dst)}` : `${id(dst)}>${id(src)}`)) return [];
    if (checker.isTypeAssignableTo(src, dst)) return [];
    if (depth > MAX_DEPTH) return leaf(src, dst, dir);
    const key = `${dir}:${id(src)}>${id(dst)}`;
    if (memo.has(key)) return memo.get(key) ?? []; // null: being compared (a recursive type)
    memo.set(key, null);
    const result = compare(src, dst, dir, depth + 1);
    memo.set(key, result);
    return result;
  }

  function compare(src, dst, dir, depth) {
    // A union source: each member must fit (undefined in ours where official has none is a leaf).
    if (src.isUnion()) {
      const bad = src.types.map((m) => [m, fits(m, dst, dir, depth)]).filter(([, p]) => p.length);
      if (!bad.length) return [];
      const objects = bad.filter(([m]) => isObject(m) && !callable(m));
      const others = bad.filter(([m]) => !(isObject(m) && !callable(m)));
      if (objects.length > 1 && dst.isUnion()) return leaf(src, dst, dir);
      // The members that do not fit: objects with their own differences, the rest as one leaf.
      const rest = others.length ? leaf(others.length === src.types.length ? src : others.map(([m]) => m), dst, dir) : [];
      return [...rest, ...objects.flatMap(([, p]) => p)];
    }
    if (dst.isUnion()) {
      const tries = dst.types.filter((m) => !nullish(m)).map((m) => fits(src, m, dir, depth));
      if (tries.some((p) => !p.length)) return [];
      if (isObject(src)) {
        const candidates = dst.types.filter((m) => !nullish(m) && isObject(m));
        if (candidates.length === 1) return fits(src, candidates[0], dir, depth);
      }
      return leaf(src, dst, dir);
    }
    const [ps, pd] = [promised(src), promised(dst)];
    if (ps && pd) return at('→Promise', fits(ps, pd, dir, depth));
    if (checker.isArrayType(src) && checker.isArrayType(dst)) {
      return at('[]', fits(checker.getTypeArguments(src)[0], checker.getTypeArguments(dst)[0], dir, depth));
    }
    if (callable(src) && callable(dst)) {
      return signatures(checker.getSignaturesOfType(src, ts.SignatureKind.Call), checker.getSignaturesOfType(dst, ts.SignatureKind.Call), dir, depth);
    }
    if (isObject(src) && isObject(dst) && !callable(src) && !callable(dst)) return members(src, dst, dir, depth);
    return leaf(src, dst, dir);
  }

  /** Object members: what a reader of `dst` uses must be in `src`; what a writer puts in must be accepted. */
  function members(src, dst, dir, depth) {
    const problems = [];
    const srcProps = new Map(checker.getPropertiesOfType(src).filter(isPublic).map((p) => [p.name, p]));
    const dstProps = new Map(checker.getPropertiesOfType(dst).filter(isPublic).map((p) => [p.name, p]));
    for (const [name, d] of dstProps) {
      const s = srcProps.get(name);
      if (dir === OUT) {
        if (!s) { problems.push({ where: `.${name}`, text: 'missing in ours' }); continue; }
        let sType = checker.getTypeOfSymbol(s);
        if (optional(s) && !optional(d)) {
          problems.push({ where: `.${name}`, text: 'optional in ours, required in the official typings' });
          sType = checker.getNonNullableType(sType);
        }
        problems.push(...at(`.${name}`, fits(sType, checker.getTypeOfSymbol(d), dir, depth)));
      } else {
        // dst is ours: a property it requires must be given by every official-typed value.
        let sType = s && checker.getTypeOfSymbol(s);
        if (!optional(d) && (!s || optional(s))) {
          problems.push({ where: `.${name}`, text: s ? 'required in ours, optional in the official typings' : 'required in ours, not in the official typings' });
          if (s) sType = checker.getNonNullableType(sType);
        }
        if (s) problems.push(...at(`.${name}`, fits(sType, checker.getTypeOfSymbol(d), dir, depth)));
      }
    }
    if (dir === IN && !stringIndex(dst) && literalLike(src)) {
      for (const name of srcProps.keys()) {
        if (!dstProps.has(name)) problems.push({ where: `.${name}`, text: 'not accepted by ours (the official typings take it)' });
      }
    }
    const [si, di] = [stringIndex(src), stringIndex(dst)];
    if (di && si) problems.push(...at('[string]', fits(si.type, di.type, dir, depth)));
    else if (di && dir === OUT) problems.push({ where: '[string]', text: 'the official type has a string index signature, ours has none' });
    const [sc, dc] = [checker.getSignaturesOfType(src, ts.SignatureKind.Call), checker.getSignaturesOfType(dst, ts.SignatureKind.Call)];
    if (dc.length) problems.push(...signatures(sc, dc, dir, depth));
    return problems;
  }

  /** Every `dst` signature must be met by one of `src`'s (src and dst as in `fits`). */
  function signatures(srcSigs, dstSigs, dir, depth, { returns = true } = {}) {
    const problems = [];
    for (const [k, d] of dstSigs.entries()) {
      const label = dstSigs.length > 1 ? `(overload ${k + 1})` : '';
      if (!srcSigs.length) { problems.push({ where: label, text: 'not callable in ours' }); continue; }
      const tries = srcSigs.map((s) => signature(s, d, dir, depth, returns));
      if (tries.some((p) => !p.length)) continue;
      problems.push(...at(label, tries.reduce((a, b) => (b.length < a.length ? b : a))));
    }
    return problems;
  }

  function signature(s, d, dir, depth, returns) {
    const problems = [];
    const sParams = s.getParameters();
    const dParams = d.getParameters();
    const isOptional = (p) => {
      const decl = p.valueDeclaration;
      return !!(decl && ts.isParameter(decl) && (decl.questionToken || decl.initializer || decl.dotDotDotToken));
    };
    // The side whose callers are the official-typed code: with OUT, dst is official (callers pass
    // what it allows); with IN, src is official (ours calls it, e.g. a callback).
    for (const [i, dp] of dParams.entries()) {
      const sp = sParams[i];
      const where = `(${dp.name})`;
      if (!sp) {
        if (dir === OUT) problems.push({ where, text: `ours takes no parameter ${i + 1}` });
        continue;
      }
      const sType = checker.getTypeOfSymbol(sp);
      let dType = checker.getTypeOfSymbol(dp);
      if (dir === OUT && isOptional(dp) && !isOptional(sp)) {
        problems.push({ where, text: 'required in ours, optional in the official typings' });
        dType = checker.getNonNullableType(dType);
      }
      if (dir === IN && isOptional(sp) && !isOptional(dp)) problems.push({ where, text: 'ours may leave it out, the official typings always pass it' });
      // Parameters flow the other way: what the caller of dst passes goes into src.
      problems.push(...at(where, fits(dType, sType, flip(dir), depth)));
    }
    for (const sp of sParams.slice(dParams.length)) {
      if (!isOptional(sp)) problems.push({ where: `(${sp.name})`, text: dir === OUT ? 'an extra parameter ours requires' : 'an extra parameter the official typings require' });
    }
    if (returns) problems.push(...at('→', fits(s.getReturnType(), d.getReturnType(), dir, depth)));
    return problems;
  }

  return { fits, signatures, isPublic, str, pairClasses: (ours, official) => classPairs.add(`${id(ours)}>${id(official)}`) };
}

/** Both packages' export symbols of a module, by name (aliases resolved). */
function exportsOf(checker, sourceFile) {
  const moduleSymbol = sourceFile && checker.getSymbolAtLocation(sourceFile);
  const out = new Map();
  for (const sym of moduleSymbol ? checker.getExportsOfModule(moduleSymbol) : []) {
    out.set(sym.name, sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym);
  }
  return out;
}

/**
 * Type differences between the official typings under `officialLib` and ours under `oursLib`
 * (over `modules`, MODULES by default):
 * `{ differences: [{ key, where, text }], compared, notDeclared: [name] }` (notDeclared: names of
 * the protobuf modules' exports outside the AgentKit calls that ours does not declare).
 */
export function compareTypes(officialLib, oursLib, modules = MODULES) {
  const file = (lib, mod) => join(lib, `${mod}.d.ts`);
  const files = modules.flatMap((m) => [file(officialLib, m.official), file(oursLib, m.ours)]);
  const prog = program(files);
  const checker = prog.getTypeChecker();
  const { fits, signatures, isPublic, pairClasses } = comparer(checker);
  const differences = [];
  const notDeclared = [];
  const done = new Set();
  const todo = [];
  let compared = 0;
  const add = (key, problems) => {
    for (const p of problems) differences.push({ key, where: p.where, text: p.text });
  };

  /** The class (or interface) that declares `prop`: inherited members are keyed there, once. */
  const owner = (prop, fallback) => {
    const parent = prop.declarations?.[0]?.parent;
    return parent && (ts.isClassDeclaration(parent) || ts.isInterfaceDeclaration(parent)) && parent.name ? parent.name.text : fallback;
  };
  const compareClass = (name, off, ours) => {
    const offType = checker.getDeclaredTypeOfSymbol(off);
    const ourType = checker.getDeclaredTypeOfSymbol(ours);
    const only = name === 'ScalekitClient' ? CLIENT_MEMBERS : null;
    // Instance members, one key each.
    const ourProps = new Map(checker.getPropertiesOfType(ourType).map((p) => [p.name, p]));
    for (const p of checker.getPropertiesOfType(offType).filter(isPublic)) {
      if (only && !only.has(p.name)) continue;
      compared += 1;
      const key = `${owner(p, name)}#${p.name}`;
      const q = ourProps.get(p.name);
      if (!q) { add(key, [{ where: '', text: 'missing in ours' }]); continue; }
      const problems = [];
      let qType = checker.getTypeOfSymbol(q);
      if ((q.flags & ts.SymbolFlags.Optional) && !(p.flags & ts.SymbolFlags.Optional)) {
        problems.push({ where: '', text: 'optional in ours, required in the official typings' });
        qType = checker.getNonNullableType(qType);
      }
      problems.push(...fits(qType, checker.getTypeOfSymbol(p), OUT));
      add(key, problems);
    }
    // Static side: constructor and static members.
    const offStatic = checker.getTypeOfSymbol(off);
    const ourStatic = checker.getTypeOfSymbol(ours);
    if (!INTERNAL_CONSTRUCTORS.has(name) && (!only || only.has('constructor'))) {
      compared += 1;
      const problems = signatures(checker.getSignaturesOfType(ourStatic, ts.SignatureKind.Construct),
        checker.getSignaturesOfType(offStatic, ts.SignatureKind.Construct), OUT, 0, { returns: false });
      add(`${name}.constructor`, problems);
    }
    const ourStatics = new Map(checker.getPropertiesOfType(ourStatic).map((p) => [p.name, p]));
    for (const p of checker.getPropertiesOfType(offStatic).filter(isPublic)) {
      if (p.name === 'prototype' || (only && !only.has(p.name))) continue;
      compared += 1;
      const q = ourStatics.get(p.name);
      add(`${owner(p, name)}.${p.name}`, q ? fits(checker.getTypeOfSymbol(q), checker.getTypeOfSymbol(p), OUT) : [{ where: '', text: 'missing in ours' }]);
    }
  };

  const compareExport = (key, off, ours) => {
    const kind = off.flags;
    if (kind & ts.SymbolFlags.Class) {
      if (!(ours.flags & ts.SymbolFlags.Class)) { add(key, [{ where: '', text: 'a class in the official typings, not in ours' }]); return; }
      compareClass(key, off, ours);
      return;
    }
    if (kind & ts.SymbolFlags.Enum) {
      compared += 1;
      // Enums of two declarations relate by member names and values: compare those.
      const values = (sym) => new Map(checker.getPropertiesOfType(checker.getTypeOfSymbol(sym))
        .map((m) => [m.name, checker.getConstantValue(m.valueDeclaration)]));
      if (!(ours.flags & ts.SymbolFlags.Enum)) { add(key, [{ where: '', text: 'an enum in the official typings, not in ours' }]); return; }
      const [o, q] = [values(off), values(ours)];
      for (const [member, value] of o) {
        if (!q.has(member)) add(key, [{ where: `.${member}`, text: 'missing in ours' }]);
        else if (q.get(member) !== value) add(key, [{ where: `.${member}`, text: `ours ${q.get(member)}, official ${value}` }]);
      }
      for (const [member, value] of q) {
        if (!o.has(member)) add(key, [{ where: `.${member}`, text: `ours only (= ${value}): a value the official type does not have, so a read enum is not assignable to it` }]);
      }
      return;
    }
    if (kind & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias)) {
      compared += 1;
      if (!(ours.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias | ts.SymbolFlags.Class | ts.SymbolFlags.Enum))) {
        add(key, [{ where: '', text: 'a type in the official typings, not in ours' }]);
        return;
      }
      const [o, q] = [checker.getDeclaredTypeOfSymbol(off), checker.getDeclaredTypeOfSymbol(ours)];
      add(key, fits(q, o, OUT).map((p) => ({ ...p, text: `read: ${p.text}` })));
      add(key, fits(o, q, IN).map((p) => ({ ...p, text: `written: ${p.text}` })));
      return;
    }
    if (kind & (ts.SymbolFlags.Variable | ts.SymbolFlags.Function)) {
      compared += 1;
      add(key, fits(checker.getTypeOfSymbol(ours), checker.getTypeOfSymbol(off), OUT));
    }
  };

  for (const m of modules) {
    if (!prog.getSourceFile(file(officialLib, m.official))) throw new Error(`official typings not found: ${file(officialLib, m.official)}`);
    const off = exportsOf(checker, prog.getSourceFile(file(officialLib, m.official)));
    const ours = exportsOf(checker, prog.getSourceFile(file(oursLib, m.ours)));
    const prefix = m.official === 'index' ? '' : `lib/${m.ours}: `;
    const also = m.alsoPresent ? exportsOf(checker, prog.getSourceFile(file(officialLib, m.alsoPresent))) : new Map();
    for (const name of also.keys()) {
      if (!ours.has(name)) differences.push({ key: name, where: '', text: `not exported by ours from lib/${m.ours}` });
    }
    const names = m.names === '*' || m.names === 'common' ? [...off.keys()] : m.names;
    for (const name of names) {
      const o = off.get(name);
      if (!o) continue;
      const q = ours.get(name);
      if (!q) {
        if (m.names === 'common') notDeclared.push(`${m.ours.split('/').pop()}.${name}`);
        else differences.push({ key: `${prefix}${name}`, where: '', text: `not exported by ours from lib/${m.ours}` });
        continue;
      }
      // One comparison per official declaration (re-exports and `default` of the same class).
      const className = (o.flags & ts.SymbolFlags.Class) && o.declarations?.find(ts.isClassDeclaration)?.name?.text;
      if (done.has(o)) continue;
      done.add(o);
      todo.push([className || `${prefix}${name}`, o, q]);
      // A property typed with a class compared here (scalekit.actions) is not compared again.
      if (className && (q.flags & ts.SymbolFlags.Class)) pairClasses(checker.getDeclaredTypeOfSymbol(q), checker.getDeclaredTypeOfSymbol(o));
    }
  }
  for (const [display, o, q] of todo) compareExport(display, o, q);
  const seen = new Set();
  const unique = differences.filter((d) => {
    const k = `${d.key}|${d.where}|${d.text}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return { differences: unique, compared, notDeclared };
}
