// The server's route table: each method's :path to its handler, and the services added, for the
// "unknown service" / "unknown method" answer and for reflection.
import { callKind, type Route, type RouteHandler } from './server-call.js';
import { methodAliases, type ServiceDefinition, type ServiceHandlers } from './service.js';

export class RouteTable {
  readonly #routes = new Map<string, Route>();
  readonly #services = new Set<string>();
  /** Definitions by service name, for reflection. */
  readonly definitions = new Map<string, ServiceDefinition[]>();

  /**
   * Routes each method of `definition` that `handlers` implements (under its key, lower-camel name or
   * original name); a method left out gets no route, so its callers get UNIMPLEMENTED "unknown method".
   */
  add<S extends ServiceDefinition>(definition: S, handlers: ServiceHandlers<S>): void {
    const table: Record<string, unknown> = handlers;
    const known = new Set<string>();
    for (const [key, method] of Object.entries(definition)) {
      if (typeof method?.path !== 'string') throw new TypeError(`method "${key}" of the service definition has no path`);
      if (this.#routes.has(method.path)) throw new Error(`a handler for ${method.path} is already registered`);
      const aliases = methodAliases(key, method);
      for (const a of aliases) known.add(a);
      const name = aliases.find((a) => typeof table[a] === 'function');
      const service = method.path.slice(1, method.path.lastIndexOf('/'));
      this.#services.add(service);
      const seen = this.definitions.get(service) ?? [];
      if (!seen.includes(definition)) this.definitions.set(service, [...seen, definition]);
      if (name === undefined) continue;
      this.#routes.set(method.path, { method, handler: table[name] as RouteHandler, kind: callKind(method) });
    }
    for (const name of Object.keys(table)) {
      if (!known.has(name)) {
        throw new TypeError(`handler "${name}" matches no method of the service; methods: ${Object.keys(definition).join(', ')}`);
      }
    }
  }

  get(path: string): Route | undefined {
    return this.#routes.get(path);
  }

  /** Why `path` has no route, in grpc-go's wording, which hosts and tools match on. */
  unknownMethodText(path: string): string {
    const slash = path.lastIndexOf('/');
    const service = path.slice(1, slash);
    const method = path.slice(slash + 1);
    if (slash <= 0 || !this.#services.has(service)) return `unknown service ${service || path}`;
    return `unknown method ${method} for service ${service}`;
  }
}
