import { Queue } from 'bullmq';
import type { Job, JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { jobRegistry } from './jobs';
import type { JobName, JobPayload, QueueName } from './jobs';

export class InvalidJobPayloadError extends Error {
  constructor(
    readonly jobName: string,
    readonly issues: string[],
  ) {
    super(`invalid payload for job ${jobName}: ${issues.join('; ')}`);
    this.name = 'InvalidJobPayloadError';
  }
}

const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 24 * 3600, count: 1_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** BullMQ's options, plus the quiet period of a debounced job (its registry default otherwise). */
export type EnqueueOptions = JobsOptions & { debounceMs?: number };

export type Producer = {
  enqueue<N extends JobName>(name: N, payload: JobPayload<N>, options?: EnqueueOptions): Promise<Job>;
  queue(name: QueueName): Queue;
  close(): Promise<void>;
};

/** The only place that adds jobs: payloads are validated before they reach Redis. */
export function createProducer(deps: { connection: Redis; prefix: string }): Producer {
  const queues = new Map<QueueName, Queue>();

  function queue(name: QueueName): Queue {
    let q = queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: deps.connection, prefix: deps.prefix });
      // A connection error reaches every caller as a rejected call (and the connection's own
      // listener); without a listener here BullMQ prints each one to stderr.
      q.on('error', () => undefined);
      queues.set(name, q);
    }
    return q;
  }

  async function enqueue<N extends JobName>(
    name: N,
    payload: JobPayload<N>,
    options: EnqueueOptions = {},
  ): Promise<Job> {
    const def = jobRegistry[name];
    const parsed = def.schema.safeParse(payload);
    if (!parsed.success) {
      throw new InvalidJobPayloadError(
        name,
        parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`),
      );
    }
    const { debounceMs, ...jobOptions } = options;
    let debounce: JobsOptions = {};
    if (def.debounce) {
      const ms = debounceMs ?? def.debounce.ms;
      const id = (def.debounce.key as (payload: unknown) => string)(parsed.data);
      debounce = { delay: ms, deduplication: { id, ttl: ms, extend: true, replace: true } };
    }
    return queue(def.queue).add(name, parsed.data, {
      ...DEFAULT_JOB_OPTIONS,
      ...def.defaults,
      ...debounce,
      ...jobOptions,
    });
  }

  async function close(): Promise<void> {
    await Promise.all([...queues.values()].map((q) => q.close()));
    queues.clear();
  }

  return { enqueue, queue, close };
}
