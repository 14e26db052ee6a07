/**
 * Every relative link in README.md and docs/ resolves: the file exists and, when the link names
 * an anchor, the target page has that heading (GitHub's slugs) or an explicit `id`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import GithubSlugger from 'github-slugger';
import { marked, type Token, type Tokens } from 'marked';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/config.js';

const pages = ['README.md', ...readdirSync(path.join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

function walk(tokens: Token[], visit: (t: Token) => void): void {
  for (const t of tokens) {
    visit(t);
    const nested = t as Token & { tokens?: Token[]; items?: Token[]; header?: { tokens: Token[] }[]; rows?: { tokens: Token[] }[][] };
    if (nested.tokens) walk(nested.tokens, visit);
    if (nested.items) walk(nested.items, visit);
    if (nested.header) for (const c of nested.header) walk(c.tokens, visit);
    if (nested.rows) for (const r of nested.rows) for (const c of r) walk(c.tokens, visit);
  }
}

const anchorCache = new Map<string, Set<string>>();
function anchorsOf(file: string): Set<string> {
  let anchors = anchorCache.get(file);
  if (anchors) return anchors;
  const text = readFileSync(file, 'utf8');
  const slugger = new GithubSlugger();
  anchors = new Set<string>();
  walk(marked.lexer(text), (t) => {
    if (t.type === 'heading') anchors!.add(slugger.slug((t as Tokens.Heading).text.replace(/`/g, '')));
  });
  for (const m of text.matchAll(/<a id="([^"]+)"/g)) anchors.add(m[1]!);
  anchorCache.set(file, anchors);
  return anchors;
}

function linksOf(file: string): string[] {
  const hrefs: string[] = [];
  walk(marked.lexer(readFileSync(path.join(REPO_ROOT, file), 'utf8')), (t) => {
    if (t.type === 'link' || t.type === 'image') hrefs.push((t as Tokens.Link).href);
  });
  return hrefs.filter((h) => !/^[a-z]+:/i.test(h));
}

describe('links in README.md and docs/', () => {
  it('docs/ has the pages the README promises', () => {
    expect(pages.length).toBeGreaterThan(10);
  });

  it.each(pages)('%s: every relative link and anchor resolves', (file) => {
    const broken: string[] = [];
    for (const href of linksOf(file)) {
      const [target, anchor] = href.split('#') as [string, string | undefined];
      const resolved = target === '' ? path.join(REPO_ROOT, file) : path.resolve(path.dirname(path.join(REPO_ROOT, file)), decodeURIComponent(target));
      if (!existsSync(resolved)) broken.push(`${href} (no such file)`);
      else if (anchor && resolved.endsWith('.md') && !anchorsOf(resolved).has(anchor)) broken.push(`${href} (no such heading)`);
    }
    expect(broken).toEqual([]);
  });

  it('finds a broken link when there is one', () => {
    const slugger = new GithubSlugger();
    expect(slugger.slug('History (backfill)')).toBe('history-backfill');
    expect(anchorsOf(path.join(REPO_ROOT, 'docs/alerts.md')).has('wvoexporterdown')).toBe(true);
    expect(anchorsOf(path.join(REPO_ROOT, 'docs/alerts.md')).has('no-such-heading')).toBe(false);
  });
});
