/** An in-process exporter on 127.0.0.1:0 over a temp workspace. */
import type { Logger } from 'pino';
import { defaultConfig, type Config } from '../../src/config.js';
import { startExporter, type OtelSettings, type RunningExporter } from '../../src/exporter.js';
import { silentLogger } from '../../src/logger.js';
import { onCleanup } from './cleanup.js';
import { createWorkspace, type FileContent, type Workspace } from './temp-workspace.js';
import { eventually } from './wait.js';

export interface TestExporter {
  readonly url: string;
  readonly exporter: RunningExporter;
  readonly workspace: Workspace;
  readonly config: Config;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Files of a fresh temp workspace (ignored when `workspace` is given). */
  files?: Record<string, FileContent>;
  workspace?: Workspace;
  config?: Partial<Config>;
  /** A base config (e.g. from loadConfig(env)); workspaceRoot, host and port are always overridden. */
  baseConfig?: Config;
  logger?: Logger;
  /** OTLP metrics push and traces (off unless given). */
  otel?: OtelSettings;
}

/** startExporter on 127.0.0.1:0 over a temp workspace; resolves once the first collection finished. */
export async function startTestExporter(options: StartOptions = {}): Promise<TestExporter> {
  const workspace = options.workspace ?? (await createWorkspace(options.files));
  const config: Config = {
    ...(options.baseConfig ?? defaultConfig()),
    // Parsing in the main thread keeps these suites fast; the worker path has its own tests.
    parseWorkers: 0,
    ...options.config,
    workspaceRoot: workspace.root,
    host: '127.0.0.1',
    port: 0,
  };
  const exporter = await startExporter(config, options.logger ?? silentLogger, options.otel);
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= exporter.stop());
  onCleanup(stop);
  await eventually(
    () => {
      if (!exporter.collector.snapshot) throw new Error('first collection has not finished');
    },
    { timeoutMs: 30_000 },
  );
  return { url: exporter.url, exporter, workspace, config, stop };
}
