#!/usr/bin/env node
// Runs every uvu test file in its own Node process (TypeScript through tsx, workspace packages
// from source), two at a time, and ends with one line over all suites: `N passed, N failed, N skipped`.
//
//   node scripts/run-tests.mjs                 all tests
//   node scripts/run-tests.mjs --only valkey   files whose path contains "valkey"
//   node scripts/run-tests.mjs path/to/x.test.ts path/to/dir ...   these files, and every test file under these directories
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { availableParallelism } from 'node:os';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const only = [];
const explicit = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--only') only.push(args[++i]);
  else explicit.push(args[i]);
}

function walk(dir, out) {
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

function named(arg) {
  const path = resolve(process.cwd(), arg);
  let isDirectory;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    process.stderr.write(`run-tests: ${arg} is neither a test file nor a directory (looked for ${path})\n`);
    process.exit(2);
  }
  return isDirectory ? walk(path, []) : [path];
}

let files = explicit.length > 0
  ? explicit.flatMap(named)
  : [...walk(join(root, 'packages'), []), ...walk(join(root, 'test'), [])];
if (only.length > 0) files = files.filter((f) => only.some((o) => relative(root, f).includes(o)));
files.sort();

const FILE_TIMEOUT_MS = Number(process.env.SWITCHYARD_TEST_FILE_TIMEOUT_MS ?? 300_000);
const REPORT_OPEN_HANDLES = join(root, 'scripts/report-open-handles.mjs');
const parallel = Math.max(1, Math.min(Number(process.env.SWITCHYARD_TEST_PARALLEL ?? 2), availableParallelism()));

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--conditions=switchyard-source', '--import', 'tsx', '--import', REPORT_OPEN_HANDLES, file], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    // Past its time limit a file is asked what keeps it alive (report-open-handles.mjs), then killed.
    const timer = setTimeout(() => {
      output += `\n[run-tests] ${relative(root, file)} exceeded ${FILE_TIMEOUT_MS} ms and was killed\n`;
      child.kill('SIGUSR2');
      setTimeout(() => child.kill('SIGKILL'), 2_000).unref();
    }, FILE_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const num = (label) => {
        const m = output.match(new RegExp(`${label}:\\s+(\\d+)`, 'g'));
        return m ? m.reduce((sum, line) => sum + Number(line.match(/(\d+)/)[1]), 0) : 0;
      };
      const total = num('Total');
      const passed = num('Passed');
      const skipped = num('Skipped');
      let failed = Math.max(0, total - passed - skipped);
      // A crash, a timeout or a non-zero exit with nothing counted is one failure, never a pass.
      if ((code !== 0 || signal) && failed === 0) failed = 1;
      resolve({ file, code, signal, output, passed, failed, skipped, ms: Date.now() - started });
    });
  });
}

const results = [];
let next = 0;
async function worker() {
  while (next < files.length) {
    const file = files[next++];
    const r = await runFile(file);
    results.push(r);
    const tag = r.failed > 0 ? 'FAIL' : 'ok  ';
    process.stdout.write(`${tag} ${relative(root, file)}  (${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped, ${(r.ms / 1000).toFixed(1)} s)\n`);
    if (r.failed > 0 || process.env.SWITCHYARD_TEST_VERBOSE === '1' || /SKIPPED|disabled/.test(r.output)) {
      process.stdout.write(r.output.split('\n').map((l) => `    ${l}`).join('\n') + '\n');
    }
  }
}
await Promise.all(Array.from({ length: parallel }, worker));

const sum = (k) => results.reduce((s, r) => s + r[k], 0);
if (files.length === 0) {
  console.log('no test files matched');
  console.log('0 passed, 1 failed');
  process.exit(1);
}
console.log(`\n${sum('passed')} passed, ${sum('failed')} failed, ${sum('skipped')} skipped`);
process.exit(sum('failed') > 0 ? 1 : 0);
