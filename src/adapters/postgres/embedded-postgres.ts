import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * The embedded database for a fresh machine: PGlite (PostgreSQL compiled to WebAssembly) in a local
 * data folder, served over PostgreSQL's wire protocol on a Unix socket inside that folder, so that
 * the gateway's ordinary `pg` pool, migrations and SQL run against it unchanged. One process owns
 * the folder at a time (a lock file says which); operator commands started beside it connect to
 * its socket.
 */
export interface EmbeddedPostgres {
  readonly connectionString: string;
  stop(): Promise<void>;
}

const SOCKET_PORT = 5432;

function folders(dataDir: string) {
  const root = resolve(dataDir, 'pglite');
  return {
    root,
    data: join(root, 'data'),
    socketDir: root,
    socketPath: join(root, `.s.PGSQL.${SOCKET_PORT}`),
    lockFile: join(root, 'owner.pid'),
  };
}

function connectionStringFor(socketDir: string): string {
  return `postgres://postgres@localhost/postgres?host=${encodeURIComponent(socketDir)}&port=${SOCKET_PORT}`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The running embedded database's connection string, when another process of ours owns it. */
export async function runningEmbeddedPostgres(dataDir: string): Promise<string | undefined> {
  const f = folders(dataDir);
  try {
    const pid = Number((await readFile(f.lockFile, 'utf8')).trim());
    return Number.isInteger(pid) && isAlive(pid) ? connectionStringFor(f.socketDir) : undefined;
  } catch {
    return undefined;
  }
}

export async function startEmbeddedPostgres(
  dataDir: string,
  maxConnections: number,
): Promise<EmbeddedPostgres> {
  const f = folders(dataDir);
  await mkdir(f.root, { recursive: true });
  await takeLock(f.lockFile);
  // Loaded only here: the WebAssembly build is large and unused when DATABASE_URL is set.
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = await PGlite.create(f.data);
  await rm(f.socketPath, { force: true });
  const server = new PGLiteSocketServer({ db, path: f.socketPath, maxConnections });
  await server.start();
  return {
    connectionString: connectionStringFor(f.socketDir),
    stop: async () => {
      await server.stop();
      await db.close();
      await rm(f.socketPath, { force: true });
      await rm(f.lockFile, { force: true });
    },
  };
}

async function takeLock(lockFile: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockFile, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
      const owner = Number((await readFile(lockFile, 'utf8')).trim());
      if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
        throw new Error(
          `the embedded database in ${lockFile.replace(/\/owner\.pid$/, '')} is in use by process ${owner}; run one gateway process per data folder, or set DATABASE_URL`,
          { cause: error },
        );
      }
      await rm(lockFile, { force: true }); // left by a process that died
    }
  }
  throw new Error(`could not take the embedded database lock ${lockFile}`);
}
