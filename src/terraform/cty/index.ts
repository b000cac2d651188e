export { cty, typeFromJson, typeToJson, typeEquals, typeName, CtyTypeError, type CtyType } from './types.js';
export { Unknown, unknown, isUnknown, isWhollyKnown, withType, type Refinement } from './values.js';
export { type CtyNumber } from './number.js';
export { CtyValueError, formatPath, type AttributePath, type PathStep } from './path.js';
export { decodeMsgpack, encodeMsgpack } from './msgpack-value.js';
export { decodeJson, encodeJson, type JsonDecodeOptions } from './json-value.js';
export { inferType } from './infer.js';
