// protobufjs generates a message type's code at its first use, but all of it at once: encode, decode,
// verify, fromObject and toObject. A method only ever encodes its responses and decodes its requests (a
// client the reverse), so here each of the four codecs a method uses is generated at its own first call,
// by the same protobufjs generators setup() runs, and verify not at all unless asked for. A short-lived
// plugin (a Terraform provider is launched several times per command) generates half as much code.
import type protobuf from 'protobufjs';

type Codec = 'encode' | 'decode' | 'fromObject' | 'toObject';
type AnyFunction = (...args: unknown[]) => unknown;

/** Replaces `type`'s codecs with ones generated on their first call; types protobufjs wraps (Any) keep its setup. */
export function generateCodecsOnFirstCall(type: protobuf.Type, P: typeof protobuf): void {
  if ((P.wrappers as Record<string, unknown>)[type.fullName]) return;
  const own = type as unknown as Record<Codec, AnyFunction>;
  const scope = () => ({ types: type.fieldsArray.map((f) => f.resolve().resolvedType), util: P.util });
  const constructorOf = () => {
    const kept = { decode: own.decode, fromObject: own.fromObject };
    // The first read generates the message constructor, whose setter deletes decode and fromObject.
    const ctor = type.ctor;
    Object.assign(own, kept);
    return ctor;
  };
  const generators: Record<Codec, () => AnyFunction> = {
    encode: () => P.encoder(type)({ ...scope(), Writer: P.Writer }) as AnyFunction,
    decode: () => P.decoder(type)({ ...scope(), Reader: P.Reader, C: constructorOf() }) as AnyFunction,
    fromObject: () => P.converter.fromObject(type)({ ...scope(), C: constructorOf() }) as AnyFunction,
    toObject: () => P.converter.toObject(type)(scope()) as AnyFunction,
  };
  for (const codec of Object.keys(generators) as Codec[]) {
    own[codec] = function (this: unknown, ...args: unknown[]) {
      const generated = generators[codec]();
      own[codec] = generated;
      return generated.apply(this, args);
    };
  }
}
