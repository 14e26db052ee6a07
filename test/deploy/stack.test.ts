/**
 * Wiring checks between docker-compose.yml, the Prometheus and Alertmanager
 * configs, the Dockerfile and the secret files: the paths one file mounts are
 * the paths the other reads. (`docker compose config`, `promtool check config`
 * and `amtool check-config` validate each file on its own in CI.)
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_RANGE_MS, promtoolArgs } from '../../src/backfill/range.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (rel: string): string => readFileSync(path.join(ROOT, rel), 'utf8');
const load = <T>(rel: string): T => parse(read(rel)) as T;

interface SecretRef {
  source: string;
  target: string;
}
type Mount = string | { type: string; source: string; target: string; read_only?: boolean };
interface Service {
  build?: unknown;
  image?: string;
  user?: string;
  profiles?: string[];
  environment?: Record<string, string>;
  volumes?: Mount[];
  secrets?: SecretRef[];
  ports?: string[];
  command?: string[];
  entrypoint?: string[];
  depends_on?: Record<string, { condition: string }>;
}
interface Compose {
  version?: string;
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
  volumes?: Record<string, unknown>;
}
interface BasicAuth {
  username: string;
  password_file: string;
}
interface PrometheusConfig {
  rule_files: string[];
  alerting: { alertmanagers: { basic_auth?: BasicAuth; static_configs: { targets: string[] }[] }[] };
  scrape_configs: {
    job_name: string;
    scrape_interval?: string;
    authorization?: { type?: string; credentials_file?: string };
    basic_auth?: BasicAuth;
    static_configs?: { targets: string[] }[];
    file_sd_configs?: { files: string[] }[];
    dns_sd_configs?: { names: string[]; type: string; port: number }[];
  }[];
}

const compose = load<Compose>('docker-compose.yml');
const fleet = load<Compose>('docker-compose.fleet.yml');
const prometheus = load<PrometheusConfig>('deploy/prometheus/prometheus.yml');
const alertmanager = read('deploy/alertmanager/alertmanager.yml');

/** `${VAR:-default}` -> default */
const composeDefault = (value: string): string => value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
const secretTargets = (service: string): Map<string, string> =>
  new Map((compose.services[service]?.secrets ?? []).map((s) => [s.source, s.target]));
const SECRETS_DIR = './deploy/secrets';
const BUILT_IMAGE = compose.services.exporter?.image;
/** Where `service` sees the generated-secrets directory (a long-syntax bind of WVO_SECRETS_DIR). */
function secretsMount(file: Compose, service: string): { target: string; read_only?: boolean } | undefined {
  for (const v of file.services[service]?.volumes ?? []) {
    if (typeof v !== 'string' && v.type === 'bind' && composeDefault(v.source) === SECRETS_DIR) return v;
  }
  return undefined;
}
/** The deploy/secrets file a path inside `service` names (undefined: not under its mount). */
function secretFile(file: Compose, service: string, inside: string): string | undefined {
  const target = secretsMount(file, service)?.target;
  if (!target || !inside.startsWith(`${target}/`)) return undefined;
  return inside.slice(target.length + 1);
}
/** The names init-secrets.cjs writes, read from its header comment. */
const INIT_WRITES = [...read('deploy/docker/init-secrets.cjs').matchAll(/^\/\/ {3}(\S+) {2,}/gm)].map((m) => m[1] as string);

