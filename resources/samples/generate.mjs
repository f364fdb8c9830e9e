// Regenerates the sample CSV files for the demo hypertable `conditions`
// (resources/demo/seed.sql). Run: node resources/samples/generate.mjs
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const HALF_HOUR = 30 * 60 * 1000;

// Same deterministic values as the seed.
function reading(t, d) {
  const epoch = t / 1000;
  const temperature = Math.round((20 + d + 5 * Math.sin((epoch / 43200) * Math.PI)) * 100) / 100;
  const humidity = Math.round((50 + 2 * d + 10 * Math.cos((epoch / 86400) * Math.PI)) * 100) / 100;
  const hour = new Date(t).getUTCHours();
  const status = hour === 3 && d === 2 ? 'maintenance' : 'ok';
  return { temperature, humidity, status };
}

function iso(t) {
  return new Date(t).toISOString().replace('T', ' ').replace('.000Z', '+00');
}

function rows(from, to, devices, step = HALF_HOUR) {
  const out = [];
  for (let t = Date.parse(from); t < Date.parse(to); t += step)
    for (const d of devices) {
      const r = reading(t, d);
      out.push([iso(t), d, r.temperature, r.humidity, r.status]);
    }
  return out;
}

function write(name, data) {
  const lines = ['time,device_id,temperature,humidity,status', ...data.map((r) => r.join(','))];
  writeFileSync(join(here, name), lines.join('\n') + '\n');
  console.log(`${name}: ${data.length} data rows`);
}

// 1. Fills device 5's gap inside compressed chunks (2026-08-10 .. 2026-08-16).
write('conditions_gap.csv', rows('2026-08-10T00:00:00Z', '2026-08-17T00:00:00Z', [5]));

// 2. 2026-08-20: devices 1 and 2 already exist (96 duplicates), device 6 is new (48 rows).
write('conditions_duplicates.csv', rows('2026-08-20T00:00:00Z', '2026-08-21T00:00:00Z', [1, 2, 6]));

// 3. The week before the first chunk (2026-07-27 .. 2026-08-02), hourly, devices 1-5: new chunks.
write('conditions_before_first_chunk.csv',
      rows('2026-07-27T00:00:00Z', '2026-08-03T00:00:00Z', [1, 2, 3, 4, 5], 2 * HALF_HOUR));

// 4. Device 7 on 2026-08-25 with four broken lines among 48 (44 valid rows).
const bad = rows('2026-08-25T00:00:00Z', '2026-08-26T00:00:00Z', [7]);
bad[5][0] = '2026-13-45 99:00:00+00';       // impossible timestamp
bad[17][2] = 'warm';                         // not a number
bad[29] = bad[29].slice(0, 3);               // ragged: two fields missing
bad[41][1] = 'seven';                        // not an integer
write('conditions_bad_rows.csv', bad);
