/** Messages between scripts/load.ts and its child processes (writer, SSE clients). */

export interface WriterConfig {
  root: string;
  durationMs: number;
  /** Rewrites per second of each JSON document. */
  docHz: number;
  /** JSONL lines per second over both logs (half each). */
  linesPerSec: number;
  /** When the execution log is renamed into archives/ and started afresh. */
  rotateAtMs: number;
}

export interface WriterStats {
  elapsedMs: number;
  cpuMs: number;
  docWrites: { atomic: number; inPlace: number };
  decisions: { valid: number; bad: number };
  executions: { summaries: number; other: number; bad: number };
  /** Lines cut in two across writes (the exporter sees a torn last line). */
  splitWrites: number;
  rotatedTo?: string;
  /** The counter values the documents hold after the last write. */
  final: {
    consensusByType: Record<string, number>;
    resolution: Record<'totalLoops' | 'closedLoops' | 'closedWithin3' | 'infiniteLoopCount' | 'incidentCount', number>;
    providers: Record<string, Record<'totalLimitHits' | 'totalRecoveries' | 'totalFailovers', number>>;
  };
}

export type WriterMessage = { type: 'ready' } | { type: 'done'; stats: WriterStats };

export interface SseConfig {
  url: string;
  clients: number;
  /** How many clients parse every event fully (the rest scan bytes). */
  validators: number;
  /** Bytes that identify the final state (e.g. `"cpuPercent":12.345`). */
  marker: string;
  /** The child exits by itself at this time (epoch ms) whatever happens. */
  hardDeadline: number;
}

export interface SseStats {
  cpuMs: number;
  clients: number;
  connected: number;
  connects: number;
  /** Streams that ended while the test still wanted them (the client then reconnects like EventSource). */
  drops: number;
  badStatus: Record<string, number>;
  connectErrors: number;
  eventsMin: number;
  eventsMax: number;
  eventsTotal: number;
  bytesTotal: number;
  validatedEvents: number;
  malformed: string[];
  malformedCount: number;
  sawMarker: number;
  /** Clients that saw the marker before it was written: impossible unless the marker is not unique. */
  earlyMarker: number;
  markerDelayMsMax: number;
  markerDelayMsP50: number;
}

/** `stop` ends reconnecting but leaves the streams open (the exporter is then stopped under them); `close` exits. */
export type SseCommand = { cmd: 'marker'; writtenAt: number; timeoutMs: number } | { cmd: 'stop' } | { cmd: 'close' };
export type SseMessage = { type: 'connected'; stats: SseStats } | { type: 'stats'; stats: SseStats } | { type: 'marker'; stats: SseStats };
