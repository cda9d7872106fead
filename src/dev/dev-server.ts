import { type ChildProcess, spawn } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { devServerSearchAttributeFlags } from '../app/search-attribute-setup';

export interface DevServer {
  readonly address: string;
  readonly uiUrl: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `temporal server start-dev` on a SQLite file with the Web UI and hookwait's search attributes, and waits until it answers. */
export async function startDevServer(options: { cli: string; dbFile: string; port: number; uiPort: number; log: (line: string) => void }): Promise<DevServer> {
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(options.port),
    '--ui-port', String(options.uiPort),
    '--db-filename', options.dbFile,
    '--sqlite-pragma', 'journal_mode=WAL',
    '--log-level', 'warn',
    ...devServerSearchAttributeFlags(),
  ];
  const child = spawn(options.cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (b: Buffer): void => {
    output = (output + b.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: number | null | undefined;
  child.on('exit', (code) => {
    exited = code;
  });
  const address = `127.0.0.1:${options.port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== undefined) throw new Error(`temporal server start-dev exited with ${exited}: ${output.trim().slice(-1500)}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1_000 });
      await conn.workflowService.getSystemInfo({});
      await conn.close();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`the Temporal dev server did not answer on ${address} within 60s: ${output.trim().slice(-1500)}`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  options.log(`Temporal dev server on ${address} (SQLite ${options.dbFile})`);
  return {
    address,
    uiUrl: `http://localhost:${options.uiPort}`,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited !== undefined) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}
