/**
 * deploy/docker/init-secrets.cjs, the compose `init` service, run for real with node on a temp
 * directory: what a first start generates, what a later start keeps, and that each web config's
 * bcrypt hash is the hash of its password file.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { run } from '../support/process.js';

const SCRIPT = path.resolve(import.meta.dirname, '../../deploy/docker/init-secrets.cjs');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fresh(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wvo-init-'));
  dirs.push(dir);
  return dir;
}
function init(dir: string): string {
  const r = run(process.execPath, [SCRIPT, dir]);
  expect(r.status, r.output).toBe(0);
  return r.output;
}
const contents = (dir: string) => Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
const hashIn = (dir: string, web: string): string => parse(readFileSync(path.join(dir, web), 'utf8')).basic_auth_users.wvo;
const password = (dir: string, name: string) => readFileSync(path.join(dir, name), 'utf8').trim();

describe('init-secrets.cjs', () => {
  it('generates a token, three passwords and two bcrypt web configs, readable by every container user', () => {
    const dir = fresh();
    init(dir);
    const files = contents(dir);
    expect(Object.keys(files)).toEqual([
      'alertmanager-web.yml',
      'alertmanager_password',
      'grafana_admin_password',
      'prometheus-web.yml',
      'prometheus_password',
      'wvo_token',
    ]);
    expect(password(dir, 'wvo_token')).toMatch(/^[0-9a-f]{64}$/);
    const secrets = ['grafana_admin_password', 'prometheus_password', 'alertmanager_password'].map((n) => password(dir, n));
    for (const s of secrets) expect(s).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(new Set(secrets).size).toBe(3);
    for (const [web, pw] of [['prometheus-web.yml', 'prometheus_password'], ['alertmanager-web.yml', 'alertmanager_password']] as const) {
      const hash = hashIn(dir, web);
      expect(hash).toMatch(/^\$2[aby]\$12\$/);
      expect(bcrypt.compareSync(password(dir, pw), hash)).toBe(true);
      expect(bcrypt.compareSync('admin', hash)).toBe(false);
    }
    for (const f of Object.keys(files)) expect(statSync(path.join(dir, f)).mode & 0o777, f).toBe(0o644);
  });

  it('keeps everything on a second start, and two stacks never share a credential', () => {
    const a = fresh();
    init(a);
    const first = contents(a);
    expect(init(a)).toBe('');
    expect(contents(a)).toEqual(first);
    const b = fresh();
    init(b);
    const other = contents(b);
    for (const name of ['wvo_token', 'grafana_admin_password', 'prometheus_password', 'alertmanager_password']) expect(other[name]).not.toBe(first[name]);
  });

  it('keeps a value the operator put there first, fills an empty file, and rehashes a changed password', () => {
    const dir = fresh();
    writeFileSync(path.join(dir, 'wvo_token'), 'my-own-token-0123456789\n');
    writeFileSync(path.join(dir, 'grafana_admin_password'), '');
    writeFileSync(path.join(dir, 'prometheus_password'), 'chosen-password\n');
    init(dir);
    expect(password(dir, 'wvo_token')).toBe('my-own-token-0123456789');
    expect(password(dir, 'grafana_admin_password')).toHaveLength(32);
    expect(bcrypt.compareSync('chosen-password', hashIn(dir, 'prometheus-web.yml'))).toBe(true);

    writeFileSync(path.join(dir, 'prometheus_password'), 'rotated-password\n');
    const amBefore = readFileSync(path.join(dir, 'alertmanager-web.yml'), 'utf8');
    expect(init(dir)).toContain('prometheus-web.yml');
    expect(bcrypt.compareSync('rotated-password', hashIn(dir, 'prometheus-web.yml'))).toBe(true);
    expect(readFileSync(path.join(dir, 'alertmanager-web.yml'), 'utf8')).toBe(amBefore);
  });
});
