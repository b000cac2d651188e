// Content types (https://github.com/grpc/grpc/blob/2e18fd6493e58a791fcbe89bdaf040912a56e3e4/doc/PROTOCOL-HTTP2.md
// "Content-Type"): application/grpc, optionally +proto, +json or any codec.
export const GRPC_CONTENT_TYPE = 'application/grpc';

export function isGrpcContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const v = value.toLowerCase();
  if (!v.startsWith(GRPC_CONTENT_TYPE)) return false;
  const rest = v.charAt(GRPC_CONTENT_TYPE.length);
  return rest === '' || rest === '+' || rest === ';';
}
