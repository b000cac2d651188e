// The provider launches in a Terraform v1.5.7 TF_LOG=trace log, each as a timeline from go-plugin's and
// Terraform's own log lines (millisecond timestamps), plus the go-plugin-ts start-up trace marks the
// provider wrote on stderr (GO_PLUGIN_TS_TRACE=1; ms since its process started). Used by terraform.bench.mjs.

const at = (line) => Date.parse(line.slice(0, 24));

/** One entry per launch: host events in epoch ms, `marks` (start-up trace phase -> ms since process start), `rpcs` (method names). */
export function parseLaunches(log) {
  const launches = [];
  let current;
  let hostCert;
  for (const line of log.split('\n')) {
    if (line.includes('provider: configuring client automatic mTLS')) hostCert = at(line);
    else if (line.includes('provider: starting plugin:')) launches.push((current = { hostCert, spawn: at(line), marks: {}, rpcs: [] }));
    else if (current && line.includes('provider: plugin started:')) Object.assign(current, { started: at(line), pid: /pid=(\d+)/.exec(line)?.[1] });
    else if (current && line.includes('provider: using plugin: version')) current.handshake = at(line);
    else if (current && line.includes('go-plugin-ts startup: ')) {
      const mark = /startup: (.*?) \+[\d.]+ ms \(at ([\d.]+) ms\)/.exec(line);
      if (mark) current.marks[mark[1]] = Number(mark[2]);
    } else if (line.includes('GRPCProvider.v')) onRpc(launches, line);
    else if (line.includes('provider: plugin process exited:')) {
      const launch = launches.find((l) => l.pid === /pid=(\d+)/.exec(line)?.[1]);
      if (launch) launch.exited = at(line);
    }
  }
  return launches;
}

function onRpc(launches, line) {
  const method = /GRPCProvider\.v\d: (\w+)/.exec(line)?.[1];
  const launch = launches.findLast((l) => l.handshake !== undefined && l.close === undefined);
  if (!method || !launch) return;
  if (method === 'Close') launch.close = at(line);
  else {
    launch.firstRpc ??= at(line);
    launch.rpcs.push(method);
  }
}

/** The phases of a launch in ms, host-side (from Terraform's log) and, when traced, inside the provider. */
export function phasesOf(launch) {
  const phases = {
    'host: own certificate': launch.spawn - launch.hostCert,
    'fork/exec': launch.started - launch.spawn,
    'started -> handshake read': launch.handshake - launch.started,
    'handshake -> first RPC sent (TLS dial)': launch.firstRpc - launch.handshake,
    'first RPC -> Close (the RPCs)': launch.close - launch.firstRpc,
    'Close -> process exited (Shutdown, exit)': launch.exited - launch.close,
    'launch total': launch.exited - launch.hostCert,
  };
  for (const [name, ms] of Object.entries(launch.marks)) phases[`  in provider, at: ${name}`] = ms;
  return phases;
}

export const median = (xs) => {
  const sorted = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : undefined;
};

/** Median of each phase over `launches`. */
export function medianPhases(launches) {
  const all = launches.map(phasesOf);
  const names = [...new Set(all.flatMap((p) => Object.keys(p)))];
  return Object.fromEntries(names.map((name) => [name, median(all.map((p) => p[name]))]));
}
