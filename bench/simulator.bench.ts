/**
 * HubSpot simulator benchmark. Build, then run:
 *   npm run build && node --expose-gc dist/bench/simulator.bench.js [contacts] [deals]
 *
 * 1. Generation: time and memory to build a portal of 100,000 contacts and 20,000 deals (and the
 *    30,000 meetings that come with them). Requirement: under a minute and under 1 GiB resident.
 * 2. Throughput on one core, rate limits lifted: the simulator's event loop is one thread; a
 *    separate load-generator process keeps CONCURRENCY requests in flight over keep-alive
 *    connections. Scenarios: list pages of 100 contacts at random cursors, list pages of 50 with
 *    history, and search (incremental-sync windows over deals and over contacts, each a cache miss
 *    that scans the whole object, and paging one cached query). Each is compared with a baseline measured in the same run: a bare express route that
 *    answers a fixed JSON of the same size (res.json of a captured answer). Requirement: at least
 *    10× the 11 requests per second HubSpot allows an app (110 req/s).
 * Reported: requests per wall second and per CPU second of the server process (the load generator
 * runs in its own process, so the server's CPU time is its own); on a shared machine the CPU figure
 * and the ratio to the baseline are the ones to compare.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import express from 'express';

import { API_PATHS, startSimulator } from '../src/simulator';

const CONCURRENCY = 16;
const WARMUP_MS = 1000;
const DURATION_MS = 5000;
const HUBSPOT_ALLOWED_RPS = 11;

type RequestSpec = { method: 'GET' | 'POST'; path: string; body?: string };
type LoadJob = {
  baseUrl: string;
  token: string;
  requests: RequestSpec[];
  concurrency: number;
  warmupMs: number;
  durationMs: number;
};
type LoadResult = {
  completed: number;
  errors: number;
  statuses: Record<string, number>;
  bytes: number;
  wallMs: number;
};

/** The load generator: runs in a child process so that its CPU is not the server's; one job per message. */
function runLoadGenerator(): void {
  process.on('message', (job: LoadJob) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: job.concurrency });
    const url = new URL(job.baseUrl);
    let next = 0;
    let measuring = false;
    let stopped = false;
    const result: LoadResult = { completed: 0, errors: 0, statuses: {}, bytes: 0, wallMs: 0 };
    const send = (): Promise<void> =>
      new Promise((resolve) => {
        const spec = job.requests[next++ % job.requests.length]!;
        const req = http.request(
          {
            agent,
            host: url.hostname,
            port: url.port,
            method: spec.method,
            path: spec.path,
            headers: {
              authorization: `Bearer ${job.token}`,
              ...(spec.body
                ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(spec.body) }
                : {}),
            },
          },
          (res) => {
            let bytes = 0;
            res.on('data', (chunk: Buffer) => (bytes += chunk.length));
            res.on('end', () => {
              if (measuring) {
                result.completed++;
                result.bytes += bytes;
                const key = String(res.statusCode);
                result.statuses[key] = (result.statuses[key] ?? 0) + 1;
              }
              resolve();
            });
          },
        );
        req.on('error', () => {
          if (measuring) result.errors++;
          resolve();
        });
        if (spec.body) req.write(spec.body);
        req.end();
      });
    const worker = async () => {
      while (!stopped) await send();
    };
    const workers = Array.from({ length: job.concurrency }, worker);
    let started = 0;
    setTimeout(() => {
      measuring = true;
      started = performance.now();
      process.send?.({ kind: 'measuring' });
      setTimeout(() => {
        measuring = false;
        stopped = true;
        result.wallMs = performance.now() - started;
        void Promise.all(workers).then(() => {
          agent.destroy();
          process.send?.({ kind: 'done', result });
        });
      }, job.durationMs);
    }, job.warmupMs);
  });
}

type Measurement = {
  rps: number;
  rpsPerCpuSecond: number;
  serverCpuMs: number;
  meanBytes: number;
  errors: number;
  statuses: Record<string, number>;
};

/** Runs one scenario: the server's CPU is counted only while the load generator measures. */
async function measure(
  generator: ChildProcess,
  job: Omit<LoadJob, 'concurrency' | 'warmupMs' | 'durationMs'>,
): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    let cpuStart: NodeJS.CpuUsage | null = null;
    const onMessage = (message: { kind: 'measuring' } | { kind: 'done'; result: LoadResult }) => {
      if (message.kind === 'measuring') {
        cpuStart = process.cpuUsage();
        return;
      }
      generator.off('message', onMessage);
      const cpu = process.cpuUsage(cpuStart ?? undefined);
      const serverCpuMs = (cpu.user + cpu.system) / 1000;
      const { result } = message;
      resolve({
        rps: result.completed / (result.wallMs / 1000),
        rpsPerCpuSecond: result.completed / (serverCpuMs / 1000),
        serverCpuMs,
        meanBytes: result.completed > 0 ? result.bytes / result.completed : 0,
        errors: result.errors,
        statuses: result.statuses,
      });
    };
    generator.on('message', onMessage);
    generator.once('error', reject);
    generator.send({ ...job, concurrency: CONCURRENCY, warmupMs: WARMUP_MS, durationMs: DURATION_MS });
  });
}