describe('docker-compose.yml', () => {
  it('publishes every port on ${WVO_BIND_ADDRESS:-127.0.0.1} only, with no obsolete version key', () => {
    expect(compose.version).toBeUndefined();
    const ports = Object.fromEntries(
      [...Object.entries(compose.services), ...Object.entries(fleet.services)].filter(([, v]) => v.ports).map(([k, v]) => [k, v.ports?.map(composeDefault)]),
    );
    expect(ports).toEqual({
      exporter: ['127.0.0.1:3030:3030'],
      prometheus: ['127.0.0.1:9090:9090'],
      alertmanager: ['127.0.0.1:9093:9093'],
      grafana: ['127.0.0.1:3000:3000'],
      'exporter-demo': ['127.0.0.1:3032:3030'],
      'exporter-b': ['127.0.0.1:3031:3030'],
    });
    for (const [name, service] of [...Object.entries(compose.services), ...Object.entries(fleet.services)]) {
      for (const raw of service.ports ?? []) expect(raw, name).toMatch(/^\$\{WVO_BIND_ADDRESS:-127\.0\.0\.1\}:\$\{WVO_[A-Z_]+_HOST_PORT:-\d+\}:\d+$/);
    }
  });

  it('pins every third-party image; the exporter image is built from this repo', () => {
    expect(BUILT_IMAGE).toBe('wvo-exporter:local');
    for (const [name, service] of [...Object.entries(compose.services), ...Object.entries(fleet.services)]) {
      if (service.image === BUILT_IMAGE || service.image === undefined) continue;
      expect(service.image, name).toMatch(/^[a-z0-9/_.-]+:v?\d+\.\d+\.\d+$/);
    }
    // docker-compose v1 pulls an image it has no build for: both users of the image build it
    expect(compose.services.init?.build).toEqual(compose.services.exporter?.build);
  });

  it('generates every credential in a one-shot init service before anything that reads them starts', () => {
    const init = compose.services.init as Service;
    expect(init.image).toBe(BUILT_IMAGE);
    expect(init.command).toEqual(['node', '/app/init-secrets.cjs', secretsMount(compose, 'init')?.target]);
    expect(secretsMount(compose, 'init')?.read_only).toBeFalsy();
    expect(INIT_WRITES).toEqual(
      expect.arrayContaining(['wvo_token', 'grafana_admin_password', 'prometheus_password', 'alertmanager_password', 'prometheus-web.yml', 'alertmanager-web.yml']),
    );
    for (const file of [compose, fleet]) {
      for (const [name, service] of Object.entries(file.services)) {
        if (name === 'init' || !secretsMount(file, name)) continue;
        expect(secretsMount(file, name)?.read_only, name).toBe(true);
        // directly, or through the service it waits for (simulator -> init)
        const deps = Object.entries(service.depends_on ?? {});
        const waitsForInit = deps.some(([dep, c]) => dep === 'init' && c.condition === 'service_completed_successfully');
        const viaStarted = deps.some(([dep]) => compose.services[dep]?.depends_on?.init?.condition === 'service_completed_successfully');
        expect(waitsForInit || viaStarted, name).toBe(true);
      }
    }
  });

  it('has no default password: Grafana reads the generated one, its datasource the Prometheus one', () => {
    const grafana = compose.services.grafana as Service;
    expect(grafana.environment?.GF_SECURITY_ADMIN_PASSWORD).toBeUndefined();
    expect(secretFile(compose, 'grafana', grafana.environment?.GF_SECURITY_ADMIN_PASSWORD__FILE as string)).toBe('grafana_admin_password');
    expect(read('docker-compose.yml')).not.toMatch(/admin\s*\/\s*admin|:-admin\}.*PASSWORD|PASSWORD:-/);
    const datasource = load<{ datasources: { url: string; basicAuth: boolean; basicAuthUser: string; secureJsonData: Record<string, string> }[] }>(
      'grafana/provisioning/datasources/prometheus.yml',
    ).datasources[0]!;
    expect(datasource.url).toBe('http://prometheus:9090');
    expect(datasource.basicAuth).toBe(true);
    expect(datasource.basicAuthUser).toBe('wvo');
    const file = /^\$__file\{(.+)\}$/.exec(datasource.secureJsonData.basicAuthPassword as string)?.[1];
    expect(secretFile(compose, 'grafana', file as string)).toBe('prometheus_password');
  });

  it('puts Prometheus and Alertmanager behind their own web config, and Prometheus talks to both with basic auth', () => {
    const flag = (service: string) => (compose.services[service]?.command ?? []).find((c) => c.startsWith('--web.config.file='))?.split('=')[1];
    expect(secretFile(compose, 'prometheus', flag('prometheus') as string)).toBe('prometheus-web.yml');
    expect(secretFile(compose, 'alertmanager', flag('alertmanager') as string)).toBe('alertmanager-web.yml');
    const job = (name: string) => prometheus.scrape_configs.find((s) => s.job_name === name);
    const auths: [BasicAuth | undefined, string][] = [
      [prometheus.alerting.alertmanagers[0]?.basic_auth, 'alertmanager_password'],
      [job('alertmanager')?.basic_auth, 'alertmanager_password'],
      [job('prometheus')?.basic_auth, 'prometheus_password'],
    ];
    for (const [auth, expected] of auths) {
      expect(auth?.username).toBe('wvo');
      expect(secretFile(compose, 'prometheus', auth?.password_file as string)).toBe(expected);
    }
  });

  it('mounts the workspace state read-only where the exporter looks for it', () => {
    const exporter = compose.services.exporter as Service;
    expect(exporter.build).toBeDefined();
    const root = exporter.environment?.WVO_WORKSPACE_ROOT as string;
    expect(exporter.environment?.WVO_OBSERVABILITY_HOST).toBe('0.0.0.0');
    const mount = (exporter.volumes ?? []).find((v): v is string => typeof v === 'string' && v.includes(':/workspace'));
    expect(mount).toBeDefined();
    const [source, target, mode] = (mount as string).split(':').slice(-3);
    expect(composeDefault(mount as string)).toBe(`./state:${root}/state:ro`);
    expect(source).toMatch(/state$/);
    expect(target).toBe(`${root}/state`);
    expect(mode).toBe('ro');
  });

  it('gives every exporter and Prometheus the same generated token file', () => {
    const services: [Compose, string][] = [[compose, 'exporter'], [compose, 'exporter-demo'], [fleet, 'exporter-b']];
    for (const [file, name] of services) {
      expect(secretFile(file, name, file.services[name]?.environment?.WVO_OBSERVABILITY_TOKEN_FILE as string), name).toBe('wvo_token');
    }
    for (const name of ['wvo-exporter', 'wvo-demo']) {
      const job = prometheus.scrape_configs.find((s) => s.job_name === name);
      expect(job?.authorization?.type, name).toBe('Bearer');
      expect(secretFile(compose, 'prometheus', job?.authorization?.credentials_file as string), name).toBe('wvo_token');
    }
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
    const volumes = (s: string): Mount[] => compose.services[s]?.volumes ?? [];
    expect(volumes('prometheus')).toEqual(
      expect.arrayContaining([
        './deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
        './deploy/prometheus/rules:/etc/prometheus/rules:ro',
        './deploy/prometheus/targets:/etc/prometheus/targets:ro',
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

describe('traces in the compose stack', () => {
  it('Prometheus stores exemplars, and Grafana starts through wvo-provision.sh on its mounted provisioning', () => {
    expect(compose.services.prometheus?.command).toContain('--enable-feature=exemplar-storage');
    const grafana = compose.services.grafana as Service;
    const [shell, script, ...rest] = grafana.entrypoint ?? [];
    expect(shell).toBe('/bin/sh');
    // the script is inside the provisioning mount, and then runs the image's own entrypoint
    expect(script).toBe('/etc/grafana/provisioning/wvo-provision.sh');
    expect(existsSync(path.join(ROOT, 'grafana/provisioning/wvo-provision.sh'))).toBe(true);
    expect(rest).toEqual(['/run.sh']);
    expect(grafana.environment?.GF_PATHS_PROVISIONING).toMatch(/^\/tmp\//);
    expect(grafana.environment?.WVO_TEMPO_URL).toBe('${WVO_TEMPO_URL:-}');
  });
});

describe('docker-compose.fleet.yml', () => {
  it('adds a second exporter on its own workspace, discovered by the wvo-exporter job', () => {
    const b = fleet.services['exporter-b'] as Service;
    expect(b.image).toBe(BUILT_IMAGE);
    expect(b.environment?.WVO_WORKSPACE_ROOT).toBe(compose.services.exporter?.environment?.WVO_WORKSPACE_ROOT);
    expect(b.volumes).toContainEqual(expect.stringMatching(/^\$\{WVO_WORKSPACE_B_ROOT:\?[^}]+\}\/state:\/workspace\/state:ro$/));
    // the override mounts its target list over the base's empty targets directory
    const targetsDir = (fleet.services.prometheus?.volumes ?? []).find((v): v is string => typeof v === 'string' && v.endsWith(':/etc/prometheus/targets:ro'));
    const source = (targetsDir as string).split(':')[0] as string;
    const listed = readdirSync(path.join(ROOT, source)).filter((f) => f.endsWith('.yml'))
      .flatMap((f) => load<{ targets: string[] }[]>(path.join(source, f)).flatMap((g) => g.targets));
    expect(listed).toEqual(['exporter-b:3030']);
    expect(readdirSync(path.join(ROOT, 'deploy/prometheus/targets')).filter((f) => f.endsWith('.yml'))).toEqual([]);
    const job = prometheus.scrape_configs.find((s) => s.job_name === 'wvo-exporter');
    expect(job?.file_sd_configs?.flatMap((c) => c.files)).toEqual(['targets/*.yml']);
  });
});

describe('compose profiles', () => {
  it('demo: the simulator writes the volume exporter-demo serves, scraped as job wvo-demo', () => {
    const simulator = compose.services.simulator as Service;
    const demo = compose.services['exporter-demo'] as Service;
    expect([simulator.profiles, demo.profiles]).toEqual([['demo'], ['demo']]);
    expect(simulator.command).toEqual(['node', 'dist/cli.js', 'simulate', '--workspace', '/demo']);
    expect(simulator.volumes).toContain('demo-workspace:/demo');
    expect(demo.volumes).toContain(`demo-workspace:${demo.environment?.WVO_WORKSPACE_ROOT}:ro`);
    const job = prometheus.scrape_configs.find((s) => s.job_name === 'wvo-demo');
    expect(job?.dns_sd_configs).toEqual([{ names: ['exporter-demo'], type: 'A', port: 3030 }]);
  });

  it('backfill: OpenMetrics from the workspace, then promtool blocks into the Prometheus volume', () => {
    const backfill = compose.services.backfill as Service;
    const blocks = compose.services['backfill-blocks'] as Service;
    expect([backfill.profiles, blocks.profiles]).toEqual([['backfill'], ['backfill']]);
    expect(backfill.image).toBe(BUILT_IMAGE);
    const out = backfill.command?.[backfill.command.indexOf('--out') + 1];
    expect(backfill.command?.slice(0, 5)).toEqual(['node', 'dist/cli.js', 'backfill', '--workspace', '/workspace']);
    expect(backfill.volumes).toContain('backfill:/backfill');
    expect(blocks.image).toBe(compose.services.prometheus?.image);
    expect([...(blocks.entrypoint ?? []), ...(blocks.command ?? [])]).toEqual(['promtool', 'tsdb', 'create-blocks-from', 'openmetrics', '--max-block-duration=486h', out, '/prometheus']);
    expect(blocks.volumes).toEqual(expect.arrayContaining(['backfill:/backfill:ro', 'prometheus-data:/prometheus']));
    expect(compose.services.prometheus?.volumes).toContain('prometheus-data:/prometheus');
    expect(blocks.depends_on?.backfill?.condition).toBe('service_completed_successfully');
  });
});

describe('prometheus.yml', () => {
  it('scrapes the exporter service every 15s and alerts via the alertmanager service', () => {
    const job = prometheus.scrape_configs.find((s) => s.job_name === 'wvo-exporter');
    expect(job?.static_configs?.flatMap((c) => c.targets)).toEqual(['exporter:3030']);
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
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    expect(dockerfile).toMatch(/^COPY deploy\/docker\/init-secrets\.cjs /m);
    // no "# syntax=" line: BuildKit would fetch a frontend image from a registry
    expect(dockerfile).not.toMatch(/^# *syntax=/m);
    expect(dockerfile).toMatch(/^USER (?!root\b|0\b)\S+/m);
    expect(dockerfile).toMatch(/^COPY state \.\/state$/m);
    expect(dockerfile).toMatch(/WVO_OBSERVABILITY_HOST=0\.0\.0\.0/);
    expect(dockerfile).toMatch(/^EXPOSE 3030$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n?.*CMD \["node"/m);
    // The same node flags as `npm start`.
    const startFlags = (JSON.parse(read('package.json')).scripts.start as string).split(' ').filter((w) => w.startsWith('--'));
    expect(startFlags).toContain('--v8-pool-size=1');
    expect(dockerfile).toMatch(new RegExp(`^CMD \\["node", ${startFlags.map((f) => `"${f}", `).join('')}"dist/cli\\.js"\\]$`, 'm'));
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

describe('compose profiles (issue 23)', () => {
  type Service = { command?: string[]; healthcheck?: { disable?: boolean } };
  const services = () => load<{ services: Record<string, Service> }>('docker-compose.yml').services;

  it('backfill-blocks runs the promtool command backfill prints for the range the backfill service writes', () => {
    const s = services();
    expect(s.backfill!.command).toEqual(expect.arrayContaining(['--from', '15d', '--out', '/backfill/wvo.om']));
    expect(s['backfill-blocks']!.command).toEqual(promtoolArgs('/backfill/wvo.om', '/prometheus', DEFAULT_RANGE_MS));
  });

  it('the simulator, which serves no HTTP, does not inherit the image\'s health check', () => {
    expect(services().simulator!.healthcheck).toEqual({ disable: true });
  });
});
