import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ATTR, OPERATION, SPAN_EVENT } from 'agent-warden';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');

/** README.md, CHANGELOG.md, CONTRIBUTING.md (if present) and every docs/**\/*.md, relative to the root. */
function markdownFiles(): string[] {
  const files = ['README.md', 'CHANGELOG.md', 'CONTRIBUTING.md'].filter((f) => existsSync(join(root, f)));
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) files.push(path);
    }
  };
  walk('docs');
  return files;
}

/** The text outside fenced code blocks (``` or ~~~), with inline code spans blanked. */
function prose(markdown: string): string {
  const lines: string[] = [];
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      lines.push('');
    } else if (marker) {
      fence = marker;
      lines.push('');
    } else lines.push(line);
  }
  return lines.join('\n').replace(/(`+)[^`]*?\1/g, (span) => ' '.repeat(span.length));
}

/** GitHub's heading anchors (github-slugger): lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  const text = markdown.split('\n');
  let fence: string | undefined;
  for (const line of text) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      continue;
    }
    if (marker) {
      fence = marker;
      continue;
    }
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const rendered = heading
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
      .replace(/<[^>]+>/g, '') // inline HTML
      .replace(/[*_~`]/g, (c) => (c === '_' ? c : '')); // emphasis and code markers (underscores are kept)
    const base = rendered
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

/** Every inline link or image target in the prose of a markdown file. */
function links(markdown: string): string[] {
  return [...prose(markdown).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map(
    (m) => m[1]!,
  );
}

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

  it('links every docs page', () => {
    const linked = new Set(links(read('README.md')).map((l) => l.split('#')[0]));
    const pages = markdownFiles().filter((f) => f.startsWith('docs/'));
    expect(pages.filter((page) => !linked.has(page))).toEqual([]);
  });
});

describe('docs', () => {
  it('every relative link in README.md and docs/**/*.md resolves, anchors included', () => {
    const broken: string[] = [];
    const headings = new Map<string, Set<string>>();
    const anchorsOf = (file: string) => {
      let set = headings.get(file);
      if (!set) {
        set = anchors(read(file));
        headings.set(file, set);
      }
      return set;
    };
    for (const file of markdownFiles()) {
      for (const link of links(read(file))) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto:, ...
        const [path = '', anchor] = link.split('#', 2) as [string, string | undefined];
        const target = path === '' ? file : relative(root, join(root, dirname(file), decodeURI(path)));
        const full = join(root, target);
        if (target.startsWith('..') || !existsSync(full)) {
          broken.push(`${file}: ${link} (no such file: ${target})`);
          continue;
        }
        if (anchor !== undefined) {
          if (!statSync(full).isFile() || !target.endsWith('.md')) {
            broken.push(`${file}: ${link} (an anchor into something that is not a markdown file)`);
          } else if (!anchorsOf(target).has(decodeURIComponent(anchor))) {
            broken.push(`${file}: ${link} (no heading '#${anchor}' in ${target})`);
          }
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('concepts.md links to every other docs page', () => {
    const linked = new Set(
      links(read('docs/concepts.md')).map((l) =>
        relative(root, join(root, 'docs', l.split('#')[0] || 'concepts.md')),
      ),
    );
    const pages = markdownFiles().filter((f) => f.startsWith('docs/') && f !== 'docs/concepts.md');
    expect(pages.filter((page) => !linked.has(page))).toEqual([]);
  });

  it('every docs page ends with a "See also" section of links', () => {
    const missing = markdownFiles()
      .filter((f) => f.startsWith('docs/'))
      .filter((f) => {
        const text = read(f);
        const at = text.lastIndexOf('\n## See also\n');
        if (at === -1) return true;
        const tail = text.slice(at + '\n## See also\n'.length);
        return /\n#{1,6} /.test(tail) || links(tail).length === 0;
      });
    expect(missing).toEqual([]);
  });

  it('the GitHub slug rules used above', () => {
    expect([...anchors('## Two kinds of "no"\n## `run.tool()` and *more*\n## A\n## A\n')]).toEqual([
      'two-kinds-of-no',
      'runtool-and-more',
      'a',
      'a-1',
    ]);
    expect([
      ...anchors('# OpenAI SDK adapter — `agent-warden/openai`\n## Scoped budgets: session, user, tenant'),
    ]).toEqual(['openai-sdk-adapter--agent-wardenopenai', 'scoped-budgets-session-user-tenant']);
  });
});

/** The string literals of a union type alias in a source file, e.g. `export type StopCode = | 'a' | 'b';`. */
function unionMembers(path: string, name: string): string[] {
  const body = new RegExp(`type ${name} =([^;]*);`).exec(read(path))?.[1];
  if (!body) throw new Error(`no type ${name} in ${path}`);
  return [...body.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]!);
}

describe('reference pages cover the code', () => {
  it('docs/errors.md has a row for every outcome, stop and thrown error code', () => {
    const rows = new Set([...read('docs/errors.md').matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]!));
    const codes = [
      ...unionMembers('src/errors.ts', 'OutcomeCode'),
      ...unionMembers('src/errors.ts', 'StopCode'),
      ...unionMembers('src/approvals/service.ts', 'ApprovalErrorCode'),
      'closed',
      'no_current_run',
      'config_error',
      'unexpected_model_call',
    ];
    expect(codes.length).toBeGreaterThan(25);
    expect(codes.filter((code) => !rows.has(code))).toEqual([]);
  });

  it('docs/audit.md documents every audit event type', () => {
    const types = [...read('src/audit/types.ts').matchAll(/type: '([a-z_]+)'/g)].map((m) => m[1]!);
    expect(types.length).toBeGreaterThan(15);
    const doc = read('docs/audit.md');
    expect(types.filter((type) => !doc.includes(`\`${type}\``))).toEqual([]);
  });

  it('docs/telemetry.md documents every key of ATTR, OPERATION and SPAN_EVENT', () => {
    const doc = read('docs/telemetry.md');
    const values = [...Object.values(ATTR), ...Object.values(OPERATION), ...Object.values(SPAN_EVENT)];
    expect(values.filter((value) => !doc.includes(`\`${value}\``))).toEqual([]);
  });
});
