/**
 * Wiring checks between docker-compose.yml, the Prometheus and Alertmanager
 * configs, the Dockerfile and the secret files: the paths one file mounts are
 * the paths the other reads. (`docker compose config`, `promtool check config`
 * and `amtool check-config` validate each file on its own in CI.)
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (rel: string): string => readFileSync(path.join(ROOT, rel), 'utf8');
const load = <T>(rel: string): T => parse(read(rel)) as T;

interface SecretRef {
  source: string;
  target: string;
}
interface Service {
  build?: unknown;
  image?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  secrets?: SecretRef[];
  ports?: string[];
  command?: string[];
}
interface Compose {
  version?: string;
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
}
interface PrometheusConfig {
  rule_files: string[];
  alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
  scrape_configs: {
    job_name: string;
    scrape_interval?: string;
    authorization?: { type?: string; credentials_file?: string };
    static_configs: { targets: string[] }[];
  }[];
}

const compose = load<Compose>('docker-compose.yml');
const prometheus = load<PrometheusConfig>('deploy/prometheus/prometheus.yml');
const alertmanager = read('deploy/alertmanager/alertmanager.yml');

/** `${VAR:-default}` -> default */
const composeDefault = (value: string): string => value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
const secretTargets = (service: string): Map<string, string> =>
  new Map((compose.services[service]?.secrets ?? []).map((s) => [s.source, s.target]));

describe('docker-compose.yml', () => {
  it('defines the four services with their ports and no obsolete version key', () => {
    expect(compose.version).toBeUndefined();
    const ports = Object.fromEntries(Object.entries(compose.services).map(([k, v]) => [k, v.ports]));
    expect(ports).toEqual({
      exporter: ['3030:3030'],
      prometheus: ['9090:9090'],
      alertmanager: ['9093:9093'],
      grafana: ['3000:3000'],
    });
  });

  it('pins every third-party image', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.build) continue;
      expect(service.image, name).toMatch(/^[a-z0-9/_.-]+:v?\d+\.\d+\.\d+$/);
    }
  });

  it('mounts the workspace state read-only where the exporter looks for it', () => {
    const exporter = compose.services.exporter as Service;
    expect(exporter.build).toBeDefined();
    const root = exporter.environment?.WVO_WORKSPACE_ROOT as string;
    expect(exporter.environment?.WVO_OBSERVABILITY_HOST).toBe('0.0.0.0');
    const mount = (exporter.volumes ?? []).find((v) => v.includes(':/workspace'));
    expect(mount).toBeDefined();
    const [source, target, mode] = (mount as string).split(':').slice(-3);
    expect(composeDefault(mount as string)).toBe(`./state:${root}/state:ro`);
    expect(source).toMatch(/state$/);
    expect(target).toBe(`${root}/state`);
    expect(mode).toBe('ro');
  });

  it('gives the exporter and Prometheus the same token file', () => {
    const exporterToken = secretTargets('exporter').get('wvo_token');
    expect(compose.services.exporter?.environment?.WVO_OBSERVABILITY_TOKEN_FILE).toBe(exporterToken);
    const job = prometheus.scrape_configs.find((s) => s.job_name === 'wvo-exporter');
    expect(job?.authorization?.type).toBe('Bearer');
    expect(secretTargets('prometheus').get('wvo_token')).toBe(job?.authorization?.credentials_file);
  });

  it('mounts the Alertmanager receiver secrets where alertmanager.yml reads them', () => {
    for (const target of secretTargets('alertmanager').values()) {
      expect(alertmanager).toContain(target);
    }
    const files = [...alertmanager.matchAll(/_file:\s*(\S+)/g)].map((m) => m[1]);
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const file of files) expect([...secretTargets('alertmanager').values()]).toContain(file);
  });

  it('defaults every secret to a committed, empty file', () => {
    for (const [name, secret] of Object.entries(compose.secrets)) {
      const file = path.join(ROOT, composeDefault(secret.file));
      expect(existsSync(file), name).toBe(true);
      expect(statSync(file).size, name).toBe(0);
    }
  });

  it('mounts the Prometheus config next to its rules and the Grafana provisioning', () => {
    const volumes = (s: string): string[] => compose.services[s]?.volumes ?? [];
    expect(volumes('prometheus')).toEqual(
      expect.arrayContaining([
        './deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
        './deploy/prometheus/rules:/etc/prometheus/rules:ro',
      ]),
    );
    expect(volumes('grafana')).toEqual(
      expect.arrayContaining([
        './grafana/provisioning:/etc/grafana/provisioning:ro',
        './grafana/dashboards:/var/lib/grafana/dashboards:ro',
      ]),
    );
  });
});

describe('prometheus.yml', () => {
  it('scrapes the exporter service every 15s and alerts via the alertmanager service', () => {
    const job = prometheus.scrape_configs.find((s) => s.job_name === 'wvo-exporter');
    expect(job?.static_configs.flatMap((c) => c.targets)).toEqual(['exporter:3030']);
    expect(job?.scrape_interval).toBe('15s');
    expect(prometheus.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((c) => c.targets))).toEqual([
      'alertmanager:9093',
    ]);
  });

  it('loads every rule file, by paths relative to itself', () => {
    for (const file of prometheus.rule_files) {
      expect(path.isAbsolute(file)).toBe(false);
      expect(existsSync(path.join(ROOT, 'deploy/prometheus', file)), file).toBe(true);
    }
    expect([...prometheus.rule_files].sort()).toEqual(['rules/alerts.yml', 'rules/recording.yml']);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('builds in one stage and runs production dependencies as a non-root user', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/npm ci\b/);
    expect(dockerfile).toMatch(/npm run build/);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER (?!root\b|0\b)\S+/m);
    expect(dockerfile).toMatch(/^COPY state \.\/state$/m);
    expect(dockerfile).toMatch(/WVO_OBSERVABILITY_HOST=0\.0\.0\.0/);
    expect(dockerfile).toMatch(/^EXPOSE 3030$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n?.*CMD \["node"/m);
    // The same node flags as `npm start`.
    expect(dockerfile).toMatch(/^CMD \["node", ?"--max-semi-space-size=1", ?"--heap-growing-percent=20", ?"dist\/cli\.js"\]$/m);
  });

  it('only sends what it copies to the build context', () => {
    const ignore = read('.dockerignore');
    expect(ignore).toMatch(/^\*$/m);
    for (const copied of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const src of (copied[1] as string).split(/\s+/)) {
        expect(existsSync(path.join(ROOT, src)), src).toBe(true);
        expect(ignore).toMatch(new RegExp(`^!${src.replace(/\./g, '\\.')}/?$`, 'm'));
      }
    }
  });
});
