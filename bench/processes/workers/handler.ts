// What a job does in a worker process: nothing, so that a drain costs the queue alone, or a wait,
// as jobs that call another service spend most of their time (drain-io).

/**
 * `handler` itself at 0 ms, so that the no-op drains run the very same handler; otherwise a
 * handler that first waits `handlerMs`.
 */
export function afterWaiting<Args extends unknown[], Result>(
  handlerMs: number,
  handler: (...args: Args) => Promise<Result>,
): (...args: Args) => Promise<Result> {
  if (handlerMs === 0) return handler;
  return async (...args) => {
    await new Promise((resolve) => setTimeout(resolve, handlerMs));
    return handler(...args);
  };
}
