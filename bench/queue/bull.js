// The reference of bench/queue: no-op jobs through the `bull` package on the same Redis.
//   node bench/queue/bull.js throughput REDIS_PORT JOBS CONCURRENCY   → "jobs_per_s N"
//   node bench/queue/bull.js latency REDIS_PORT JOBS INTERVAL_MS      → "p50_ms X p99_ms Y"
// Jobs are removed on completion beyond the last 1000 (as the school-erp queue keeps 1000).
'use strict';
const Queue = require('bull');

const [mode, port, jobsArg, arg] = process.argv.slice(2);
const jobs = Number(jobsArg);
const now = () => performance.timeOrigin + performance.now(); // epoch ms, sub-millisecond

function open(name) {
  return new Queue(name, { redis: { host: '127.0.0.1', port: Number(port) },
                           defaultJobOptions: { removeOnComplete: 1000, attempts: 1 } });
}

async function throughput(concurrency) {
  const q = open('bench-bull-' + process.pid + '-' + concurrency);
  const batch = [];
  for (let i = 0; i < jobs; i++) batch.push({ data: { i } });
  for (let i = 0; i < batch.length; i += 1000) await q.addBulk(batch.slice(i, i + 1000));
  let done = 0, t0 = 0;
  await new Promise((resolve) => {
    q.on('completed', () => { if (++done === jobs) resolve(); });
    t0 = now();
    q.process(concurrency, async () => {});
  });
  const secs = (now() - t0) / 1000;
  console.log(`jobs_per_s ${Math.round(jobs / secs)}`);
  await q.obliterate({ force: true });
  await q.close();
}

async function latency(intervalMs) {
  const q = open('bench-bull-lat-' + process.pid);
  const lat = [];
  q.process(1, async (job) => { lat.push(now() - job.data.t); });
  await q.isReady();
  await new Promise((r) => setTimeout(r, 500));
  for (let i = 0; i < jobs; i++) {
    await q.add({ t: now() });
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  while (lat.length < jobs) await new Promise((r) => setTimeout(r, 10));
  lat.sort((a, b) => a - b);
  const pct = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(2);
  console.log(`p50_ms ${pct(0.5)} p99_ms ${pct(0.99)}`);
  await q.obliterate({ force: true });
  await q.close();
}

(mode === 'throughput' ? throughput(Number(arg)) : latency(Number(arg))).then(
  () => process.exit(0), (e) => { console.error(e); process.exit(1); });
