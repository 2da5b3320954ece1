// Mirror of the server's `server/src/lsp/ext.rs`: the AUTOCREA extensions to LSP.
//
// Keep this file in step with ext.rs: same names, same shapes, camelCase on the wire.
// Every other client (editors/nvim, editors/helix, editors/zed) documents the same contract.

import { NotificationType } from 'vscode-languageclient';

/** Configuration section read from `initializationOptions`, `workspace/didChangeConfiguration`
 *  and `workspace/configuration` pulls. Every field is optional; the server fills in defaults. */
export const CONFIG_SECTION = 'autocrea';

/** Engine names, the same everywhere (settings, `--engine`, summaries). Only `offline` works today. */
export type Engine = 'joxcoder' | 'openai' | 'anthropic' | 'local' | 'offline';

export const ENGINES: readonly Engine[] = ['joxcoder', 'openai', 'anthropic', 'local', 'offline'];

/** Raw options as the client sends them (section `autocrea`). */
export interface Options {
  /** Default `"offline"`. */
  engine?: Engine;
  /** Where a new app goes, absolute or relative to the workspace root. Default: a new folder
   *  named after the app, or the root itself when it is empty. */
  targetFolder?: string;
  /** Default `true`. */
  runTests?: boolean;
  /** Default `false`: never replace a file the user wrote. */
  overwrite?: boolean;
  /** Default 1048576. */
  maxFileBytes?: number;
  /** Default 600. */
  testTimeoutSecs?: number;
}

// ---------------------------------------------------------------------------------------------
// Commands (`workspace/executeCommand`, advertised in `executeCommandProvider`)
// ---------------------------------------------------------------------------------------------

/** `autocrea.generate`, arguments `[GenerateParams]`.
 *  Answers at once with `GenerateStarted`, or with `wait: true` with the `RunSummary`. */
export const GENERATE = 'autocrea.generate';

export interface GenerateParams {
  idea: string;
  /** Target folder for this run (overrides `targetFolder`). */
  dir?: string;
  /** Await the end of the run and answer with its `RunSummary`. Default false. */
  wait?: boolean;
  overwrite?: boolean;
  engine?: Engine;
  runTests?: boolean;
}

export interface GenerateStarted {
  runId: string;
  dir: string;
}

export type GenerateResult = GenerateStarted | RunSummary;

/** `autocrea.cancel`, arguments `[CancelParams]`. */
export const CANCEL = 'autocrea.cancel';

export interface CancelParams {
  runId: string;
}

export interface CancelResult {
  cancelled: boolean;
}

// ---------------------------------------------------------------------------------------------
// Notifications, server → client
// ---------------------------------------------------------------------------------------------

/** `autocrea/stream`: text output of a role as it arrives (e.g. the generated app's test output). */
export const STREAM = 'autocrea/stream';

export interface StreamParams {
  runId: string;
  role: string;
  text: string;
}

export const streamNotification = new NotificationType<StreamParams>(STREAM);

/** `autocrea/runFinished`: the summary of a run. The server also sends a short `window/showMessage`. */
export const RUN_FINISHED = 'autocrea/runFinished';

export type RunStatus = 'succeeded' | 'failed' | 'cancelled';

export interface RoleSummary {
  role: string;
  status: string;
  files: string[];
  message?: string;
}

export type TestStatus = 'passed' | 'failed' | 'skipped' | 'error';

export interface TestSummary {
  status: TestStatus;
  command: string;
  passed?: number;
  failed?: number;
  output?: string;
}

export interface SecuritySummary {
  status: string; // "notRun" today
  message: string;
}

export interface RunSummary {
  runId: string;
  idea: string;
  dir: string;
  app: string;
  engine: Engine;
  status: RunStatus;
  error?: string;
  roles: RoleSummary[];
  tests: TestSummary;
  security: SecuritySummary;
  findings: unknown[];
  filesWritten: number;
  durationMs: number;
}

export const runFinishedNotification = new NotificationType<RunSummary>(RUN_FINISHED);

/** Tells a `RunSummary` from a `GenerateStarted` answer of `autocrea.generate`. */
export function isRunSummary(result: GenerateResult): result is RunSummary {
  return 'status' in result;
}
