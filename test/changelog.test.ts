/** LICENSE and CHANGELOG.md agree with package.json and with what `--version` prints. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXPORTER_VERSION } from '../src/version.js';

const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
const pkg = JSON.parse(read('package.json')) as { version: string; license: string };

describe('release files', () => {
  it("the changelog's newest release is the package version, which --version prints", () => {
    const releases = [...read('CHANGELOG.md').matchAll(/^## \[(\d+\.\d+\.\d+[^\]]*)\] - (\d{4}-\d{2}-\d{2})$/gm)];
    expect(releases.length).toBeGreaterThan(0);
    expect(releases[0]![1]).toBe(pkg.version);
    expect(EXPORTER_VERSION).toBe(pkg.version);
  });

  it('keeps an Unreleased section above the releases (Keep a Changelog)', () => {
    const text = read('CHANGELOG.md');
    expect(text.indexOf('## [Unreleased]')).toBeGreaterThan(-1);
    expect(text.indexOf('## [Unreleased]')).toBeLessThan(text.indexOf(`## [${pkg.version}]`));
  });

  it('LICENSE is the Apache License 2.0 that package.json names', () => {
    expect(pkg.license).toBe('Apache-2.0');
    expect(read('LICENSE')).toMatch(/Apache License\s+Version 2\.0, January 2004/);
  });
});
