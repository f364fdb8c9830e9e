// Writes N rows of (timestamp, int, float, float, short text) CSV to stdout: about 40 bytes a row.
const n = Number(process.argv[2] || 1000000);
const start = Date.parse('2020-01-01T00:00:00Z');
const chunk = [];
let out = 'time,device_id,temperature,humidity,status\n';
for (let i = 0; i < n; ++i) {
  const t = new Date(start + i * 1000).toISOString().replace('T', ' ').replace('.000Z', '+00');
  out += `${t},${i % 1000},${(20 + (i % 137) / 10).toFixed(2)},${(40 + (i % 59) / 3).toFixed(2)},${i % 97 ? 'ok' : 'warn'}\n`;
  if (out.length > 1 << 20) {
    process.stdout.write(out);
    out = '';
  }
}
process.stdout.write(out);
