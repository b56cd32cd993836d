/**
 * Realistic benign traffic: visitors browse in sessions — a page, then its assets; searches and the
 * next result pages; product pages; JSON API calls (cart, orders, account); form posts (comments,
 * newsletter, contact, login). A few active sessions interleave, as on a real site; each visitor keeps
 * one address, browser and session cookie. Text is ordinary but not sanitised (apostrophes, `&`, `%`).
 */
import type { Rng } from './rng.js';
import { addressPool } from './rng.js';
import {
  BROWSER_UAS,
  FORM,
  JSON_TYPE,
  LANGS,
  browserHeaders,
  formEncode,
  type Draft,
} from './sim-request.js';

const CATEGORIES = ['shoes', 'jackets', 'backpacks', 'tents', 'socks', 'headlamps', 'gift-cards', 'kids'];
const SEARCHES = [
  'rain jacket',
  'trail running shoes',
  "O'Brien hiking boots",
  'wool socks size 42',
  'headlamp 400 lm',
  'tent 2 person',
  'kids raincoat',
  'gift card',
  'waterproof & breathable',
  'sale 50% off',
  'merino t-shirt',
  'sleeping bag -10 c',
  'backpack 30l',
  'gore-tex',
  'select a size guide',
  'order status',
];
const SORTS = ['relevance', 'price_asc', 'price_desc', 'newest', 'rating'];
const COMMENTS = [
  'Great socks, warm & comfy!',
  'Runs a bit small - order one size up.',
  "Bought it for my daughter's school trip; she loves it.",
  'Delivery took 3 days. Packaging could be better :)',
  'Is the 2024 model any different from the 2023 one?',
  'Five stars. Would buy again!!!',
  'The zipper broke after 2 weeks... support replaced it quickly though.',
  'Fits well (I am 1.82 m, 78 kg), size L.',
];
const FIRST = ['anna', 'ben', 'carla', 'david', 'emma', 'felix', 'greta', 'hugo', 'ines', 'jonas', 'lena'];
const LAST = ['schmidt', 'meyer', 'obrien', 'garcia', 'rossi', 'nowak', 'dubois', 'jensen', 'smith'];
const DOMAINS = ['example.com', 'mail.example.org', 'example.net'];

/** One asset bundle per "deploy": hashed file names, as a real build emits. */
const BUILD = 'a81f3c9e';
const ASSETS = [
  `/static/css/main.${BUILD}.css`,
  `/static/js/app.${BUILD}.js`,
  `/static/js/vendor.${BUILD}.js`,
  '/fonts/inter-var.woff2',
  '/favicon.ico',
];

interface Session {
  ip: string;
  ua: string;
  lang: string;
  cookie: string;
  queue: Draft[];
}

/** Active sessions at a time: visitors overlap, as on a real site. */
const ACTIVE_SESSIONS = 12;

/** The benign traffic generator (stateful: sessions progress request by request). */
export class NormalTraffic {
  readonly #rng: Rng;
  readonly #visitors: string[];
  readonly #sessions: Session[] = [];

  constructor(rng: Rng) {
    this.#rng = rng;
    this.#visitors = addressPool(rng, 400);
  }

