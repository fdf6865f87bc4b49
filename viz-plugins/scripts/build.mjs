/**
 * Build every plugin into one ES module in the Python package's bundles/.
 *
 *   node scripts/build.mjs                # write superset_divolte/viz_plugins/bundles
 *   node scripts/build.mjs --outdir DIR   # write elsewhere (the staleness test)
 *
 * Output is unminified and deterministic, so the committed bundle can be
 * compared byte for byte with a fresh build.
 */
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedModulesPlugin } from './shared-modules.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_OUTDIR = path.resolve(ROOT, '..', 'superset_divolte', 'viz_plugins', 'bundles');

/** One entry per plugin folder: its entry point and its bundle's file name. */
export const PLUGINS = [
  { entry: 'experiment-chart/src/index.ts', bundle: 'experiment-chart.js' },
  { entry: 'cohort-triangle/src/index.ts', bundle: 'cohort-triangle.js' },
];

function outdirFromArgs(argv) {
  const i = argv.indexOf('--outdir');
  return i >= 0 && argv[i + 1] ? path.resolve(argv[i + 1]) : DEFAULT_OUTDIR;
}

export async function buildAll(outdir) {
  for (const plugin of PLUGINS) {
    await build({
      absWorkingDir: ROOT,
      entryPoints: [path.join(ROOT, plugin.entry)],
      outfile: path.join(outdir, plugin.bundle),
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: ['es2020'],
      // Classic JSX against the host's React: Superset 6.1.0 shares react
      // but not react/jsx-runtime.
      jsx: 'transform',
      jsxFactory: 'React.createElement',
      jsxFragment: 'React.Fragment',
      charset: 'utf8',
      legalComments: 'none',
      banner: {
        js: '// Built by viz-plugins/scripts/build.mjs from viz-plugins/; do not edit by hand.',
      },
      plugins: [sharedModulesPlugin()],
      logLevel: 'warning',
    });
  }
}

await buildAll(outdirFromArgs(process.argv.slice(2)));
