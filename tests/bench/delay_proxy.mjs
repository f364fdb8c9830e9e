// A TCP proxy on loopback that delays every packet by half a round trip in each direction, so a
// benchmark can see what a network between client and server costs (run by hand, no packages).
//   node tests/bench/delay_proxy.mjs TARGET_PORT RTT_MS     prints "READY <port>" once listening
import net from 'node:net';

const [targetPort, rttMs] = process.argv.slice(2).map(Number);
if (!targetPort || !(rttMs >= 0)) {
    console.error('usage: delay_proxy.mjs TARGET_PORT RTT_MS');
    process.exit(2);
}
const half = rttMs / 2;

// Timers of equal delay fire in the order they were set, so the byte order is kept.
const relay = (from, to) => from.on('data', (data) => setTimeout(() => to.destroyed || to.write(data), half));

const server = net.createServer((client) => {
    client.setNoDelay(true);
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort }, () => upstream.setNoDelay(true));
    relay(client, upstream);
    relay(upstream, client);
    const close = () => setTimeout(() => { client.destroy(); upstream.destroy(); }, half);
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
});
server.listen(0, '127.0.0.1', () => console.log(`READY ${server.address().port}`));
