// A listener or callback that does nothing, shared so each layer does not declare its own.

export function noop(): void {}
