import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

/** The console's own files: beside this module when run from source, copied beside it by the build. */
function ownAssetsDirectory(): string {
  const candidates = [join(__dirname, 'assets'), join(__dirname, '../../../../src/adapters/console/assets')];
  const found = candidates.find((dir) => existsSync(join(dir, 'console.js')));
  if (found === undefined) throw new Error(`console assets not found (looked in ${candidates.join(', ')})`);
  return found;
}

function packageFile(specifier: string): string {
  return join(dirname(require.resolve('uplot/package.json')), specifier);
}

/**
 * Every file the pages load, read once at start and served by the console itself (no CDN): the
 * console's script and style, and uPlot from its npm package.
 */
export function loadAssets(): ReadonlyMap<string, Asset> {
  const own = ownAssetsDirectory();
  const files: ReadonlyArray<readonly [string, string, string]> = [
    ['console.js', join(own, 'console.js'), 'text/javascript; charset=utf-8'],
    ['console.css', join(own, 'console.css'), 'text/css; charset=utf-8'],
    ['uPlot.iife.min.js', packageFile('dist/uPlot.iife.min.js'), 'text/javascript; charset=utf-8'],
    ['uPlot.min.css', packageFile('dist/uPlot.min.css'), 'text/css; charset=utf-8'],
  ];
  return new Map(files.map(([name, path, type]) => [name, { type, body: readFileSync(path) }]));
}
