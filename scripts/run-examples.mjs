// Runs every example under examples/ (each must exit 0) against the source,
// then the quick start once more against the built package in dist/.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const files = readdirSync(join(root, 'examples'))
  .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
  .sort();
let failed = 0;
for (const file of files) {
  const started = Date.now();
  const result = spawnSync(process.execPath, ['--import', 'tsx', join('examples', file)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: 120_000,
  });
  const ms = Date.now() - started;
  if (result.status === 0) {
    console.log(`ok   examples/${file} (${ms} ms)`);
  } else {
    failed++;
    console.log(`FAIL examples/${file} (exit ${result.status}, ${ms} ms)`);
    console.log(result.stdout);
    console.log(result.stderr);
  }
}
console.log(`examples: ${files.length - failed} of ${files.length} ran cleanly`);
process.exit(failed === 0 ? 0 : 1);
