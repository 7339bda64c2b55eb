/**
 * How often a remote agent's long poll looks for a parked task, and a parking worker for its
 * agent's outcome. Both are one small script on the registry's slot; 100 ms keeps a hand-off
 * under a tenth of a second without a blocking connection per waiting agent.
 */
export const REMOTE_POLL_MS = 100;

/**
 * How long a parked task outlives its worker's last look (or its lease's expiry) before Redis
 * drops it: a worker that died leaves nothing behind for longer, and its job runs again elsewhere.
 */
export const REMOTE_KEEP_MS = 10_000;
