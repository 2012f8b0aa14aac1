// npm run bench:files — upload throughput (1 GiB, fsynced, next to dd conv=fsync writing the same
// bytes, and both without fsync in the same run), metadata
// time of a 100 MB gcode, and server.files.list over 10,000 gcode files, with the server's
// event-loop delay measured inside the server process. Writes bench/results/files.json and
// bench/results/files.md.
import { execFileSync } from 'node:child_process';
import { ServerProcess } from '../test/helpers/serverProcess.js';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { machineFacts, median, round } from './benchLib.js';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readMetadata } from '../src/fs/metadata/metadataWorker.js';
import { sample as samplePath } from '../test/helpers/gcodeSamples.js';

const GiB = 1024 ** 3;
/** dd and the upload alternate, so a busy moment of a shared machine hits both alike. */
const RUNS = Number(process.env.BENCH_FILES_RUNS ?? 5);
const MB = 1_000_000;
const RESULTS = join(import.meta.dirname, 'results');
const work = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'moonstate-bench-'));

async function startServer(dataPath: string, opts: { noFsync?: boolean } = {}): Promise<ServerProcess> {
  const sp = await ServerProcess.start(dataPath, opts);
  await sp.settle();
  return sp;
}

/** Streams `path` as a multipart upload; resolves with the reply. */
function uploadFile(url: string, path: string, filename: string): Promise<{ status: number; body: string }> {
  const boundary = '----bench' + randomBytes(8).toString('hex');
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const size = statSync(path).size;
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        method: 'POST',
        path: '/server/files/upload',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': head.length + size + tail.length },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.write(head);
    const rs = createReadStream(path, { highWaterMark: 1024 * 1024 });
    rs.pipe(req, { end: false });
    rs.on('end', () => req.end(tail));
    rs.on('error', reject);
  });
}

async function getJson(url: string): Promise<{ ms: number; status: number; body: unknown }> {
  const t0 = performance.now();
  const res = await fetch(url);
  const body = await res.json();
  return { ms: performance.now() - t0, status: res.status, body };
}

const NOTES = `Durability: an upload is acknowledged only once it is on disk (fsync of the file before the
rename, of its folder after). Measured against \`dd conv=fsync\` writing the same bytes, and, in the
same run, a server started without fsync against plain dd, so the cost of the flush shows apart from
the machine's mood. A flush only at the end made an upload take its network time plus the whole
writeback; the upload now asks for an fdatasync in the background every 64 MiB
(src/fs/upload.ts), so receiving and writeback overlap and the final fsync waits for the tail only.
On this VM the disk's flush rate, not the server, sets the pace of every durable write.

Reading the upload numbers: dd copies a file that sits in the page cache into the page cache, so on
this shared VM it runs anywhere from ~0.6 to ~3 GiB/s from one minute to the next (memory speed when
writeback is not throttling). An upload crosses loopback TCP between two processes (two more copies
than dd) on two cores; the "loopback ceiling" row is the same client posting to a server that only
reads and drops the body, which no upload can beat. History: formidable reached 27 % of dd (its
byte-wise boundary scan and a wait on every disk write); the streaming reader in src/fs/multipart.ts
with pipelined writes brought it to 0.75-1.2 GiB/s. How close that is to the ceiling varies: in one
quick run the ceiling was 1.1-1.3 GiB/s, in the committed run 2.2 GiB/s with the upload at a third of
it. A CPU profile of the server during uploads shows it idle most of the time, which points at
disk writeback on this VM rather than parsing; that is likely, not proven.

The event loop during an upload: the committed run of the old benchmark saw one 89.8 ms stall;
runs since show 7-40 ms. No synchronous call of ours is behind it. With --trace-gc a 1 GiB upload
sets off ~30 full collections (Mark-Compact, up to ~20 ms each with their incremental steps),
because socket chunks queued for the disk live long enough to be promoted, where a server that
drops the bytes has none; the rest is two cores shared by the client, the server, libuv's write
threads and kernel writeback. Copying chunks into reused 1 MiB blocks cut the full collections
by three quarters but did not lower the maximum and cost more than half the throughput, so it
was not kept.`;


function dropCaches(): void {
  // Best effort: without root the page cache stays warm for both dd and the upload alike.
  try {
    execFileSync('sync');
  } catch {
    /* ignore */
  }
}

