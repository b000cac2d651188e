// This package's version, as package.json states it (test/unit/public-api.test.ts fails when they differ):
// a constant, so no runtime reads package.json from disk (bundled plugins have none beside them).
export const PACKAGE_VERSION = '0.1.0';
