import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');

describe('README', () => {
  it('quick start is examples/readme.ts, verbatim (that file is type-checked and run)', () => {
    expect(read('README.md')).toContain(`\`\`\`ts\n${read('examples/readme.ts')}\`\`\`\n`);
  });

  it('shows the span tree that examples/readme.ts really prints', () => {
    const shown = /and `spans\.tree\(\)` prints:\n\n```text\n([\s\S]*?)```/.exec(read('README.md'))?.[1];
    expect(shown).toBeDefined();
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'examples/readme.ts'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(shown);
  });

  it('links only to docs pages that exist', () => {
    const links = [...read('README.md').matchAll(/\]\((docs\/[^)#]+)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(0);
    for (const link of new Set(links)) expect(() => read(link), link).not.toThrow();
  });
});
