/**
 * Realistic benign values: what shoppers, API clients and forum users send. Several look a little
 * like attacks on purpose (apostrophes, "select", angle brackets in code, file paths, URLs), because
 * that is where a detector's false positives come from.
 */
import type { Rng } from './rng.js';

const FIRST = [
  'Anne-Marie',
  'José',
  'Zoë',
  "D'Angelo",
  'Siobhán',
  'Mohammed',
  'Li',
  'Ørjan',
  'Grace',
  'Kwame',
];
const LAST = [
  "O'Connor",
  'Núñez',
  'Smith',
  'van der Berg',
  'Müller',
  'Nakamura',
  'Okafor',
  'Dubois',
  "O'Neil",
];
const STREETS = [
  '12 Baker St., Apt #4',
  "Rue de l'Église 5",
  '1600 Amphitheatre Pkwy',
  'Hauptstraße 7/2',
  '221B Baker Street',
];
const CITIES = ['London', 'Bruxelles', 'Mountain View', 'Wien', 'Zürich', "Val-d'Or"];
const SEARCH = [
  'rain jacket',
  "O'Brien boots",
  "men's shoes size 10",
  '50% off sale',
  'C++ primer',
  'select a union rep',
  'drop-down menu',
  'script writing class',
  'best <3 gifts',
  'usb-c cable 2m',
  '"exact phrase"',
  'café crème',
  'what is 7*7',
  'and/or',
  'smith & wesson holster',
  'passwd reset',
];
const FREE_TEXT = [
  "Great product! Would buy again :) Can't beat the price; shipping was fast.",
  "It's 5' 10\" tall, fits well.",
  "Q&A: what's the return policy?",
  'Works with Windows 10 & macOS 14.',
  'Price was $19.99 (incl. tax) - cheaper than elsewhere.',
  'Ordered on 2026-03-14, arrived 03/17. 10/10 would recommend!!!',
  "Don't wash above 30°C; tumble dry low.",
  'Size chart says M = 38-40, L = 42-44.',
  '-- Sent from my phone',
  '@support please call me back',
  '+1 for the blue one',
  'Use `npm install` then run `npm test`.',
  'if (a < b) { return a; } // smaller one',
  'My config is at ~/app/config.yaml, see the docs.',
  'Select the best option from our menu and order by Friday.',
  '<3 love it',
  'See https://shop.example/help?topic=returns for details.',
];
const MARKDOWN = [
  '# Review\n**Great** fit, see [photos](https://shop.example/p/1).\n- soft\n- warm',
  '> quoted text\n\n1. first\n2. second\n\n`code` and *emphasis*',
  '## Steps\n```\ngit pull\nnpm ci\n```\nThen restart.',
];
const PRODUCTS = ['SKU-12345', 'B07XJ8C8F5', 'tee-navy-m', '3', '42', '1009', 'gift-card-50'];
const PATHS = [
  '/',
  '/products/{id}',
  '/search',
  '/account/settings',
  '/blog/2026/03/spring-sale',
  '/cart',
  '/help/returns',
];
const API_PATHS = ['/api/v1/orders', '/api/v1/cart/items', '/api/v1/profile', '/api/v1/search', '/graphql'];
const REFERERS = [
  'https://shop.example/',
  'https://www.google.com/',
  'https://shop.example/cart',
  'https://news.example.org/article?id=7',
];

export const name = (r: Rng) => `${r.pick(FIRST)} ${r.pick(LAST)}`;
export const email = (r: Rng) =>
  `${r.pick(['anne.oconnor', 'jose.nunez', 'zoe', 'k.okafor', 'li.wei'])}${r.chance(0.3) ? '+shop' : ''}@${r.pick(['example.com', 'mail.example.org', 'example.co.uk'])}`;
export const date = (r: Rng) =>
  r.pick([
    `2026-0${r.int(1, 9)}-1${r.int(0, 9)}`,
    `1${r.int(0, 2)}/0${r.int(1, 9)}/2026`,
    `March ${r.int(1, 28)}, 2026`,
  ]);
export const uuid = (r: Rng) => `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-a${hex(r, 3)}-${hex(r, 12)}`;

function hex(r: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[r.int(0, 15)];
  return s;
}

/** One benign parameter: its name and value (text as a person would type it). */
export function benignParam(r: Rng): [string, string] {
  switch (r.int(0, 11)) {
    case 0:
      return ['q', r.pick(SEARCH)];
    case 1:
      return ['name', name(r)];
    case 2:
      return ['email', email(r)];
    case 3:
      return ['address', `${r.pick(STREETS)}, ${r.pick(CITIES)}`];
    case 4:
      return ['comment', r.pick(FREE_TEXT)];
    case 5:
      return ['body', r.pick(MARKDOWN)];
    case 6:
      return ['id', r.pick(PRODUCTS)];
    case 7:
      return ['date', date(r)];
    case 8:
      return ['page', String(r.int(1, 40))];
    case 9:
      return ['redirect', r.pick(['/cart', '/account', 'https://shop.example/checkout'])];
    case 10:
      return ['token', uuid(r)];
    default:
      return ['sort', r.pick(['price_asc', 'newest', 'rating-desc', 'name'])];
  }
}

/** A benign JSON API body. */
export function benignJson(r: Rng): unknown {
  switch (r.int(0, 4)) {
    case 0:
      return { items: [{ id: r.int(1, 99), qty: r.int(1, 3) }], note: r.pick(FREE_TEXT) };
    case 1:
      return { query: r.pick(SEARCH), page: r.int(1, 5), filters: { size: [42, 43], color: 'navy' } };
    case 2:
      return { name: name(r), email: email(r), address: { street: r.pick(STREETS), city: r.pick(CITIES) } };
    case 3:
      return {
        review: { rating: r.int(1, 5), text: r.pick([...FREE_TEXT, ...MARKDOWN]) },
        product: r.pick(PRODUCTS),
      };
    default:
      return {
        query: 'query Orders($first: Int) { orders(first: $first) { id total } }',
        variables: { first: r.int(5, 50) },
      };
  }
}

export const benignPath = (r: Rng) => r.pick(PATHS).replace('{id}', r.pick(PRODUCTS));
export const apiPath = (r: Rng) => r.pick(API_PATHS);
export const referer = (r: Rng) => r.pick(REFERERS);
