/**
 * Watches a queue factory's status stream for the backend coming back after a loss, the one
 * moment at which Messaging frames may have been missed: a reconnect after `disconnected` or
 * `reconnecting`, and (when asked) a consumer group recreated because the server lost its data.
 * Both Messaging transports act on it: the gateway reports `recovered` to routing, an instance
 * sends its HELLO again.
 */
import type { Logger } from '../../logger.js';
import type { MessageQueueFactory } from '../../queue/types.js';

/** What counts as a recovery: always a reconnect after a loss; `group-recreated` only when asked. */
export type RecoveryEvent = 'connected' | 'group-recreated';

/**
 * Calls `onRecovered` for each recovery until `signal` aborts or the status stream ends. Never
 * rejects: a failing stream or callback is logged (`what` names the consequence for the log).
 */
export async function watchBackendRecovery(
  factory: MessageQueueFactory,
  signal: AbortSignal,
  options: { readonly groupRecreated: boolean; readonly logger: Logger; readonly what: string },
  onRecovered: (event: RecoveryEvent) => void | Promise<void>,
): Promise<void> {
  const iterator = factory.status()[Symbol.asyncIterator]();
  const stopped = new Promise<null>((resolve) => {
    if (signal.aborted) resolve(null);
    else signal.addEventListener('abort', () => resolve(null), { once: true });
  });
  let lost = false;
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), stopped]);
      if (next === null || next.done === true) return;
      const status = next.value;
      if (status.type === 'disconnected' || status.type === 'reconnecting') lost = true;
      else if ((status.type === 'connected' && lost) || (status.type === 'group-recreated' && options.groupRecreated)) {
        lost = false;
        await onRecovered(status.type);
      }
    }
  } catch (err) {
    options.logger.warn({ err }, `backend status stream failed; ${options.what}`);
  } finally {
    void iterator.return?.();
  }
}
