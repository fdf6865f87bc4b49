/**
 * esbuild plugin: resolve Superset's shared modules to the globals its
 * frontend defines on window when DYNAMIC_PLUGINS is on, so a plugin bundle
 * uses the host's React and @superset-ui/core instead of shipping its own.
 *
 * Superset stores the module namespace of `import(name)` at
 * window["__superset__/<name>"]; a CommonJS package such as react has its
 * exports both as named properties and under `default`.
 */

/** Named exports each shared module provides to our sources. */
export const SHARED_MODULES = {
  react: [],
  'react-dom': [],
  lodash: [],
  '@superset-ui/core': ['ChartMetadata', 'ChartPlugin', 'buildQueryContext'],
  '@superset-ui/chart-controls': [],
};

const NAMESPACE = 'superset-shared';

function moduleSource(name, exportNames) {
  const key = JSON.stringify(`__superset__/${name}`);
  const lines = [
    `const shared = window[${key}];`,
    'if (!shared) {',
    `  throw new Error(${JSON.stringify(
      `Superset shared module "${name}" is missing: is the DYNAMIC_PLUGINS feature flag on?`,
    )});`,
    '}',
    'const main = shared.default !== undefined ? shared.default : shared;',
    'export default main;',
    ...exportNames.map(
      exportName =>
        `export const ${exportName} = ${JSON.stringify(exportName)} in shared ? ` +
        `shared[${JSON.stringify(exportName)}] : main[${JSON.stringify(exportName)}];`,
    ),
  ];
  return lines.join('\n');
}

export function sharedModulesPlugin() {
  const names = Object.keys(SHARED_MODULES);
  const filter = new RegExp(
    `^(${names.map(n => n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})$`,
  );
  return {
    name: 'superset-shared-modules',
    setup(build) {
      build.onResolve({ filter }, args => ({ path: args.path, namespace: NAMESPACE }));
      build.onLoad({ filter: /.*/, namespace: NAMESPACE }, args => ({
        contents: moduleSource(args.path, SHARED_MODULES[args.path]),
        loader: 'js',
      }));
    },
  };
}
