// What a provider author writes: the provider's configuration schema and `configure`, resources,
// data sources and functions, each with a schema whose value type flows into its handlers.
import type { Logger } from './core.js';
import type { Unknown } from './cty/values.js';
import type { DiagnosticInput, Diagnostics } from './diagnostics.js';
import type { Schema, Typed, ValueOf } from './schema.js';

/** A value where any attribute may still be unknown (plans, validation). */
export type Planned<V> = { [K in keyof V]: V[K] | Unknown };

export interface HandlerContext {
  /** Aborted when Terraform asks the provider to stop (Ctrl-C). */
  readonly signal: AbortSignal;
  /** What `configure` returned (undefined before ConfigureProvider or without `configure`). */
  readonly provider: any;
  readonly logger: Logger;
  /** Add warnings or errors; thrown errors become error diagnostics too. */
  readonly diagnostics: Diagnostics;
  /** The resource, data source or function name. */
  readonly typeName: string;
}

export interface PlanContext extends HandlerContext {
  /** Ask for replacement because of this attribute (as `requiresReplace` in the schema does). */
  requireReplace(path: ReadonlyArray<string | number | { key: string }>): void;
}

/** What a `validate` hook may return: diagnostics to report (or nothing). */
export type ValidateResult = void | readonly DiagnosticInput[] | Promise<void | readonly DiagnosticInput[]>;

export interface ResourceDefinition<S extends Schema<any>> {
  schema: S;
  /** Checks beyond the schema; values may be unknown. Return diagnostics, add them to ctx, or throw. */
  validate?(config: Planned<ValueOf<S>>, ctx: HandlerContext): ValidateResult;
  /** Runs after the framework's plan; return a changed plan, or nothing to keep it. */
  plan?(
    input: { prior: ValueOf<S> | null; config: Planned<ValueOf<S>>; planned: Planned<ValueOf<S>> },
    ctx: PlanContext,
  ): Planned<ValueOf<S>> | void | Promise<Planned<ValueOf<S>> | void>;
  /** Returns the new state; attributes it leaves out are taken from the plan. */
  create(input: { planned: Planned<ValueOf<S>>; config: ValueOf<S> }, ctx: HandlerContext): Partial<ValueOf<S>> | Promise<Partial<ValueOf<S>>>;
  /** Returns the current state, or null when the object no longer exists. */
  read(input: { state: ValueOf<S> }, ctx: HandlerContext): Partial<ValueOf<S>> | null | Promise<Partial<ValueOf<S>> | null>;
  /** Needed unless every attribute requires replacement. */
  update?(
    input: { prior: ValueOf<S>; planned: Planned<ValueOf<S>>; config: ValueOf<S> },
    ctx: HandlerContext,
  ): Partial<ValueOf<S>> | Promise<Partial<ValueOf<S>>>;
  delete(input: { state: ValueOf<S> }, ctx: HandlerContext): void | Promise<void>;
  /** `terraform import ADDRESS ID`: the state to read from (missing attributes are null); `read` follows. */
  importState?(id: string, ctx: HandlerContext): Partial<ValueOf<S>> | Promise<Partial<ValueOf<S>>>;
  /** State stored by an older schema version (its JSON, numbers exact) to the current schema. */
  upgradeState?(input: { version: number; state: any }, ctx: HandlerContext): Partial<ValueOf<S>> | Promise<Partial<ValueOf<S>>>;
}

export interface DataSourceDefinition<S extends Schema<any>> {
  schema: S;
  validate?(config: Planned<ValueOf<S>>, ctx: HandlerContext): ValidateResult;
  /** Returns the data; attributes it leaves out are taken from the configuration. */
  read(input: { config: ValueOf<S> }, ctx: HandlerContext): Partial<ValueOf<S>> | Promise<Partial<ValueOf<S>>>;
}

export interface FunctionParameter<T = any> {
  name: string;
  type: Typed<T>;
  description?: string;
  /** Let null arguments through (otherwise Terraform refuses them). */
  allowNull?: boolean;
  /** Let unknown arguments through (otherwise Terraform does not call the function while one is unknown). */
  allowUnknown?: boolean;
}

type Args<P extends readonly FunctionParameter[]> = { -readonly [I in keyof P]: P[I] extends FunctionParameter<infer T> ? T : never };

export interface FunctionDefinition<P extends readonly FunctionParameter[] = FunctionParameter[], R = any, V = any> {
  summary?: string;
  description?: string;
  deprecated?: string;
  parameters: P;
  /** Any number of further arguments of this type, passed as an array after the others. */
  variadic?: FunctionParameter<V>;
  returns: Typed<R>;
  run(args: [...Args<P>, ...V[]], ctx: HandlerContext): R | Promise<R>;
}

/** Thrown from a function: Terraform names the argument at fault. */
export class FunctionArgumentError extends Error {
  override name = 'FunctionArgumentError';
  constructor(
    readonly argument: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ProviderDefinition<PS extends Schema<any> = Schema<any>> {
  /** The provider block's schema (default: no attributes). */
  schema?: PS;
  /** Called once with the provider block; what it returns reaches handlers as `ctx.provider`. Values may be unknown. */
  configure?(config: Planned<ValueOf<PS>>, ctx: HandlerContext & { terraformVersion: string }): unknown;
  resources?: Record<string, ResourceDefinition<any>>;
  dataSources?: Record<string, DataSourceDefinition<any>>;
  functions?: Record<string, FunctionDefinition<any, any, any>>;
}

/** Typing helpers: they only return their argument, so `S` is inferred per resource. */
export const resource = <S extends Schema<any>>(definition: ResourceDefinition<S>): ResourceDefinition<S> => definition;
export const dataSource = <S extends Schema<any>>(definition: DataSourceDefinition<S>): DataSourceDefinition<S> => definition;
export const providerFunction = <const P extends readonly FunctionParameter[], R, V = never>(definition: FunctionDefinition<P, R, V>): FunctionDefinition<P, R, V> =>
  definition;
