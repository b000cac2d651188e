// `go-plugin-ts call <plugin command…> <Service/Method> [json]`: launches (or reattaches to) a plugin as
// a host would, makes one call of any kind with message types from reflection or --proto, prints the
// responses as JSON lines, and stops the plugin. Streams read NDJSON: from the json argument, or stdin.
import { errorMessage } from '../errors.js';
import { createInterface } from 'node:readline';
import { createClient } from '../grpc/client.js';
import type { MethodDefinition } from '../grpc/service.js';
import { Metadata } from '../grpc/metadata.js';
import { GrpcError, statusName } from '../grpc/status.js';
import { PluginStartError, startPlugin, type PluginClient } from '../plugin/host/start.js';
import { parseTarget, startOptions, TARGET_OPTIONS, UsageError, type PluginTarget } from './args.js';
import { checkFields, findMethod, jsonMethod, schemaFromProto, schemaFromReflection, type Schema } from './schema.js';

const USAGE = `usage: go-plugin-ts call [options] [--] <plugin command> [args…] <Service/Method> [json]

Makes one call to the plugin and prints each response message as one line of JSON.
json is the request (default {}); for a client or bidi stream, one message per line (NDJSON),
read from stdin when json is - or missing. Field names are lowerCamelCase; int64s and enums are
strings, bytes base64, as protobuf JSON has them.

options:
${TARGET_OPTIONS}
  -H 'key: value'        request metadata (repeatable)`;

type JsonMessage = Record<string, unknown>;

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  let target: PluginTarget;
  let methodSpec: string;
  let body: string | undefined;
  try {
    const parsed = parseTarget(argv, { headers: true });
    target = parsed.target;
    const tail = target.reattach ? parsed.rest : target.command;
    const last = tail.at(-1);
    const hasBody = last !== undefined && (last === '-' || /^\s*[{[]/.test(last));
    body = hasBody ? tail.pop() : undefined;
    methodSpec = tail.pop() ?? '';
    if (!/^[^/\s]+[/.][^/.\s]+$/.test(methodSpec)) throw new UsageError(`give the method to call as Service/Method after the plugin command${methodSpec ? `, got ${JSON.stringify(methodSpec)}` : ''}`);
    if (!target.reattach && target.command.length === 0) throw new UsageError('give the plugin command to launch (or --reattach)');
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`go-plugin-ts call: ${err.message}\n\n${USAGE}\n`);
    return 2;
  }

  let plugin: PluginClient;
  try {
    plugin = await startPlugin({
      ...startOptions(target),
      // What the plugin prints goes to our stderr: stdout carries only responses.
      onStdout: (data) => process.stderr.write(data),
      onStderr: (data) => process.stderr.write(data),
    });
  } catch (err) {
    const hint = err instanceof PluginStartError ? '\n(go-plugin-ts inspect with the same arguments says what went wrong)' : '';
    process.stderr.write(`go-plugin-ts call: ${errorMessage(err)}${hint}\n`);
    return 1;
  }
  try {
    return await callOnce(plugin, target, methodSpec, body);
  } finally {
    await plugin.kill();
  }
}

async function callOnce(plugin: PluginClient, target: PluginTarget, spec: string, body: string | undefined): Promise<number> {
  let schema: Schema | undefined;
  try {
    schema = (await schemaFromReflection(plugin.channel)) ?? (target.protoFiles.length ? schemaFromProto(target.protoFiles, target.includeDirs) : undefined);
  } catch (err) {
    process.stderr.write(`go-plugin-ts call: cannot read the plugin's services: ${errorMessage(err)}\n`);
    return 1;
  }
  if (!schema) {
    process.stderr.write('go-plugin-ts call: the plugin serves no reflection; give its .proto with --proto FILE\n');
    return 2;
  }
  let definition: MethodDefinition<JsonMessage, JsonMessage>;
  let unaryRequest: JsonMessage | undefined;
  try {
    const method = findMethod(schema, spec);
    definition = jsonMethod(schema, method);
    if (!method.clientStream) {
      unaryRequest = parseMessage(body ?? '{}', 'the request');
      checkFields(schema.lookupType(method.requestType), unaryRequest, method.requestType);
    }
  } catch (err) {
    process.stderr.write(`go-plugin-ts call: ${errorMessage(err)}\n`);
    return 2;
  }
  const client = createClient({ call: definition }, plugin.channel, { metadata: metadataOf(target.headers) }) as unknown as Record<'call', (...args: unknown[]) => unknown>;
  const print = (message: JsonMessage) => process.stdout.write(JSON.stringify(message) + '\n');
  try {
    if (!definition.requestStream) {
      const request = unaryRequest!;
      if (definition.responseStream) for await (const m of client.call(request) as AsyncIterable<JsonMessage>) print(m);
      else print(await (client.call(request) as Promise<JsonMessage>));
    } else {
      const requests = body === undefined || body === '-' ? stdinMessages() : bodyMessages(body);
      if (definition.responseStream) for await (const m of client.call(requests) as AsyncIterable<JsonMessage>) print(m);
      else print(await (client.call(requests) as Promise<JsonMessage>));
    }
    return 0;
  } catch (err) {
    if (err instanceof GrpcError) {
      process.stderr.write(`ERROR: ${statusName(err.code)} (code ${err.code}): ${err.details}\n`);
      return 1;
    }
    process.stderr.write(`go-plugin-ts call: ${errorMessage(err)}\n`);
    return 2;
  }
}

function metadataOf(headers: Array<[string, string]>): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of headers) metadata.append(key, value);
  return metadata;
}

function parseMessage(text: string, what: string): JsonMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new TypeError(`${what} is not JSON: ${errorMessage(err)}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`${what} must be a JSON object`);
  return value as JsonMessage;
}

/** NDJSON, or one JSON array of messages. */
function* bodyMessages(body: string): Iterable<JsonMessage> {
  if (/^\s*\[/.test(body)) {
    const list = JSON.parse(body) as unknown[];
    for (const [i, item] of list.entries()) yield parseMessage(JSON.stringify(item), `request ${i + 1}`);
    return;
  }
  let n = 0;
  for (const line of body.split('\n')) if (line.trim()) yield parseMessage(line, `request ${++n}`);
}

/** One message per stdin line, sent as it is read (a bidi call can answer before stdin ends). */
async function* stdinMessages(): AsyncIterable<JsonMessage> {
  let n = 0;
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (line.trim()) yield parseMessage(line, `request ${++n}`);
  }
}
