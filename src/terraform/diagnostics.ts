// Diagnostics: what Terraform shows as "Error:" or "Warning:" with a summary, a detail and, when the
// problem is in one attribute, that attribute's place in the configuration.
import { CtyValueError, formatPath, type AttributePath, type PathStep } from './cty/path.js';

/** Steps as users write them: attribute names, list indexes, `{ key }` for map keys. */
export type PathInput = ReadonlyArray<string | number | bigint | { key: string }>;

export interface DiagnosticInput {
  severity?: 'error' | 'warning';
  summary: string;
  detail?: string;
  path?: PathInput;
}

export interface Diagnostic {
  severity: 'error' | 'warning';
  summary: string;
  detail: string;
  path?: AttributePath;
}

/** Throw it from a handler for an error diagnostic with a detail and an attribute path. */
export class TerraformError extends Error {
  override name = 'TerraformError';
  readonly detail: string;
  readonly path?: AttributePath;
  constructor(summary: string, options: { detail?: string; path?: PathInput; cause?: unknown } = {}) {
    super(summary, { cause: options.cause });
    this.detail = options.detail ?? '';
    if (options.path) this.path = toPath(options.path);
  }
}

export function toPath(input: PathInput | AttributePath): AttributePath {
  return input.map((step): PathStep => {
    if (typeof step === 'string') return { attribute: step };
    if (typeof step === 'number' || typeof step === 'bigint') return { index: step };
    return step as PathStep;
  });
}

export function diagnostic(input: DiagnosticInput): Diagnostic {
  return {
    severity: input.severity ?? 'error',
    summary: input.summary,
    detail: input.detail ?? '',
    ...(input.path ? { path: toPath(input.path) } : {}),
  };
}

/** A thrown value as a diagnostic: TerraformError keeps its fields, a cty error its path. */
export function diagnosticFromError(err: unknown, context?: string): Diagnostic {
  if (err instanceof TerraformError) return { severity: 'error', summary: err.message, detail: err.detail, ...(err.path ? { path: err.path } : {}) };
  if (err instanceof CtyValueError) {
    return {
      severity: 'error',
      summary: context ? `${context}: invalid value` : 'Invalid value',
      detail: err.path.length > 0 ? `${formatPath(err.path)}: ${err.reason}` : err.reason,
      ...(err.path.length > 0 ? { path: err.path } : {}),
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { severity: 'error', summary: context ? `${context}: ${message}` : message, detail: '' };
}

/** The protocol's Diagnostic message. */
export function diagnosticMessage(d: Diagnostic): Record<string, unknown> {
  return {
    severity: d.severity === 'warning' ? 'WARNING' : 'ERROR',
    summary: d.summary,
    detail: d.detail,
    ...(d.path ? { attribute: pathMessage(d.path) } : {}),
  };
}

export function pathMessage(path: AttributePath): Record<string, unknown> {
  return {
    steps: path.map((step) =>
      'attribute' in step ? { attributeName: step.attribute } : 'key' in step ? { elementKeyString: step.key } : { elementKeyInt: BigInt(step.index) },
    ),
  };
}

/** Collects diagnostics during one call. */
export class Diagnostics {
  readonly list: Diagnostic[] = [];

  error(summary: string, options: Omit<DiagnosticInput, 'summary' | 'severity'> = {}): void {
    this.list.push(diagnostic({ ...options, summary, severity: 'error' }));
  }

  warn(summary: string, options: Omit<DiagnosticInput, 'summary' | 'severity'> = {}): void {
    this.list.push(diagnostic({ ...options, summary, severity: 'warning' }));
  }

  add(...items: DiagnosticInput[]): void {
    for (const item of items) this.list.push(diagnostic(item));
  }

  get hasErrors(): boolean {
    return this.list.some((d) => d.severity === 'error');
  }
}
