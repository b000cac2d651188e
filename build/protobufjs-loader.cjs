// dist/protobufjs-loader.cjs: src/grpc/protobufjs-loader.ts for the published CommonJS build (see
// build/protobufjs-loader.mjs).
'use strict';

let protobufjs;
exports.loadProtobufjs = function loadProtobufjs() {
  if (protobufjs) return protobufjs;
  protobufjs = require('./protobufjs.cjs');
  protobufjs.util.fs ??= require('node:fs');
  return protobufjs;
};

let protobufjsMinimal;
exports.loadProtobufjsMinimal = function loadProtobufjsMinimal() {
  if (protobufjsMinimal) return protobufjsMinimal;
  protobufjsMinimal = require('./protobufjs-minimal.cjs');
  return protobufjsMinimal;
};
