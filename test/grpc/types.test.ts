// Type-level checks (run by `tsc --noEmit -p test/tsconfig.json`) that also run as real calls: a
// defineService definition typed with UnaryMethod & co. gives typed handlers and client methods, and
// each `@ts-expect-error` line proves a wrong type or shape is rejected.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from '../../src/grpc/server.js';
import { createClient } from '../../src/grpc/client.js';
import {
  defineService,
  type BidiStreamMethod,
  type ClientStreamMethod,
  type MethodDefinition,
  type RequestOf,
  type ResponseOf,
  type ServerCallContext,
  type ServerStreamMethod,
  type ServiceHandlers,
  type UnaryMethod,
} from '../../src/grpc/service.js';

interface HelloRequest {
  name: string;
}
interface HelloReply {
  greeting: string;
  count: number;
}

/** A method with JSON serializers, typed by its request, response and stream flags. */
function jsonMethod<Req, Res, RS extends boolean, SS extends boolean>(path: string, requestStream: RS, responseStream: SS): MethodDefinition<Req, Res, RS, SS> {
  const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  const decode = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b));
  return { path, requestStream, responseStream, requestSerialize: encode, requestDeserialize: decode, responseSerialize: encode, responseDeserialize: decode };
}

const Greeter = defineService({
  SayHello: jsonMethod<HelloRequest, HelloReply, false, false>('/types.Greeter/SayHello', false, false) satisfies UnaryMethod<HelloRequest, HelloReply>,
  Countdown: jsonMethod<HelloRequest, HelloReply, false, true>('/types.Greeter/Countdown', false, true) satisfies ServerStreamMethod<HelloRequest, HelloReply>,
  Collect: jsonMethod<HelloRequest, HelloReply, true, false>('/types.Greeter/Collect', true, false) satisfies ClientStreamMethod<HelloRequest, HelloReply>,
  Chat: jsonMethod<HelloRequest, HelloReply, true, true>('/types.Greeter/Chat', true, true) satisfies BidiStreamMethod<HelloRequest, HelloReply>,
});

// RequestOf / ResponseOf read the types back out of a method.
const requestOfSayHello: RequestOf<typeof Greeter.SayHello> = { name: 'x' };
const responseOfChat: ResponseOf<typeof Greeter.Chat> = { greeting: 'x', count: 0 };
void requestOfSayHello;
void responseOfChat;

const handlers: ServiceHandlers<typeof Greeter> = {
  // Parameters are inferred from the definition: req is HelloRequest, ctx is ServerCallContext.
  SayHello: (req, ctx) => ({ greeting: `hello ${req.name} via ${ctx.method}`, count: 1 }),
  Countdown: async function* (req) {
    for (let i = 3; i > 0; i--) yield { greeting: req.name, count: i };
  },
  collect: async (requests) => {
    const names: string[] = [];
    for await (const r of requests) names.push(r.name);
    return { greeting: names.join(','), count: names.length };
  },
  Chat: async function* (requests) {
    let count = 0;
    for await (const r of requests) yield { greeting: `re: ${r.name}`, count: ++count };
  },
};

// Wrong handlers, each rejected by the compiler.
export const rejectedHandlers: Array<ServiceHandlers<typeof Greeter>> = [
  {
    // @ts-expect-error a unary handler must return HelloReply (greeting is a string)
    SayHello: () => ({ greeting: 42, count: 1 }),
  },
  {
    // @ts-expect-error the response needs every field (count is missing)
    SayHello: async () => ({ greeting: 'no count' }),
  },
  {
    // @ts-expect-error the request has no field "nmae"
    SayHello: (req) => ({ greeting: req.nmae, count: 0 }),
  },
  {
    // @ts-expect-error a server-streaming handler returns an iterable of replies, not one reply
    Countdown: async (req: HelloRequest) => ({ greeting: req.name, count: 0 }),
  },
  {
    // @ts-expect-error a client-streaming handler receives an AsyncIterable of requests, not one request
    Collect: (req: HelloRequest) => ({ greeting: req.name, count: 0 }),
  },
  {
    // @ts-expect-error a bidi handler must yield HelloReply values
    Chat: async function* (requests: AsyncIterable<HelloRequest>) {
      for await (const r of requests) yield r.name;
    },
  },
  {
    // @ts-expect-error a unary handler is not an async generator
    SayHello: async function* () {
      yield { greeting: 'x', count: 1 };
    },
  },
  {
    // @ts-expect-error no method is called "SayHelo"
    SayHelo: () => ({ greeting: 'x', count: 1 }),
  },
];

