// protobufjs generates a message type's code at its first use, but all of it at once: encode, decode,
// verify, fromObject and toObject. A method only ever encodes its responses and decodes its requests (a
// client the reverse), so here each of the four codecs a method uses is generated at its own first call,
// by the same protobufjs generators setup() runs, and verify not at all unless asked for. A short-lived
// plugin (a Terraform provider is launched several times per command) generates half as much code.
import type protobuf from 'protobufjs';

type Codec = 'encode' | 'decode' | 'fromObject' | 'toObject';
type AnyFunction = (...args: unknown[]) => unknown;

const prototypes = new WeakMap<typeof protobuf, object>();

/**
 * A prototype between protobufjs's Type.prototype and each type, whose four codec methods generate the
 * type's own on first call. The stubs are not the types' own properties: the message constructor's setter,
 * which runs at the first decode or fromObject, deletes the own `decode` and `fromObject`, and deleting an
 * own property would leave the type an object with slow (dictionary) properties for good.
 */
function lazyPrototype(P: typeof protobuf): object {
  let proto = prototypes.get(P);
  if (proto) return proto;
  const scope = (type: protobuf.Type) => ({ types: type.fieldsArray.map((f) => f.resolve().resolvedType), util: P.util });
  const generators: Record<Codec, (type: protobuf.Type) => AnyFunction> = {
    encode: (type) => P.encoder(type)({ ...scope(type), Writer: P.Writer }) as AnyFunction,
    // The constructor is read before anything is assigned: its first read runs the setter's deletes.
    decode: (type) => P.decoder(type)({ C: type.ctor, ...scope(type), Reader: P.Reader }) as AnyFunction,
    fromObject: (type) => P.converter.fromObject(type)({ C: type.ctor, ...scope(type) }) as AnyFunction,
    toObject: (type) => P.converter.toObject(type)(scope(type)) as AnyFunction,
  };
  proto = Object.create(P.Type.prototype) as object;
  for (const codec of Object.keys(generators) as Codec[]) {
    Object.defineProperty(proto, codec, {
      writable: true,
      configurable: true,
      value: function (this: protobuf.Type, ...args: unknown[]) {
        const generated = generators[codec](this);
        (this as unknown as Record<Codec, AnyFunction>)[codec] = generated;
        return generated.apply(this, args);
      },
    });
  }
  prototypes.set(P, proto);
  return proto;
}

/** Makes `type` generate its codecs on their first call; types protobufjs wraps (Any) keep its setup. */
export function generateCodecsOnFirstCall(type: protobuf.Type, P: typeof protobuf): void {
  if ((P.wrappers as Record<string, unknown>)[type.fullName]) return;
  if (Object.getPrototypeOf(type) === P.Type.prototype) Object.setPrototypeOf(type, lazyPrototype(P));
}
