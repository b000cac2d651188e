// Content types (https://github.com/grpc/grpc/blob/010decebd96922114400a6490f397367840db2d1/doc/PROTOCOL-HTTP2.md
// "Content-Type"): application/grpc, optionally +proto, +json or any codec.
export const GRPC_CONTENT_TYPE = 'application/grpc';

export function isGrpcContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const v = value.toLowerCase();
  if (!v.startsWith(GRPC_CONTENT_TYPE)) return false;
  const rest = v.charAt(GRPC_CONTENT_TYPE.length);
  return rest === '' || rest === '+' || rest === ';';
}
