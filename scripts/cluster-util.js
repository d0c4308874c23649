#!/usr/bin/env node
/**
 * Helpers of scripts/cluster.sh that bash cannot do well:
 *
 *   node scripts/cluster-util.js ports N                 N free loopback TCP ports, one a line
 *   node scripts/cluster-util.js namespace ADDR NS SECS  waits until the frontend at ADDR serves,
 *                                                        registers namespace NS if it is missing
 *                                                        and waits until it can be used
 *   node scripts/cluster-util.js visibility ADDR NS SECS waits until a visibility query on the
 *                                                        Dxp* search attributes is accepted
 */
'use strict';
const { createServer } = require('node:net');

const RETENTION_SECONDS = 7 * 24 * 3600;
/** gRPC status codes. */
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** DXP_CLUSTER_SERVER_PID: stop waiting as soon as that process is gone. */
const serverPid = Number(process.env.DXP_CLUSTER_SERVER_PID) || 0;
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Ports below 32768: the server stores its membership ports in a SMALLINT column
 * (cluster_membership.rpc_port), so the kernel's ephemeral range (32768+) would make it exit with
 * "value out of range for type smallint". Random in [20000, 32000), each listening at once so
 * no two are the same; closed before they are printed.
 */
async function ports(n) {
  const servers = [];
  while (servers.length < n) {
    const server = createServer();
    const port = 20000 + Math.floor(Math.random() * 12000);
    const ok = await new Promise((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) servers.push(server);
  }
  const found = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  process.stdout.write(found.join('\n') + '\n');
}

/** Retries `attempt` until it resolves or `seconds` have passed; the last error says why. */
async function until(seconds, what, attempt) {
  const deadline = Date.now() + seconds * 1000;
  let last;
  for (;;) {
    if (serverPid && !alive(serverPid)) throw new Error(`${what}: the server (pid ${serverPid}) exited`);
    try {
      return await attempt();
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${seconds} s: ${last && last.message ? last.message.split('\n')[0] : last}`);
    await sleep(250);
  }
}

async function connect(address, seconds) {
  const { Connection } = require('@temporalio/client');
  return until(seconds, `Temporal frontend at ${address}`, async () => {
    const connection = await Connection.connect({ address, connectTimeout: 2000 });
    try {
      await connection.workflowService.getSystemInfo({});
      return connection;
    } catch (err) {
      await connection.close();
      throw err;
    }
  });
}

async function namespace(address, ns, seconds) {
  const connection = await connect(address, seconds);
  try {
    const service = connection.workflowService;
    try {
      await service.describeNamespace({ namespace: ns });
    } catch (err) {
      if (err.code !== NOT_FOUND) throw err;
      try {
        await service.registerNamespace({ namespace: ns, workflowExecutionRetentionPeriod: { seconds: RETENTION_SECONDS } });
        console.error(`cluster: registered namespace ${ns}`);
      } catch (err2) {
        if (err2.code !== ALREADY_EXISTS) throw err2;
      }
    }
    // A new namespace reaches the frontend's cache a moment later (system.namespaceCacheRefreshInterval).
    await until(seconds, `namespace ${ns}`, () => service.listWorkflowExecutions({ namespace: ns, pageSize: 1 }));
  } finally {
    await connection.close();
  }
}

async function visibility(address, ns, seconds) {
  const connection = await connect(address, seconds);
  try {
    const query = 'DxpExperiment = "cluster-probe" AND DxpExampleId = "probe" AND DxpStatus = "probe"';
    await until(seconds, `search attributes of namespace ${ns}`, () => connection.workflowService.listWorkflowExecutions({ namespace: ns, pageSize: 1, query }));
  } finally {
    await connection.close();
  }
}

async function main() {
  const [command, ...args] = process.argv.slice(2);
  if (command === 'ports') return ports(Number(args[0] ?? 1));
  if (command === 'namespace') return namespace(args[0], args[1] ?? 'default', Number(args[2] ?? 60));
  if (command === 'visibility') return visibility(args[0], args[1] ?? 'default', Number(args[2] ?? 60));
  throw new Error(`usage: cluster-util.js ports N | namespace ADDR NS SECS | visibility ADDR NS SECS (got ${command})`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`cluster: ${err.message}`);
    process.exit(1);
  },
);
