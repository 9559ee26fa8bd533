import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('README', () => {
  it('quick start is examples/readme.ts, verbatim (that file is type-checked and run)', () => {
    const readme = read('README.md');
    const example = read('examples/readme.ts');
    expect(readme).toContain(`\`\`\`ts\n${example}\`\`\`\n`);
  });

  it('links only to docs pages that exist', () => {
    const readme = read('README.md');
    const links = [...readme.matchAll(/\]\((docs\/[^)#]+)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(0);
    for (const link of new Set(links)) expect(() => read(link), link).not.toThrow();
  });
});
