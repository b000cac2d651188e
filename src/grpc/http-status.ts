// HTTP status and RST_STREAM codes as gRPC statuses
// (https://github.com/grpc/grpc/blob/9c3f79deb70460750421f3dd75c2ed6a9af91ca3/doc/http-grpc-status-mapping.md;
// docs/node-http2.md#reset-codes, #http-status-mapping).
import { Status } from './status.js';

export function statusFromHttpStatus(httpStatus: number): Status {
  switch (httpStatus) {
    case 400:
      return Status.INTERNAL;
    case 401:
      return Status.UNAUTHENTICATED;
    case 403:
      return Status.PERMISSION_DENIED;
    case 404:
      return Status.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return Status.UNAVAILABLE;
    default:
      return Status.UNKNOWN;
  }
}

/** RST_STREAM error codes (RFC 9113 §7) received before the trailers. */
export function statusFromRstCode(code: number): Status {
  switch (code) {
    case 0x7: // REFUSED_STREAM: nothing was processed, safe to retry
      return Status.UNAVAILABLE;
    case 0x8: // CANCEL
      return Status.CANCELLED;
    case 0xb: // ENHANCE_YOUR_CALM
      return Status.RESOURCE_EXHAUSTED;
    case 0xc: // INADEQUATE_SECURITY
      return Status.PERMISSION_DENIED;
    default:
      return Status.INTERNAL;
  }
}
