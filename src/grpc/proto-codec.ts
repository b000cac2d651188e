// How a message type's protobufjs codec becomes a method's serializer and deserializer: the one rule shared
// by loadProto's reflected types and the generator's static codecs, so both put the same bytes on the wire
// and hand handlers the same objects.
import type protobuf from 'protobufjs';

/** The four functions of a protobufjs Type that a method needs; generated codecs have the same shape. */
export interface MessageCodec {
  encode(message: any): { finish(): Uint8Array };
  decode(bytes: Uint8Array): any;
  fromObject(object: Record<string, unknown>): any;
  toObject(message: any, options: protobuf.IConversionOptions): any;
}

/** What received messages look like unless loadProto's options say otherwise (README, Loading .proto files). */
export const DEFAULT_CONVERSION: protobuf.IConversionOptions = { longs: BigInt, enums: String, defaults: true, oneofs: true };

export function serializerOf(codec: () => MessageCodec): (value: unknown) => Uint8Array {
  return (value) => {
    const type = codec();
    return type.encode(type.fromObject((value ?? {}) as Record<string, unknown>)).finish();
  };
}

export function deserializerOf(codec: () => MessageCodec, conversion: protobuf.IConversionOptions): (bytes: Uint8Array) => any {
  return (bytes) => {
    const type = codec();
    return type.toObject(type.decode(bytes), conversion);
  };
}
