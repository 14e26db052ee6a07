/**
 * Load-test writer (a child of scripts/load.ts): for `durationMs` rewrites every JSON document
 * `docHz` times a second (alternately temp+rename and a plain in-place writeFile, so the exporter
 * sees torn files), appends `linesPerSec` JSONL lines (the simulator's, src/simulator/lines.ts) split over the two logs (batches cut at a
 * random byte so a line is often half-written, a few deliberately bad lines), and rotates the
 * execution log once. Counters in the documents only ever go up. Reports what it wrote and exits.
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { LineFactory } from '../src/simulator/lines.js';
import { rng } from '../src/simulator/roadmap.js';
import type { WriterConfig, WriterMessage, WriterStats } from './load-protocol.js';

const config = JSON.parse(process.argv[2]!) as WriterConfig;
const send = (m: WriterMessage, then?: () => void) => process.send!(m, undefined, {}, () => then?.());
// Never outlive the parent.
process.on('disconnect', () => process.exit(0));

const abs = (rel: string) => path.join(config.root, rel);
const read = (rel: string) => JSON.parse(readFileSync(abs(rel), 'utf8')) as any;

/** Deterministic PRNG (the simulator's mulberry32): runs are reproducible. */
const rand = rng(0x2f6e2b1);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
// One decimal at most: the final marker (three decimals) can never be written by accident.
const pct = () => Math.round(rand() * 900 + 50) / 10;

const stats: WriterStats = {
  elapsedMs: 0,
  cpuMs: 0,
  docWrites: { atomic: 0, inPlace: 0 },
  decisions: { valid: 0, bad: 0 },
  executions: { summaries: 0, other: 0, bad: 0 },
  splitWrites: 0,
  final: { consensusByType: {}, resolution: {} as WriterStats['final']['resolution'], providers: {} },
};

interface Doc {
  rel: string;
  writes: number;
  next(): unknown;
}

const health = read('state/analytics/autopilot_health_report.json');
const orchestration = read('state/analytics/orchestration_metrics.json');
const resolution = read('state/analytics/resolution_metrics.json');
const resources = read('state/analytics/resource_metrics.json');
const capacity = read('state/analytics/provider_capacity_metrics.json');
const usage = read('state/limits/usage_log.json');
const summary = read('state/telemetry/metrics_summary.json');

const docs: Doc[] = [
  {
    rel: 'state/analytics/autopilot_health_report.json',
    writes: 0,
    next() {
      health.lastCycle++;
      health.generatedAt = new Date().toISOString();
      const latest = health.metricsHistory.at(-1);
      Object.assign(latest, { timestamp: Date.now(), cycle: health.lastCycle, queueDepth: Math.floor(rand() * 30), wipUtilization: Math.round(rand() * 100) / 100 });
      return health;
    },
  },
  {
    rel: 'state/analytics/orchestration_metrics.json',
    writes: 0,
    next() {
      const type = pick(Object.keys(orchestration.byType));
      orchestration.byType[type] += Math.floor(rand() * 2);
      orchestration.totalDecisions = Object.values(orchestration.byType as Record<string, number>).reduce((a, b) => a + b, 0);
      orchestration.updatedAt = new Date().toISOString();
      return orchestration;
    },
  },
  {
    rel: 'state/analytics/resolution_metrics.json',
    writes: 0,
    next() {
      const s = resolution.stats;
      s.totalLoops += 1;
      if (rand() < 0.5) s.closedLoops += 1;
      if (rand() < 0.3) s.closedWithin3 += 1;
      if (rand() < 0.1) s.infiniteLoopCount += 1;
      if (rand() < 0.2) s.incidentCount += 1;
      resolution.updatedAt = new Date().toISOString();
      return resolution;
    },
  },
  {
    rel: 'state/analytics/resource_metrics.json',
    writes: 0,
    next() {
      Object.assign(resources, { timestamp: new Date().toISOString(), cpu_used_pct: pct(), memory_used_pct: pct(), disk_used_pct: pct() });
      return resources;
    },
  },
  {
    rel: 'state/analytics/provider_capacity_metrics.json',
    writes: 0,
    next() {
      const p = pick(capacity.providers as Record<string, any>[]);
      p.totalLimitHits += Math.floor(rand() * 2);
      p.totalRecoveries += Math.floor(rand() * 2);
      p.totalFailovers += Math.floor(rand() * 2);
      p.currentStatus = pick(['healthy', 'degraded', 'down']);
      capacity.lastUpdated = new Date().toISOString();
      return capacity;
    },
  },
  {
    rel: 'state/limits/usage_log.json',
    writes: 0,
    next() {
      for (const p of Object.values(usage.providers as Record<string, any>)) {
        p.usage.current_hour.tokens += Math.floor(rand() * 500);
        p.usage.current_hour.requests += 1;
        p.warnings.percentage_used = pct();
      }
      usage.last_saved = new Date().toISOString();
      return usage;
    },
  },
  {
    rel: 'state/telemetry/metrics_summary.json',
    writes: 0,
    next() {
      summary.generated_at = new Date().toISOString();
      summary.operations.latest_snapshot.diskUsage = pct();
      return summary;
    },
  },
];

function writeDoc(doc: Doc): void {
  const text = `${JSON.stringify(doc.next(), null, 2)}\n`;
  const file = abs(doc.rel);
  if (doc.writes % 2 === 0) {
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
    stats.docWrites.atomic++;
  } else {
    // In place: truncate then write, so a reader can see an empty or half-written file.
    writeFileSync(file, text);
    stats.docWrites.inPlace++;
  }
  doc.writes++;
}