  next(): Draft {
    const rng = this.#rng;
    if (this.#sessions.length < ACTIVE_SESSIONS) this.#sessions.push(this.#newSession());
    const i = rng.int(0, this.#sessions.length - 1);
    const s = this.#sessions[i]!;
    const d = s.queue.shift()!;
    if (s.queue.length === 0) this.#sessions.splice(i, 1);
    return d;
  }

  #newSession(): Session {
    const rng = this.#rng;
    const s: Session = {
      ip: rng.pick(this.#visitors),
      ua: rng.pick(BROWSER_UAS),
      lang: rng.pick(LANGS),
      cookie: `sid=${rng.chars(32, '0123456789abcdef')}; consent=1`,
      queue: [],
    };
    const steps = rng.int(2, 5);
    this.#page(s, '/', null);
    for (let k = 0; k < steps; k++) {
      const r = rng.float();
      if (r < 0.3) this.#search(s);
      else if (r < 0.5) this.#category(s);
      else if (r < 0.7) this.#product(s);
      else if (r < 0.85) this.#api(s);
      else this.#form(s);
    }
    return s;
  }

  #draft(s: Session, family: string, method: string, path: string, extra: Record<string, string> = {}) {
    const headers: Record<string, string> = { ...browserHeaders(s.ua, s.lang), cookie: s.cookie, ...extra };
    return { family, method, path, headers, source: s.ip } satisfies Draft;
  }

  /** A page and (on a first visit to it) its assets. */
  #page(s: Session, path: string, referer: string | null): void {
    const rng = this.#rng;
    s.queue.push(this.#draft(s, 'page', 'GET', path, referer ? { referer } : {}));
    const assets = rng.int(0, 3);
    for (let a = 0; a < assets; a++)
      s.queue.push(
        this.#draft(s, 'asset', 'GET', rng.pick(ASSETS), {
          accept: '*/*',
          referer: `https://shop.example${path}`,
        }),
      );
    if (rng.chance(0.4))
      s.queue.push(
        this.#draft(s, 'asset', 'GET', `/images/products/${rng.int(1, 480)}-${rng.int(1, 4)}.webp`, {
          accept: 'image/avif,image/webp,*/*',
        }),
      );
  }

  #search(s: Session): void {
    const rng = this.#rng;
    const q = encodeURIComponent(rng.pick(SEARCHES)).replace(/%20/g, '+');
    const sort = rng.pick(SORTS);
    this.#page(s, `/search?q=${q}&sort=${sort}`, 'https://shop.example/');
    const pages = rng.int(0, 2);
    for (let p = 2; p < pages + 2; p++)
      s.queue.push(this.#draft(s, 'pagination', 'GET', `/search?q=${q}&sort=${sort}&page=${p}`));
  }

  #category(s: Session): void {
    const rng = this.#rng;
    const cat = rng.pick(CATEGORIES);
    this.#page(s, `/category/${cat}?per_page=24`, 'https://shop.example/');
    if (rng.chance(0.5))
      s.queue.push(
        this.#draft(s, 'pagination', 'GET', `/category/${cat}?per_page=24&page=${rng.int(2, 9)}&in_stock=1`),
      );
  }

  #product(s: Session): void {
    const rng = this.#rng;
    const id = rng.int(1, 480);
    this.#page(s, `/product/${id}-${rng.pick(CATEGORIES)}`, 'https://shop.example/search');
    s.queue.push(
      this.#draft(s, 'api', 'GET', `/api/products/${id}/reviews?limit=10&offset=${rng.int(0, 4) * 10}`, {
        accept: JSON_TYPE,
      }),
    );
  }

  #api(s: Session): void {
    const rng = this.#rng;
    const json = { accept: JSON_TYPE, 'content-type': JSON_TYPE };
    const which = rng.int(0, 3);
    if (which === 0) {
      s.queue.push(this.#draft(s, 'api', 'GET', '/api/cart', { accept: JSON_TYPE }));
      s.queue.push({
        ...this.#draft(s, 'api', 'POST', '/api/cart/items', json),
        body: JSON.stringify({
          product_id: rng.int(1, 480),
          qty: rng.int(1, 3),
          variant: rng.pick(['S', 'M', 'L']),
        }),
      });
    } else if (which === 1) {
      s.queue.push({
        ...this.#draft(s, 'api', 'POST', '/api/orders', json),
        body: JSON.stringify({
          items: [{ id: rng.int(1, 480), qty: rng.int(1, 2) }],
          shipping: {
            method: rng.pick(['standard', 'express']),
            country: rng.pick(['DE', 'FR', 'AT', 'NL']),
          },
          note: rng.pick(['', 'ring twice', "leave at neighbour's door", 'gift wrap, please']),
        }),
      });
    } else if (which === 2) {
      s.queue.push({
        ...this.#draft(s, 'api', 'PATCH', '/api/account', json),
        body: JSON.stringify({
          display_name: `${rng.pick(FIRST)} ${rng.pick(LAST)}`,
          newsletter: rng.chance(0.5),
        }),
      });
    } else {
      s.queue.push(
        this.#draft(
          s,
          'api',
          'GET',
          `/api/products?category=${rng.pick(CATEGORIES)}&limit=20&offset=${rng.int(0, 5) * 20}`,
          {
            accept: JSON_TYPE,
          },
        ),
      );
    }
  }

  #form(s: Session): void {
    const rng = this.#rng;
    const form = { 'content-type': FORM, origin: 'https://shop.example' };
    const email = `${rng.pick(FIRST)}.${rng.pick(LAST)}@${rng.pick(DOMAINS)}`;
    const which = rng.int(0, 3);
    const post = (path: string, pairs: [string, string][]) =>
      s.queue.push({ ...this.#draft(s, 'form', 'POST', path, form), body: formEncode(pairs) });
    if (which === 0)
      post('/comments', [
        ['product', String(rng.int(1, 480))],
        ['text', rng.pick(COMMENTS)],
      ]);
    else if (which === 1) post('/newsletter', [['email', email]]);
    else if (which === 2)
      post('/contact', [
        ['name', `${rng.pick(FIRST)} ${rng.pick(LAST)}`],
        ['email', email],
        ['message', rng.pick(COMMENTS)],
      ]);
    else
      post('/login', [
        ['user', email],
        ['password', `${rng.chars(10)}!${rng.int(10, 99)}`],
      ]);
  }
}