function spawnGenerator(): ChildProcess {
  return fork(__filename, ['--load-generator'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** A bare express app answering a fixed payload with res.json, the floor any JSON API over express pays. */
async function startBaseline(
  payloads: Record<string, unknown>,
): Promise<{ url: string; close: () => Promise<void> }> {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(express.json());
  for (const [name, payload] of Object.entries(payloads)) {
    app.get(`/${name}`, (_req, res) => {
      res.json(payload);
    });
    app.post(`/${name}`, (_req, res) => {
      res.json(payload);
    });
  }
  const server = await new Promise<http.Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

async function main(): Promise<void> {
  const contacts = Number(process.argv[2] ?? 100_000);
  const deals = Number(process.argv[3] ?? 20_000);
  const gc = (globalThis as { gc?: () => void }).gc;

  // 1. Generation.
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  const sim = await startSimulator({
    seed: 42,
    contacts,
    deals,
    rateScale: 0,
    anchor: '2026-11-01T00:00:00Z',
    searchConsistencyMs: 0,
  });
  const startMs = performance.now() - started;
  gc?.();
  const memory = process.memoryUsage();
  const peakRss = process.resourceUsage().maxRSS * 1024;
  const summary = sim.generation.portals[101]!;
  console.log(
    `generation: ${summary.contacts} contacts, ${summary.deals} deals, ${summary.meetings} meetings in ${sim.generation.durationMs} ms (listening after ${startMs.toFixed(0)} ms)`,
  );
  console.log(
    `memory: rss ${mib(memory.rss)} (before ${mib(rssBefore)}, peak ${mib(peakRss)}), heap used ${mib(memory.heapUsed)}${gc ? ' after gc' : ''}`,
  );

  // 2. Throughput.
  const token = sim.admin.issueTokens(101).access_token;
  // Cursors and windows from the id scheme and the time span, without materialising the portal.
  const firstId = Number(sim.admin.getRecord(101, 'contacts', 100_000_000_001)?.id ?? 100_000_000_001);
  const ids = Array.from({ length: 1000 }, (_, i) => String(firstId + Math.floor((i / 1000) * contacts * 2)));
  const anchor = Date.parse('2026-11-01T00:00:00Z');
  const yearTimes = Array.from(
    { length: 1000 },
    (_, i) => anchor - 365 * 86_400_000 + Math.floor((i / 1000) * 358 * 86_400_000),
  );
  const dealTimes = yearTimes;
  let seed = 1;
  const pick = <T>(items: readonly T[]): T =>
    items[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % items.length]!;
  const listRequests: RequestSpec[] = Array.from({ length: 500 }, () => ({
    method: 'GET',
    path: `${API_PATHS.objects('contacts')}?limit=100&after=${pick(ids)}`,
  }));
  const historyRequests: RequestSpec[] = Array.from({ length: 500 }, () => ({
    method: 'GET',
    path: `${API_PATHS.objects('contacts')}?limit=50&after=${pick(ids)}&properties=email,lifecyclestage,hs_analytics_source,hubspot_owner_id&propertiesWithHistory=lifecyclestage,hs_latest_source`,
  }));
  // Incremental-sync windows over deals' last-modified times: each body differs, so each search scans.
  const windowRequests: RequestSpec[] = Array.from({ length: 500 }, () => {
    const from = pick(dealTimes);
    return {
      method: 'POST',
      path: API_PATHS.search('deals'),
      body: JSON.stringify({
        filterGroups: [
          {
            filters: [
              {
                propertyName: 'hs_lastmodifieddate',
                operator: 'BETWEEN',
                value: String(from),
                highValue: String(from + 7 * 86_400_000),
              },
            ],
          },
        ],
        sorts: [{ propertyName: 'hs_lastmodifieddate', direction: 'ASCENDING' }],
        properties: ['dealstage', 'amount', 'pipeline', 'hs_is_closed_won'],
        limit: 200,
      }),
    };
  });
  const contactWindowRequests: RequestSpec[] = Array.from({ length: 500 }, () => {
    const from = pick(yearTimes);
    return {
      method: 'POST',
      path: API_PATHS.search('contacts'),
      body: JSON.stringify({
        filterGroups: [
          {
            filters: [
              {
                propertyName: 'lastmodifieddate',
                operator: 'BETWEEN',
                value: String(from),
                highValue: String(from + 86_400_000),
              },
            ],
          },
        ],
        sorts: [{ propertyName: 'lastmodifieddate', direction: 'ASCENDING' }],
        properties: ['lifecyclestage', 'hs_analytics_source', 'hubspot_owner_id'],
        limit: 200,
      }),
    };
  });
  const pagedRequests: RequestSpec[] = Array.from({ length: 50 }, (_, page) => ({
    method: 'POST',
    path: API_PATHS.search('contacts'),
    body: JSON.stringify({
      filterGroups: [
        {
          filters: [
            { propertyName: 'lifecyclestage', operator: 'IN', values: ['lead', 'marketingqualifiedlead'] },
          ],
        },
      ],
      sorts: [{ propertyName: 'createdate', direction: 'ASCENDING' }],
      limit: 100,
      after: String(page * 100),
    }),
  }));

  const sample = async (spec: RequestSpec): Promise<unknown> => {
    const response = await fetch(`${sim.url}${spec.path}`, {
      method: spec.method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(spec.body ? { body: spec.body } : {}),
    });
    return response.json();
  };
  const baseline = await startBaseline({
    list: await sample(listRequests[0]!),
    history: await sample(historyRequests[0]!),
    window: await sample(windowRequests[0]!),
    contactWindow: await sample(contactWindowRequests[0]!),
    paged: await sample(pagedRequests[1]!),
  });

  const scenarios: { name: string; requests: RequestSpec[]; baselinePath: string }[] = [
    { name: 'list, 100 contacts, random cursors', requests: listRequests, baselinePath: '/list' },
    { name: 'list, 50 contacts with 2 histories', requests: historyRequests, baselinePath: '/history' },
    {
      name: 'search deals, 7-day window, 200/page (cache miss)',
      requests: windowRequests,
      baselinePath: '/window',
    },
    {
      name: 'search contacts, 1-day window, 200/page (cache miss)',
      requests: contactWindowRequests,
      baselinePath: '/contactWindow',
    },
    { name: 'search contacts, paging one query, 100/page', requests: pagedRequests, baselinePath: '/paged' },
  ];
  const generator = spawnGenerator();
  const rows: string[] = [];
  const results: Record<string, { simulator: Measurement; baseline: Measurement }> = {};
  for (const scenario of scenarios) {
    sim.requestLog.clear();
    const simulator = await measure(generator, { baseUrl: sim.url, token, requests: scenario.requests });
    const base = await measure(generator, {
      baseUrl: baseline.url,
      token,
      requests: scenario.requests.map((r) => ({
        method: r.method,
        path: scenario.baselinePath,
        ...(r.body ? { body: r.body } : {}),
      })),
    });
    results[scenario.name] = { simulator, baseline: base };
    rows.push(
      `| ${scenario.name} | ${(simulator.meanBytes / 1024).toFixed(1)} KiB | ${simulator.rps.toFixed(0)} | ${simulator.rpsPerCpuSecond.toFixed(0)} | ${base.rps.toFixed(0)} | ${base.rpsPerCpuSecond.toFixed(0)} | ${(simulator.rpsPerCpuSecond / base.rpsPerCpuSecond).toFixed(2)} | ${(simulator.rps / HUBSPOT_ALLOWED_RPS).toFixed(0)}× |`,
    );
    const bad = Object.entries(simulator.statuses).filter(([status]) => status !== '200');
    if (bad.length > 0 || simulator.errors > 0)
      console.log(
        `  ${scenario.name}: unexpected answers ${JSON.stringify(simulator.statuses)}, errors ${simulator.errors}`,
      );
  }
  generator.kill();
  await baseline.close();
  await sim.close();

  console.log('');
  console.log(`process peak RSS after the throughput runs: ${mib(process.resourceUsage().maxRSS * 1024)}`);
  console.log(
    `concurrency ${CONCURRENCY}, ${DURATION_MS / 1000} s per run after ${WARMUP_MS / 1000} s warm-up, rate limits lifted`,
  );
  console.log(
    '| scenario | answer size | simulator req/s (wall) | simulator req/CPU-s | baseline req/s (wall) | baseline req/CPU-s | simulator / baseline (CPU) | simulator / HubSpot 11 req/s |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows) console.log(row);
  console.log('');
  console.log(
    JSON.stringify({
      generationMs: sim.generation.durationMs,
      rssMiB: Math.round(memory.rss / 1048576),
      peakRssMiB: Math.round(peakRss / 1048576),
      heapUsedMiB: Math.round(memory.heapUsed / 1048576),
      throughput: Object.fromEntries(
        Object.entries(results).map(([k, v]) => [
          k,
          {
            rps: Math.round(v.simulator.rps),
            rpsPerCpuSecond: Math.round(v.simulator.rpsPerCpuSecond),
            baselineRpsPerCpuSecond: Math.round(v.baseline.rpsPerCpuSecond),
          },
        ]),
      ),
    }),
  );
}

if (process.argv.includes('--load-generator')) runLoadGenerator();
else
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
