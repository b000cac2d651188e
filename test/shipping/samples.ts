// Message values for the generator's tests, made from protobufjs's reflection of a .proto.
import { createRequire } from 'node:module';
import type protobuf from 'protobufjs';

const pb = createRequire(import.meta.url)('protobufjs') as typeof protobuf;

/** Values for `type`: every field set to something other than its default, one per oneof member. */
export function samples(type: protobuf.Type, depth = 0): Array<Record<string, unknown>> {
  const full: Record<string, unknown> = {};
  const variants: Array<Record<string, unknown>> = [{}];
  for (const field of type.fieldsArray) {
    const value = sampleValue(field, depth);
    if (value === undefined) continue;
    if (field.partOf && field.partOf.oneof.length > 1) variants.push({ [field.name]: value });
    else full[field.name] = value;
  }
  return [...variants.map((v) => ({ ...full, ...v })), {}];
}

function sampleValue(field: protobuf.Field, depth: number): unknown {
  const one = (): unknown => {
    const resolved = field.resolvedType;
    if (resolved instanceof pb.Type) return depth < 2 ? samples(resolved, depth + 1)[0] : undefined;
    if (resolved instanceof pb.Enum) return Object.keys(resolved.values).at(-1);
    switch (field.type) {
      case 'double': return -1234.5;
      case 'float': return 0.25;
      case 'int32': case 'sint32': case 'sfixed32': return -70000;
      case 'uint32': case 'fixed32': return 4_000_000_000;
      case 'int64': case 'sint64': case 'sfixed64': return -9_007_199_254_740_993n;
      case 'uint64': case 'fixed64': return 18_446_744_073_709_551_615n;
      case 'bool': return true;
      case 'string': return `héllo ${field.name}`;
      case 'bytes': return new Uint8Array([0, 1, 254, 255]);
      default: throw new Error(`no sample for ${field.type}`);
    }
  };
  if (field instanceof pb.MapField) {
    const key = field.keyType === 'bool' ? 'true' : /int|fixed/.test(field.keyType) ? '7' : 'k';
    const value = one();
    return value === undefined ? undefined : { [key]: value };
  }
  if (field.repeated) {
    const value = one();
    return value === undefined ? undefined : [value, value];
  }
  return one();
}

/** The reflected request and response types of `service`'s `method`, from loadProto's protobufjs root. */
export function methodTypes(loaded: Record<string, unknown>, service: string, method: string): { request: protobuf.Type; response: protobuf.Type } {
  const anyType = Object.values(loaded).find((v): v is protobuf.Type => v instanceof pb.Type);
  const reflected = anyType!.root.lookupService(service).methods[method]!;
  reflected.resolve();
  return { request: reflected.resolvedRequestType!, response: reflected.resolvedResponseType! };
}