// Valid lines come from the simulator (shapes of the workspace's own lines); bad ones are made here.
const lines = await LineFactory.load(config.root, rand, 'run-load');
let lineNo = 0;

function decisionLine(): string {
  lineNo++;
  if (lineNo % 200 === 0) {
    stats.decisions.bad++;
    // Alternately not JSON at all, and JSON without a string decision: both are bad lines.
    return lineNo % 400 === 0 ? '{"taskId":"T-bad","decision":"APPROVED",' : '{"taskId":"T-bad","decision":42}';
  }
  stats.decisions.valid++;
  return JSON.stringify(lines.decision(Date.now(), `T-${Math.floor(rand() * 50)}`));
}

function executionLine(): string {
  lineNo++;
  if (lineNo % 500 === 1) {
    stats.executions.bad++;
    return '{"type":"execution_summary","agent_type":"codex",\u0000garbage';
  }
  if (lineNo % 97 === 0) {
    stats.executions.other++;
    return JSON.stringify({ timestamp: new Date().toISOString(), type: 'heartbeat', agents_busy: 4, agents_idle: 2 });
  }
  stats.executions.summaries++;
  return JSON.stringify(lines.execution(Date.now(), `T-${Math.floor(rand() * 50)}`));
}

/** An append-only log written through a held descriptor; each batch ends at a random byte of its last line. */
class Log {
  private fd: number;
  private pending = Buffer.alloc(0);
  private reopenAt = 0;
  constructor(readonly file: string) {
    this.fd = openSync(file, 'a');
  }

  append(lines: string[]): void {
    const batch = Buffer.from(`${lines.join('\n')}\n`);
    const data = this.pending.length ? Buffer.concat([this.pending, batch]) : batch;
    if (this.fd === -1) {
      // Rotated a moment ago: the log is absent until the gap has passed.
      if (Date.now() < this.reopenAt) {
        this.pending = data;
        return;
      }
      this.fd = openSync(this.file, 'a');
    }
    // Hold back part of the last line: the exporter must not consume it until it is complete.
    const lastStart = data.lastIndexOf(0x0a, data.length - 2) + 1;
    const cut = lastStart + Math.floor(rand() * (data.length - lastStart));
    writeSync(this.fd, data, 0, cut);
    this.pending = Buffer.from(data.subarray(cut));
    if (cut > lastStart) stats.splitWrites++;
  }

  flush(): void {
    if (this.pending.length === 0) return;
    if (this.fd === -1) this.fd = openSync(this.file, 'a');
    writeSync(this.fd, this.pending);
    this.pending = Buffer.alloc(0);
  }

  /** Completes the last line and renames the file into archives/; a new file appears gapMs later. */
  rotate(to: string, gapMs: number): void {
    this.flush();
    closeSync(this.fd);
    mkdirSync(path.dirname(to), { recursive: true });
    renameSync(this.file, to);
    this.fd = -1;
    this.reopenAt = Date.now() + gapMs;
  }

  close(): void {
    this.flush();
    if (this.fd !== -1) closeSync(this.fd);
  }
}

const decisions = new Log(abs('state/analytics/quality_gate_decisions.jsonl'));
const executions = new Log(abs('state/telemetry/executions.jsonl'));
let linesWritten = 0;
let rotated = false;

function run(): void {
  const t0 = performance.now();
  const tick = () => {
    const elapsed = performance.now() - t0;
    if (elapsed >= config.durationMs) return finish(elapsed);
    const dueDocs = Math.floor((elapsed / 1000) * config.docHz) + 1;
    for (const doc of docs) if (doc.writes < dueDocs) writeDoc(doc);
    const due = Math.floor((elapsed / 1000) * config.linesPerSec) - linesWritten;
    if (due >= 2) {
      const half = Math.floor(due / 2);
      decisions.append(Array.from({ length: half }, decisionLine));
      executions.append(Array.from({ length: half }, executionLine));
      linesWritten += half * 2;
    }
    if (!rotated && elapsed >= config.rotateAtMs) {
      rotated = true;
      stats.rotatedTo = `state/telemetry/archives/executions-load-${Date.now()}.jsonl`;
      executions.rotate(abs(stats.rotatedTo), 300);
    }
    setTimeout(tick, 10);
  };
  tick();
}

function finish(elapsed: number): void {
  decisions.close();
  executions.close();
  stats.elapsedMs = Math.round(elapsed);
  const cpu = process.cpuUsage();
  stats.cpuMs = Math.round((cpu.user + cpu.system) / 1000);
  stats.final.consensusByType = { ...orchestration.byType };
  const s = resolution.stats;
  stats.final.resolution = {
    totalLoops: s.totalLoops,
    closedLoops: s.closedLoops,
    closedWithin3: s.closedWithin3,
    infiniteLoopCount: s.infiniteLoopCount,
    incidentCount: s.incidentCount,
  };
  for (const p of capacity.providers) {
    stats.final.providers[p.provider] = { totalLimitHits: p.totalLimitHits, totalRecoveries: p.totalRecoveries, totalFailovers: p.totalFailovers };
  }
  send({ type: 'done', stats }, () => process.exit(0));
}

process.once('message', (m: { cmd: string }) => {
  if (m.cmd === 'start') run();
});
send({ type: 'ready' });
// Bounded whatever the parent does.
setTimeout(() => process.exit(3), config.durationMs + 60_000).unref();
