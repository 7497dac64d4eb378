import { connect } from 'node:net';
import { startWebServer } from './src/bots/web/server.ts';
import { createEngine } from './src/engine/index.ts';
import { readFileSync } from 'node:fs';
const engine = await createEngine({ queue: { perRequester: 2 } });
const log = { debug: () => {}, info: (m: string, f?: unknown) => console.log('info', m, f), warn: console.log, error: (m: string, f?: unknown) => console.log('error', m, f) };
const s = await startWebServer(engine, { host: '127.0.0.1', port: 0, log, uploadIdleMs: 600, perAddress: 4 });
const b = 'x-stall-boundary';
const sock = connect(s.port, '127.0.0.1');
sock.write(`POST /api/cartoon HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nContent-Type: multipart/form-data; boundary=${b}\r\nContent-Length: 1000000\r\n\r\n--${b}\r\nContent-Disposition: form-data; name="photo"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG`);
sock.on('data', (d) => console.log('got', d.toString().slice(0, 200)));
for (let i = 0; i < 10; i++) { await new Promise((r) => setTimeout(r, 200)); console.log(JSON.stringify(engine.stats())); }
const body = new FormData(); body.append('__proto__', 'x'); body.append('resolution', '256'); body.append('photo', new Blob([new Uint8Array(readFileSync('test/fixtures/coffee.png'))]), 'p.png');
const r = await fetch(new URL('/api/cartoon', s.url), { method: 'POST', body });
console.log(r.status, r.status !== 200 ? await r.text() : '');
sock.destroy(); await s.close(); await engine.close();