async function typedCalls(address: string): Promise<void> {
  const client = createClient(Greeter, address);
  try {
    // Results are typed: these assignments would not compile otherwise.
    const reply: HelloReply = await client.SayHello({ name: 'ann' });
    const same: HelloReply = await client.sayHello({ name: 'bob' });
    assert.deepEqual(reply, { greeting: 'hello ann via /types.Greeter/SayHello', count: 1 });
    assert.equal(same.greeting, 'hello bob via /types.Greeter/SayHello');

    const counts: number[] = [];
    for await (const r of client.Countdown({ name: 'c' })) counts.push(r.count);
    assert.deepEqual(counts, [3, 2, 1]);

    const collected: HelloReply = await client.collect([{ name: 'a' }, { name: 'b' }]);
    assert.deepEqual(collected, { greeting: 'a,b', count: 2 });

    const chat: string[] = [];
    for await (const r of client.Chat([{ name: 'x' }, { name: 'y' }])) chat.push(`${r.greeting}#${r.count}`);
    assert.deepEqual(chat, ['re: x#1', 're: y#2']);

    if (process.env.NEVER_SET_TYPES_TEST) {
      // Never run: each line is a compile-time check.
      // @ts-expect-error the request has no field "nme"
      await client.SayHello({ nme: 'x' });
      // @ts-expect-error the reply is not a number
      const wrong: number = await client.SayHello({ name: 'x' });
      // @ts-expect-error a server stream is iterated, not awaited as one reply
      const notOne: HelloReply = await client.Countdown({ name: 'x' });
      // @ts-expect-error a client stream takes an iterable of requests
      await client.Collect({ name: 'x' });
      // @ts-expect-error bidi requests must be HelloRequest values
      client.Chat([{ greeting: 'x', count: 1 }]);
      // @ts-expect-error there is no method "Nope"
      await client.Nope({ name: 'x' });
      // @ts-expect-error call options are typed too (timeoutMs is a number)
      await client.SayHello({ name: 'x' }, { timeoutMs: '5s' });
      void wrong;
      void notOne;
    }
  } finally {
    await client.close();
  }
}

describe('typed service definitions', () => {
  it('typed handlers and typed client methods make real calls of all four kinds', async () => {
    const server = createServer();
    server.addService(Greeter, handlers);
    const address = await server.listen('127.0.0.1:0');
    try {
      await typedCalls(address);
    } finally {
      await server.forceClose();
    }
  });

  it('handlers written inline in addService() are typed too, under either name', async () => {
    const server = createServer();
    server.addService(Greeter, {
      sayHello: (req) => ({ greeting: req.name.toUpperCase(), count: req.name.length }),
      Countdown: async function* (req) {
        yield { greeting: req.name, count: 0 };
      },
    });
    const wrongInline = () =>
      // @ts-expect-error inline handlers are checked: greeting must be a string
      createServer().addService(Greeter, { sayHello: (req) => ({ greeting: req.name.length, count: 0 }) });
    void wrongInline;
    const address = await server.listen('127.0.0.1:0');
    const client = createClient(Greeter, address);
    try {
      assert.deepEqual(await client.sayHello({ name: 'abc' }), { greeting: 'ABC', count: 3 });
    } finally {
      await client.close();
      await server.forceClose();
    }
  });

  it('the context parameter is a ServerCallContext', () => {
    const check = (ctx: ServerCallContext): AbortSignal => ctx.signal;
    const handler: NonNullable<ServiceHandlers<typeof Greeter>['SayHello']> = (_req, ctx) => {
      check(ctx);
      return { greeting: '', count: 0 };
    };
    assert.equal(typeof handler, 'function');
    assert.equal(rejectedHandlers.length, 8);
  });
});
