/**
 * The demo shop behind `palisade serve --demo`: a small, deliberately ordinary web app (login, search,
 * products, comments, file download, JSON API) for the proxy to protect. It escapes what it echoes and
 * uses no database; it exists so that a newcomer sees real traffic flow through Palisade.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

const PRODUCTS = [
  { id: 1, name: 'Trail running shoes', price: 89.9 },
  { id: 2, name: 'Rain jacket', price: 129 },
  { id: 3, name: 'Wool socks (3 pairs)', price: 19.5 },
  { id: 4, name: 'Headlamp 400 lm', price: 39 },
  { id: 5, name: "O'Brien hiking boots", price: 159 },
];
const FILES = new Set(['manual.pdf', 'size-guide.pdf', 'returns.txt']);
const USERS = new Map([
  ['alice', 'correct horse battery staple'],
  ['bob', 'hunter2hunter2'],
]);
const MAX_BODY = 64 * 1024;

const escapeHtml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)} · Demo Shop</title></head><body><nav><a href="/">Shop</a> · <a href="/search">Search</a> · <a href="/login">Login</a></nav><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://shop.local');
  const html = 'text/html; charset=utf-8';
  const json = 'application/json';
  switch (`${req.method} ${url.pathname}`) {
    case 'GET /':
      return send(
        res,
        200,
        html,
        page(
          'Demo Shop',
          `<ul>${PRODUCTS.map((p) => `<li><a href="/product?id=${p.id}">${escapeHtml(p.name)}</a></li>`).join('')}</ul>`,
        ),
      );
    case 'GET /search': {
      const q = url.searchParams.get('q') ?? '';
      const hits = PRODUCTS.filter((p) => p.name.toLowerCase().includes(q.toLowerCase()));
      return send(res, 200, html, page(`Results for "${q}"`, `<p>${hits.length} products</p>`));
    }
    case 'GET /product': {
      const p = PRODUCTS.find((x) => String(x.id) === url.searchParams.get('id'));
      return p
        ? send(res, 200, html, page(p.name, `<p>${p.price.toFixed(2)} EUR</p>`))
        : send(res, 404, html, page('Not found', ''));
    }
    case 'GET /login':
      return send(
        res,
        200,
        html,
        page(
          'Login',
          '<form method="post"><input name="user"><input name="password" type="password"><button>Login</button></form>',
        ),
      );
    case 'POST /login': {
      const form = new URLSearchParams(await readBody(req));
      const ok = USERS.get(form.get('user') ?? '') === form.get('password');
      return send(res, ok ? 200 : 401, html, page(ok ? 'Welcome back' : 'Wrong user or password', ''));
    }
    case 'POST /comments': {
      const form = new URLSearchParams(await readBody(req));
      return send(
        res,
        201,
        html,
        page('Thanks', `<blockquote>${escapeHtml(form.get('text') ?? '')}</blockquote>`),
      );
    }
    case 'GET /download': {
      const file = url.searchParams.get('file') ?? '';
      return FILES.has(file)
        ? send(res, 200, 'application/octet-stream', `demo file ${file}\n`)
        : send(res, 404, html, page('No such file', ''));
    }
    case 'GET /api/products':
      return send(res, 200, json, JSON.stringify(PRODUCTS));
    case 'POST /api/orders': {
      const order = JSON.parse(await readBody(req)) as unknown;
      return send(res, 201, json, JSON.stringify({ id: Math.floor(Math.random() * 1e6), order }));
    }
    default:
      return send(res, 404, html, page('Not found', ''));
  }
}

export function createShop(): Server {
  return createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 400, 'text/plain', 'bad request\n');
      else res.destroy();
    });
  });
}
