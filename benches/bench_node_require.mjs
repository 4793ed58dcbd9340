// Cold `require('@scalekit-sdk/node')`: ours (bindings-node) against the official package, pinned
// and installed into a scratch folder (target/official-sdk/node-<version>/, shared with
// bench_sdk_footprint.py), each in fresh `node -e` processes, runs interleaved, medians.
//
// `node benches/bench_node_require.mjs` (run by `make bench`; BENCH_REQUIRE_RUNS, default 40)
// prints, per row, the time the require itself takes inside the process and the whole process's
// wall time, with the ratio ours/official (below 1: ours loads faster). Figures only, no pass/fail.
// The second row adds the protobuf schemas subpath, where ours builds its schemas on first use.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const OFFICIAL_VERSION = '2.11.0';
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SCRATCH = join(ROOT, 'target', 'official-sdk', `node-${OFFICIAL_VERSION}`);
// BENCH_NODE_OURS: another copy of bindings-node (say an older commit's) to measure instead.
const OURS = process.env.BENCH_NODE_OURS ?? join(ROOT, 'bindings-node');
const RUNS = Number(process.env.BENCH_REQUIRE_RUNS ?? 40);
const PB = 'lib/pkg/grpc/scalekit/v1/connected_accounts/connected_accounts_pb';

function installOfficial() {
  if (existsSync(join(SCRATCH, '.ready'))) return;
  mkdirSync(SCRATCH, { recursive: true });
  writeFileSync(join(SCRATCH, 'package.json'), JSON.stringify({ private: true }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--silent', `@scalekit-sdk/node@${OFFICIAL_VERSION}`], { cwd: SCRATCH, stdio: 'inherit' });
  writeFileSync(join(SCRATCH, '.ready'), '');
}

/** A `node -e` program that runs `requires` (expressions) and prints the milliseconds they took. */
const probe = (requires) => `const t = process.hrtime.bigint(); ${requires.join('; ')}; `
  + 'console.log(Number(process.hrtime.bigint() - t) / 1e6)';
const req = (mod) => `require(${JSON.stringify(mod)})`;

/** One fresh process: [ms inside for the requires, ms wall for the whole process]. */
function once({ code, cwd }) {
  const start = process.hrtime.bigint();
  const run = spawnSync(process.execPath, ['-e', code], { cwd, encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  if (run.status !== 0) throw new Error(`node -e failed (${cwd}): ${run.stderr}`);
  return [Number(run.stdout.trim()), wall];
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Medians of `cases` (name → { code, cwd }), interleaved so machine load drifts hit all alike. */
function measure(cases) {
  const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (const c of Object.values(cases)) once(c); // page cache warm-up
  for (let i = 0; i < RUNS; i += 1) {
    for (const [name, c] of Object.entries(cases)) samples[name].push(once(c));
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, { inside: median(v.map((s) => s[0])), wall: median(v.map((s) => s[1])) }]));
}

installOfficial();
const m = measure({
  bare: { code: probe([]), cwd: ROOT },
  ours: { code: probe([req(OURS)]), cwd: ROOT },
  official: { code: probe([req('@scalekit-sdk/node')]), cwd: SCRATCH },
  // A first use of the schemas: reading one builds ours.
  oursSchemas: { code: probe([req(OURS), `${req(join(OURS, PB))}.ConnectedAccountSchema.typeName`]), cwd: ROOT },
  officialSchemas: { code: probe([req('@scalekit-sdk/node'), `${req(`@scalekit-sdk/node/${PB}`)}.ConnectedAccountSchema.typeName`]), cwd: SCRATCH },
});

const fmt = (x) => `${x.toFixed(1).padStart(7)} ms`;
const row = (label, ours, official) => console.log(
  `${label.padEnd(52)}require ${fmt(ours.inside)}  official ${fmt(official.inside)}  ratio ${(ours.inside / official.inside).toFixed(2)}   `
  + `process ${fmt(ours.wall)}  official ${fmt(official.wall)}  ratio ${(ours.wall / official.wall).toFixed(2)}`,
);
console.log(`Node cold require, median of ${RUNS} fresh processes each (node ${process.version}; bare \`node -e\` process ${fmt(m.bare.wall).trim()})`);
row("require('@scalekit-sdk/node')", m.ours, m.official);
row('  + first use of a schema (ConnectedAccountSchema)', m.oursSchemas, m.officialSchemas);
