// The CLI's pure rules: option parsing, reattach forms, handshake field meanings and diagnoses.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseReattach, parseTarget, UsageError } from '../../src/cli/args.js';
import { describeHandshake, diagnose, type Observation } from '../../src/cli/diagnose.js';
import { KNOWN_HOSTS } from '../../src/plugin/env.js';

describe('inspect and call options', () => {
  it('take the command from the first argument that is not an option, or after --', () => {
    const { target } = parseTarget(['--cookie', 'K=V=W', '--versions', '3, 4', 'node', '--inspect', 'plugin.js']);
    assert.deepEqual([target.magicCookieKey, target.magicCookieValue, target.versions, target.command], ['K', 'V=W', [3, 4], ['node', '--inspect', 'plugin.js']]);
    assert.deepEqual(parseTarget(['--cookie=K=V', '--', '-weird-name']).target.command, ['-weird-name']);
  });

  it("take a known host's cookie and versions, AutoMTLS on unless --no-mtls", () => {
    const { target } = parseTarget(['--host', 'terraform', './provider']);
    assert.equal(target.magicCookieKey, KNOWN_HOSTS.terraform.magicCookieKey);
    assert.deepEqual(target.versions, [5, 6]);
    assert.equal(target.autoMTLS, true);
    assert.equal(parseTarget(['--host', 'vault', '--no-mtls', 'x']).target.autoMTLS, false);
  });

  it('refuse what they cannot use, saying what they want', () => {
    const cases: Array<[string[], RegExp]> = [
      [['plugin'], /give the magic cookie/],
      [['--cookie', 'novalue', 'p'], /--cookie wants KEY=VALUE/],
      [['--host', 'consul', 'p'], /unknown --host "consul"; known hosts: terraform/],
      [['--cookie', 'K=V', '--versions', 'one', 'p'], /--versions wants integers/],
      [['--cookie', 'K=V', '--frobnicate', 'p'], /unknown option --frobnicate/],
      [['--cookie', 'K=V', '--proto'], /--proto needs a value/],
      [['--cookie', 'K=V', '-H', 'a: b', 'p'], /unknown option -H/],
    ];
    for (const [argv, message] of cases) assert.throws(() => parseTarget(argv), (err: unknown) => err instanceof UsageError && message.test(err.message), argv.join(' '));
  });

  it('take -H metadata only where allowed (call), keys lower-cased', () => {
    const { target } = parseTarget(['-H', 'X-Tenant: acme', '--header=a:b:c', '--cookie', 'K=V', 'p'], { headers: true });
    assert.deepEqual(target.headers, [['x-tenant', 'acme'], ['a', 'b:c']]);
    assert.throws(() => parseTarget(['-H', 'nocolon', '--cookie', 'K=V', 'p'], { headers: true }), /-H wants "key: value"/);
  });

  it('read both reattach forms: ours, and the go-plugin JSON debug mode and TF_REATTACH_PROVIDERS hold', () => {
    const ours = { protocol: 'grpc', protocolVersion: 6, network: 'unix', address: '/tmp/p', pid: 42, test: true };
    assert.deepEqual(parseReattach(JSON.stringify(ours)), ours);
    const go = { Protocol: 'grpc', ProtocolVersion: 6, Pid: 42, Test: true, Addr: { Network: 'unix', String: '/tmp/p' } };
    assert.deepEqual(parseReattach(JSON.stringify(go)), ours);
    assert.throws(() => parseReattach('{"protocol":"netrpc"}'), /protocol must be "grpc"/);
    assert.throws(() => parseReattach('nope'), /--reattach wants JSON/);
    const { target, rest } = parseTarget(['--reattach', JSON.stringify(go), 'kv.KV/Get', '{}']);
    assert.deepEqual([target.command, rest, target.versions], [[], ['kv.KV/Get', '{}'], [6]]);
  });
});

describe('handshake fields explained', () => {
  it('names every field and flags what a host would refuse', () => {
    const fields = describeHandshake('1|7|unix|/tmp/p|grpc||true', [5, 6]);
    assert.deepEqual(fields.map((f) => f.name), ['core protocol version', 'app protocol version', 'network', 'address', 'protocol', 'server certificate', 'broker multiplexing']);
    assert.match(fields[1]!.meaning, /not among the offered versions 5,6/);
    assert.match(fields[5]!.meaning, /empty: no TLS/);
    assert.match(fields[6]!.meaning, /multiplex broker connections over yamux/);
    assert.match(describeHandshake('2|1|tcp|127.0.0.1:1|netrpc', [1])[0]!.meaning, /core version 1 only/);
  });
});

describe('diagnoses', () => {
  const base: Observation = { stdoutLines: [], stderrLines: [], autoMTLS: true, offered: [1], cookieKey: 'K', startTimeoutMs: 1000 };
  const ids = (o: Partial<Observation>) => diagnose({ ...base, ...o }).map((d) => d.id);

  it('find nothing wrong in a clean run', () => {
    assert.deepEqual(ids({ stdoutLines: ['1|1|unix|/tmp/p|grpc|MIIB'], health: { ok: true }, stop: { graceful: true, code: 0, signal: null, reattached: false } }), []);
  });

  it('tell each failure apart', () => {
    assert.deepEqual(ids({ stdoutLines: ['hello', '1|1|unix|/p|grpc|x'], startError: 'Unrecognized remote plugin message: hello' }), ['stray-stdout']);
    assert.deepEqual(ids({ stderrLines: ['This binary is a plugin. These are not meant to be executed directly.'], startError: 'plugin x exited before we could connect (exit code 1)' }), ['wrong-cookie']);
    assert.deepEqual(ids({ stdoutLines: ['1|1|tcp|127.0.0.1:5|grpc'], startError: 'the plugin sent no server certificate' }), ['old-handshake']);
    assert.deepEqual(ids({ autoMTLS: false, stdoutLines: ['1|1|tcp|127.0.0.1:5|grpc|MIIBxyz'] }), ['unexpected-certificate']);
    assert.deepEqual(ids({ stdoutLines: ['1|9|unix|/p|grpc|x'], startError: 'Incompatible API version with plugin. Plugin version: 9, Client versions: [1]' }), ['bad-version']);
    assert.deepEqual(ids({ startError: 'timeout while waiting for plugin x to start (1000 ms without a handshake line)' }), ['no-handshake']);
    assert.deepEqual(ids({ stderrLines: ['listen unix /very/long: bind: invalid argument'], startError: 'plugin x exited before we could connect (exit code 1)' }), ['socket-path-too-long']);
    assert.deepEqual(ids({ startError: 'plugin x exited before we could connect (exit code 2)', exitCode: 2 }), ['exited-early']);
    assert.deepEqual(ids({ stdoutLines: ['1|1|unix|/p|grpc|x'], health: { ok: false, error: 'UNAVAILABLE' } }), ['not-serving']);
    assert.deepEqual(ids({ stdoutLines: ['1|1|unix|/p|grpc|x'], stop: { graceful: false, code: null, signal: 'SIGKILL', reattached: false } }), ['no-exit-after-shutdown']);
  });

  it('never blame a reattached plugin for staying up', () => {
    assert.deepEqual(ids({ stop: { graceful: true, code: null, signal: null, reattached: true } }), []);
  });
});
