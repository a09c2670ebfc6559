import { defineConfig, type ProxyOptions } from 'vite';

// Ports come from the environment so the launcher can pass them through; a --port flag on
// the command line still wins over server.port. Everything listens on loopback only.
const frontendPort = portFromEnv('FRONTEND_PORT', 3000);
const backendPort = portFromEnv('BACKEND_PORT', 3002);
const backend = `http://127.0.0.1:${backendPort}`;

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name} must be a port number between 1 and 65535, got "${raw}"`);
  }
  return port;
}

// When the backend is down, answer like the backend would ({success:false, error, details})
// with 502 instead of Vite's empty text/plain 500, so the page can say what is wrong.
const toBackend: ProxyOptions = {
  target: backend,
  configure(proxy) {
    proxy.on('error', (err, _req, res) => {
      if (!('writeHead' in res) || res.headersSent || res.writableEnded) return;
      res.writeHead(502, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({
        success: false,
        error: 'backend unreachable',
        details: `${backend}: ${(err as { code?: string }).code ?? err.message}`,
      }));
    });
  },
};

const proxy = { '/api': toBackend, '/health': toBackend };

export default defineConfig({
  server: { host: '127.0.0.1', port: frontendPort, strictPort: true, proxy },
  preview: { host: '127.0.0.1', port: frontendPort, strictPort: true, proxy },
  build: { target: 'es2022' },
});