async function main(): Promise<void> {
  const facts = {
    ...machineFacts(),
    filesystem: (() => {
      try {
        return execFileSync('df', ['-T', work], { encoding: 'utf8' }).trim().split('\n').pop()!.split(/\s+/)[1];
      } catch {
        return 'unknown';
      }
    })(),
  };
  console.log('machine', facts);
  const loadAtStart = loadavg();

  // ---- 1. Upload of 1 GiB vs dd writing the same bytes -----------------------------------
  const source = join(work, 'source.gcode');
  {
    const line = Buffer.from('G1 X123.456 Y78.901 E0.12345 F1800 ; a typical extrusion move, padded\n');
    const block = Buffer.alloc(1024 * 1024);
    for (let o = 0; o < block.length; o += line.length) line.copy(block, o, 0, Math.min(line.length, block.length - o));
    const ws = createWriteStream(source);
    for (let i = 0; i < 1024; i++) if (!ws.write(block)) await once(ws, 'drain');
    ws.end();
    await once(ws, 'finish');
  }
  // Two servers on the same disk: the real one (an upload is fsynced before it is acknowledged)
  // and one started without fsync, to show what durability costs. dd writes the same bytes
  // with and without conv=fsync. All four alternate, so a busy moment of a shared machine hits
  // each alike.
  const data1 = join(work, 'upload-data');
  const data1n = join(work, 'upload-data-nofsync');
  mkdirSync(data1);
  mkdirSync(data1n);
  const server = await startServer(data1);
  const serverNoFsync = await startServer(data1n, { noFsync: true });
  const uploads: Array<{ seconds: number; mibPerS: number; loopMaxMs: number }> = [];
  const uploadsNoFsync: Array<{ seconds: number; mibPerS: number }> = [];
  const dds: Array<{ seconds: number; mibPerS: number }> = [];
  const ddsNoFsync: Array<{ seconds: number; mibPerS: number }> = [];
  const dd = (fsync: boolean, run: number) => {
    dropCaches();
    const ddOut = join(work, `dd-${run}.bin`);
    const t0 = performance.now();
    execFileSync('dd', [`if=${source}`, `of=${ddOut}`, 'bs=1M', ...(fsync ? ['conv=fsync'] : [])], { stdio: 'ignore' });
    const s = (performance.now() - t0) / 1000;
    rmSync(ddOut);
    return { seconds: round(s, 3), mibPerS: round(1024 / s) };
  };
  const up = async (sp: ServerProcess, dataPath: string, run: number) => {
    dropCaches();
    await sp.resetLoop();
    const t1 = performance.now();
    const r = await uploadFile(sp.url, source, `big-${run}.gcode`);
    const upS = (performance.now() - t1) / 1000;
    // 201 in today's dialect (the default), 200 in the spec's.
    if (r.status !== 201 && r.status !== 200) throw new Error(`upload failed: ${r.status} ${r.body}`);
    const loop = await sp.loop();
    rmSync(join(dataPath, 'gcodes', `big-${run}.gcode`));
    await sp.settle();
    return { seconds: round(upS, 3), mibPerS: round(1024 / upS), loopMaxMs: round(loop.maxMs) };
  };
  for (let run = 0; run < RUNS; run++) {
    dds.push(dd(true, run));
    uploads.push(await up(server, data1, run));
    ddsNoFsync.push(dd(false, run));
    const n = await up(serverNoFsync, data1n, run);
    uploadsNoFsync.push({ seconds: n.seconds, mibPerS: n.mibPerS });
    console.log(
      `run ${run}: dd conv=fsync ${dds[run]!.mibPerS} MiB/s, upload ${uploads[run]!.mibPerS} MiB/s (event loop max ${uploads[run]!.loopMaxMs} ms); ` +
        `without fsync: dd ${ddsNoFsync[run]!.mibPerS}, upload ${n.mibPerS} MiB/s`,
    );
  }
  await server.stop();
  await serverNoFsync.stop();
  // The ceiling of the transport itself: the same client, a server that drops the body.
  const ceiling: number[] = [];
  {
    const discard = await ServerProcess.discard();
    for (let run = 0; run < RUNS; run++) {
      const t = performance.now();
      const r = await uploadFile(discard.url, source, 'x');
      if (r.status !== 200) throw new Error('discard server failed');
      ceiling.push(round(1024 / ((performance.now() - t) / 1000)));
    }
    await discard.stop();
  }
  const ceilingMedian = median(ceiling);
  const ddMedian = median(dds.map((d) => d.mibPerS));
  const upMedian = median(uploads.map((u) => u.mibPerS));
  const ddNoFsyncMedian = median(ddsNoFsync.map((d) => d.mibPerS));
  const upNoFsyncMedian = median(uploadsNoFsync.map((u) => u.mibPerS));

  // ---- 2. Metadata of a 100 MB gcode ------------------------------------------------------
  const data2 = join(work, 'meta-data');
  const gc2 = join(data2, 'gcodes');
  mkdirSync(gc2, { recursive: true });
  const sample = readFileSync(samplePath('prusaslicer-2.7.4_plant-sign.gcode'));
  const bigGcode = join(gc2, 'big-100MB.gcode');
  {
    const headPart = sample.subarray(0, 200_000);
    const tailPart = sample.subarray(sample.length - 200_000);
    const body = sample.subarray(200_000, sample.length - 200_000);
    const ws = createWriteStream(bigGcode);
    ws.write(headPart);
    let written = headPart.length + tailPart.length;
    while (written < 100 * MB) {
      const n = Math.min(body.length, 100 * MB - written);
      if (!ws.write(body.subarray(0, n))) await once(ws, 'drain');
      written += n;
    }
    ws.end(tailPart);
    await once(ws, 'finish');
  }
  // Pure extraction time (read both ends + parse), in this process.
  const direct: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    const m = await readMetadata(bigGcode, gc2);
    direct.push(performance.now() - t0);
    if (m.metadata.slicer !== 'PrusaSlicer') throw new Error('wrong metadata');
  }
  const metaServer = await startServer(data2);
  // The startup scan has parsed it already: force an on-demand parse by touching the file.
  const requests: number[] = [];
  let metaLoop = 0;
  for (let i = 0; i < 5; i++) {
    const t = new Date(Date.now() + (i + 1) * 10_000);
    const { utimesSync } = await import('node:fs');
    utimesSync(bigGcode, t, t);
    await metaServer.resetLoop();
    const r = await getJson(`${metaServer.url}/server/files/metadata?filename=big-100MB.gcode`);
    if (r.status !== 200) throw new Error(`metadata failed: ${JSON.stringify(r.body)}`);
    requests.push(r.ms);
    metaLoop = Math.max(metaLoop, (await metaServer.loop()).maxMs);
  }
  const cached: number[] = [];
  for (let i = 0; i < 5; i++) cached.push((await getJson(`${metaServer.url}/server/files/metadata?filename=big-100MB.gcode`)).ms);
  await metaServer.stop();

  // ---- 3. server.files.list over 10,000 gcode files --------------------------------------
  const data3 = join(work, 'list-data');
  const gc3 = join(data3, 'gcodes');
  mkdirSync(gc3, { recursive: true });
  const small = Buffer.from('; generated by PrusaSlicer 2.7.4 on 2024-05-26 at 02:00:16 UTC\nG28\nG1 Z0.2 F3000\nG1 X10 Y10 E1\n');
  for (let i = 0; i < 10_000; i++) {
    const dir = i < 5000 ? gc3 : join(gc3, `folder-${i % 50}`);
    if (i >= 5000 && i < 5050) mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `part-${String(i).padStart(5, '0')}.gcode`), small);
  }
  const t0 = performance.now();
  const listServer = await startServer(data3);
  const startupS = (performance.now() - t0) / 1000;
  await listServer.resetLoop();
  const listTimes: number[] = [];
  let count = 0;
  for (let i = 0; i < 10; i++) {
    const r = await getJson(`${listServer.url}/server/files/list`);
    listTimes.push(r.ms);
    count = (r.body as { result: unknown[] }).result.length;
  }
  const listLoop = await listServer.loop();
  await listServer.stop();
  if (count !== 10_000) throw new Error(`listed ${count} files`);

  const results = {
    machine: facts,
    upload: {
      sizeBytes: GiB,
      runs: uploads,
      dd: dds,
      medianMiBPerS: upMedian,
      ddMedianMiBPerS: ddMedian,
      ratioToDd: round(upMedian / ddMedian, 2),
      loopbackCeilingMiBPerS: ceiling,
      loopbackCeilingMedianMiBPerS: ceilingMedian,
      ratioToCeiling: round(upMedian / ceilingMedian, 2),
      medianRunRatio: round(median(uploads.map((u, i) => u.mibPerS / dds[i]!.mibPerS)), 2),
      fsync: 'uploads fsynced before the reply; dd with conv=fsync',
      withoutFsync: {
        runs: uploadsNoFsync,
        dd: ddsNoFsync,
        medianMiBPerS: upNoFsyncMedian,
        ddMedianMiBPerS: ddNoFsyncMedian,
        ratioToDd: round(upNoFsyncMedian / ddNoFsyncMedian, 2),
      },
      costOfFsync: round(1 - upMedian / upNoFsyncMedian, 2),
      goal: '>= 0.80 of dd conv=fsync',
    },
    metadata: {
      fileBytes: statSync(bigGcode).size,
      extractMsMedian: round(median(direct), 2),
      requestMsMedian: round(median(requests), 2),
      requestMsRuns: requests.map((r) => round(r, 2)),
      cachedRequestMsMedian: round(median(cached), 2),
      serverEventLoopMaxMs: round(metaLoop, 2),
      goal: '< 50 ms',
    },
    list: {
      files: count,
      firstMs: round(listTimes[0]!, 1),
      medianMs: round(median(listTimes), 1),
      maxMs: round(Math.max(...listTimes), 1),
      serverEventLoopMaxMs: round(listLoop.maxMs, 1),
      serverEventLoopP99Ms: round(listLoop.p99Ms, 1),
      serverStartupWithScanS: round(startupS, 2),
      goal: '< 200 ms; event loop blocked < 20 ms',
    },
  };
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'files.json'), JSON.stringify(results, null, 2) + '\n');
  const ok = (b: boolean) => (b ? 'met' : '**missed**');
  const md = `# Files benchmark

\`npm run bench:files\` on ${facts.cpus} × ${facts.cpuModel}, ${facts.memoryGiB} GiB RAM, ${facts.filesystem}, Node ${facts.node}, ${facts.date.slice(0, 10)}.
The server runs in its own process and measures its own event-loop delay (\`monitorEventLoopDelay\`, 1 ms resolution).
Load average when the run began: ${loadAtStart.map((l) => l.toFixed(1)).join(' / ')} (1 / 5 / 15 min; other people's work on the same ${facts.cpus} cores shows in every number).

| measure | result | goal | |
|---|---|---|---|
| upload 1 GiB, fsynced before the reply (median of ${RUNS}) | ${upMedian} MiB/s | ≥ 80 % of dd conv=fsync | ${ok(upMedian / ddMedian >= 0.8)} |
| dd conv=fsync of the same file, alternating with the uploads (median of ${RUNS}) | ${ddMedian} MiB/s | | |
| upload ÷ dd conv=fsync (medians; median of the per-run ratios) | ${round((100 * upMedian) / ddMedian, 0)} %; ${round(100 * results.upload.medianRunRatio, 0)} % | ≥ 80 % | |
| upload 1 GiB without fsync (a server started so, same run) | ${upNoFsyncMedian} MiB/s | | |
| dd without fsync (same run) | ${ddNoFsyncMedian} MiB/s | | |
| upload ÷ dd, both without fsync | ${round((100 * upNoFsyncMedian) / ddNoFsyncMedian, 0)} % | | |
| throughput lost to fsync (upload with ÷ without) | ${round(100 * results.upload.costOfFsync, 0)} % | | |
| loopback ceiling: same client, a server that drops the body (median of ${RUNS}) | ${ceilingMedian} MiB/s | | |
| upload ÷ loopback ceiling | ${round((100 * upMedian) / ceilingMedian, 0)} % | | |
| event loop max during an upload | ${Math.max(...uploads.map((u) => u.loopMaxMs))} ms | | |
| metadata of a 100 MB gcode, HTTP request, not cached (median of 5) | ${results.metadata.requestMsMedian} ms | < 50 ms | ${ok(results.metadata.requestMsMedian < 50)} |
| metadata extraction alone (read both ends + parse) | ${results.metadata.extractMsMedian} ms | | |
| metadata request, cached | ${results.metadata.cachedRequestMsMedian} ms | | |
| event loop max during metadata requests | ${results.metadata.serverEventLoopMaxMs} ms | | |
| server.files.list, 10,000 files (median of 10; first ${results.list.firstMs} ms) | ${results.list.medianMs} ms | < 200 ms | ${ok(results.list.maxMs < 200)} |
| event loop max during the 10 list calls | ${results.list.serverEventLoopMaxMs} ms | < 20 ms | ${ok(results.list.serverEventLoopMaxMs < 20)} |

${NOTES}
`;
  writeFileSync(join(RESULTS, 'files.md'), md);
  console.log(md);
}

try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
