/**
 * The simulator of bench/writeback.bench.ts in a process of its own, so that the benchmark's
 * memory and CPU figures are the write-back's alone. Talks to its parent over IPC:
 * on start it sends the portal's ids and a token; `{ type: 'log', sinceSeq }` answers with counts
 * of the requests since then; `{ type: 'close' }` stops it.
 */
import { startSimulator } from '../src/simulator';

const PORTAL = 101;

async function main(): Promise<void> {
  const [contacts, deals, latencyMs] = process.argv.slice(2).map(Number);
  const sim = await startSimulator({
    seed: 'writeback-bench',
    anchor: '2026-11-01T00:00:00Z',
    contacts,
    deals,
    meetings: 0,
    latencyMs,
    requestLog: { capacity: 5_000, bodyLimit: 64 },
  });
  const truth = sim.groundTruth(PORTAL);
  const live = (r: { archived: boolean; mergedInto: string | null }) => !r.archived && r.mergedInto === null;
  process.send?.({
    type: 'ready',
    url: sim.url,
    token: sim.admin.issueTokens(PORTAL).access_token,
    dealIds: truth.deals.filter(live).map((d) => Number(d.id)),
    contactIds: truth.contacts.filter(live).map((c) => Number(c.id)),
    lastSeq: sim.requestLog.list().at(-1)?.seq ?? 0,
  });
  process.on('message', (message: { type: string; sinceSeq?: number }) => {
    if (message.type === 'log') {
      const log = sim.requestLog.list({ portalId: PORTAL }).filter((e) => e.seq > (message.sinceSeq ?? 0));
      process.send?.({
        type: 'log',
        total: log.length,
        batchUpdates: log.filter((e) => e.path.endsWith('/batch/update')).length,
        tooMany: log.filter((e) => e.status === 429).length,
        lastSeq: log.at(-1)?.seq ?? message.sinceSeq ?? 0,
        cpuMs: Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000),
      });
    } else if (message.type === 'close') {
      void sim.close().then(() => process.exit(0));
    }
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
