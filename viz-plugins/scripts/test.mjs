/**
 * Run the plugin tests with node:test. Test sources are TypeScript, so they
 * are bundled by esbuild into a temporary folder first (Node 20 cannot strip
 * types). Extra arguments are passed to `node --test`.
 *
 * The reference test reads SciPy's values from the file named by
 * STATS_REFERENCE; pytest (tests/viz_plugins/test_stats_reference.py)
 * computes that table and runs this script, so one command checks both sides.
 */
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function testFiles() {
  return readdirSync(ROOT, { withFileTypes: true })
    .filter(entry => entry.isDirectory() && entry.name !== 'node_modules')
    .flatMap(entry => {
      const dir = path.join(ROOT, entry.name, 'test');
      try {
        return readdirSync(dir)
          .filter(name => name.endsWith('.test.ts'))
          .map(name => path.join(dir, name));
      } catch {
        return [];
      }
    });
}

const outdir = mkdtempSync(path.join(os.tmpdir(), 'viz-plugins-tests-'));
try {
  const entries = testFiles();
  await build({
    absWorkingDir: ROOT,
    entryPoints: entries,
    outdir,
    outbase: ROOT,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: ['node20'],
    packages: 'external',
    logLevel: 'warning',
  });
  const built = entries.map(entry =>
    path.join(outdir, path.relative(ROOT, entry).replace(/\.ts$/, '.mjs')),
  );
  const result = spawnSync(process.execPath, ['--test', ...process.argv.slice(2), ...built], {
    stdio: 'inherit',
  });
  process.exitCode = result.status ?? 1;
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
