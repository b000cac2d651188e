// The data source's RPCs: ValidateDataResourceConfig and ReadDataSource.
import { call, complete, dataSourceNamed, decode, encode, validateConfig, type Msg, type RpcContext } from './context.js';

export function dataSourceRpcs(rpc: RpcContext) {
  return {
    validateDataResourceConfig: (request: Msg) =>
      call((diagnostics) => validateConfig(rpc, dataSourceNamed(rpc, request.typeName), request, diagnostics)),
    readDataSource: (request: Msg) => readDataSource(rpc, request),
  };
}

function readDataSource(rpc: RpcContext, request: Msg): Promise<Msg> {
  return call(async (diagnostics) => {
    const d = dataSourceNamed(rpc, request.typeName);
    const type = rpc.typeOf(d.schema);
    const config = decode(request.config, type);
    const data = await d.read({ config }, rpc.handlerContext(request.typeName, diagnostics));
    return { state: encode(complete(rpc, d.schema, config, data, 'read'), type) };
  });
}
