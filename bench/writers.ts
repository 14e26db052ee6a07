// Child process: plays the autopilot's writers with the simulator (src/simulator), at a bench rate:
// a tick every 100 ms rewrites every JSON document (temp file + rename) and appends lines to both
// JSONL logs; the roadmap is left alone and the log not rotated, so figures stay comparable.
// Reports what it did on 'stop'.
import { AutopilotSimulator } from '../src/simulator/autopilot.js';

const root = process.argv[2]!;
const linesPerSecond = Number(process.argv[3] ?? 1000);
const TICK_MS = 100;
const perTick = Math.round((linesPerSecond * TICK_MS) / 1000);

const sim = new AutopilotSimulator({ root, seed: 7, tickMs: TICK_MS, decisionsPerTick: perTick, executionsPerTick: perTick, roadmapEveryTicks: 0, rotateEveryTicks: 0 });

process.on('message', async (msg) => {
  if (msg !== 'stop') return;
  const s = await sim.stop();
  const stats = { ticks: s.ticks, rewrites: s.documentWrites, decisionLines: s.decisions, executionLines: s.executions, lateTicks: s.lateTicks, startedAt: s.startedAt, stoppedAt: s.stoppedAt };
  process.send!(stats, () => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
await sim.start();
process.send!('ready');
