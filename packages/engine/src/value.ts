import {
  urlDecode,
  htmlEntityDecode,
  jsDecode,
  cssDecode,
  removeNulls,
  nfkc,
  lowercase,
  compressWhitespace,
  sqlCommentRemove,
  pathNormalize,
  cmdLineNormalize,
  type Decoder,
  type DecoderName,
} from './decode/index.js';

/** Where in the request a value was found. Bit flags so a detector states its targets as one mask. */
export const Kind = {
  path: 1 << 0,
  pathSegment: 1 << 1,
  argName: 1 << 2,
  arg: 1 << 3,
  cookieName: 1 << 4,
  cookie: 1 << 5,
  headerName: 1 << 6,
  header: 1 << 7,
  bodyRaw: 1 << 8,
  filename: 1 << 9,
  partContentType: 1 << 10,
  xml: 1 << 11,
  /** Binary content (a raw body or an uploaded file declared binary, with NULs): no text signatures. */
  binary: 1 << 12,
} as const;
export type KindName = keyof typeof Kind;
export type KindBit = (typeof Kind)[KindName];
/** User input in the narrow sense: argument values and names from query and body, and cookies. */
export const ARGS = Kind.arg | Kind.argName | Kind.cookie | Kind.cookieName | Kind.xml | Kind.filename;

/**
 * Named decoder chains. Detectors ask a value for a view; each view is computed once per value and
 * remembers the decoders that changed it (the finding's `decoded_by`).
 * - `raw`:   as parsed (query and form values are already URL-decoded once, as the application sees them)
 * - `url`:   further URL decoding to a fixpoint (double and triple encoding)
 * - `norm`:  url + HTML entities + JS escapes + NUL removal + NFKC
 * - `lower`: norm in lower case
 * - `ws`:    lower with whitespace runs compressed
 * - `sql`:   lower with SQL comments removed and whitespace compressed
 * - `path`:  url in lower case with the path normalised (backslashes kept for it to read)
 * - `cmd`:   norm normalised as a command line
 * - `css`:   url + HTML entities + CSS escapes + NUL removal + NFKC, lower case
 */
export const View = { raw: 0, url: 1, norm: 2, lower: 3, ws: 4, sql: 5, path: 6, cmd: 7, css: 8 } as const;
export type ViewName = keyof typeof View;
export type ViewId = (typeof View)[ViewName];
const VIEW_COUNT = 9;

/** Each view: its base view and the decoders applied to it. */
const VIEW_STEPS: readonly (readonly [base: ViewId, steps: readonly (readonly [DecoderName, Decoder])[]])[] =
  [
    [View.raw, []],
    [View.raw, []], // url: special-cased (fixpoint)
    [
      View.url,
      [
        ['htmlEntityDecode', htmlEntityDecode],
        ['jsDecode', jsDecode],
        ['removeNulls', removeNulls],
        ['nfkc', nfkc],
      ],
    ],
    [View.norm, [['lowercase', lowercase]]],
    [View.lower, [['compressWhitespace', compressWhitespace]]],
    [
      View.lower,
      [
        ['sqlCommentRemove', sqlCommentRemove],
        ['compressWhitespace', compressWhitespace],
      ],
    ],
    // path: from `url`, not `norm`: JS-escape decoding would eat the backslashes of Windows paths.
    [
      View.url,
      [
        ['lowercase', lowercase],
        ['pathNormalize', pathNormalize],
      ],
    ],
    [View.norm, [['cmdLineNormalize', cmdLineNormalize]]],
    // css: CSS escapes (`\65 xpression`) are read before jsDecode could take them for octal.
    [
      View.url,
      [
        ['htmlEntityDecode', htmlEntityDecode],
        ['cssDecode', cssDecode],
        ['removeNulls', removeNulls],
        ['nfkc', nfkc],
        ['lowercase', lowercase],
      ],
    ],
  ];

const NO_CHAIN: readonly string[] = Object.freeze([]);
/** Characters that no decoder touches and that carry no syntax: a value made only of them is plain. */
const PLAIN = /^[A-Za-z0-9 _.,@:=+-]*$/;

/** Character-class flags of a value's `norm` view, for cheap detector prefilters. */
export const Flag = {
  quote: 1 << 0, // ' " `
  angle: 1 << 1, // < >
  paren: 1 << 2, // ( )
  semi: 1 << 3, // ;
  pipeAmp: 1 << 4, // | &
  dollar: 1 << 5, // $
  brace: 1 << 6, // { }
  slash: 1 << 7, // / \
  dot: 1 << 8, // .
  colon: 1 << 9, // :
  eq: 1 << 10, // =
  hash: 1 << 11, // #
  dash: 1 << 12, // -
  star: 1 << 13, // *
  space: 1 << 14, // whitespace
  percent: 1 << 15, // % (left after decoding)
  bracket: 1 << 16, // [ ]
  newline: 1 << 17, // \r \n
  nonAscii: 1 << 18,
  digit: 1 << 19,
  alpha: 1 << 20,
  comma: 1 << 21,
  at: 1 << 22,
  backtick: 1 << 23,
  nul: 1 << 24,
} as const;

const FLAG_OF = new Int32Array(128);
(() => {
  const set = (chars: string, f: number) => {
    for (const c of chars) FLAG_OF[c.charCodeAt(0)]! |= f;
  };
  set('\'"`', Flag.quote);
  set('`', Flag.backtick);
  set('<>', Flag.angle);
  set('()', Flag.paren);
  set(';', Flag.semi);
  set('|&', Flag.pipeAmp);
  set('$', Flag.dollar);
  set('{}', Flag.brace);
  set('/\\', Flag.slash);
  set('.', Flag.dot);
  set(':', Flag.colon);
  set('=', Flag.eq);
  set('#', Flag.hash);
  set('-', Flag.dash);
  set('*', Flag.star);
  set(' \t\v\f', Flag.space);
  set('\r\n', Flag.newline | Flag.space);
  set('%', Flag.percent);
  set('[]', Flag.bracket);
  set('0123456789', Flag.digit);
  set('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', Flag.alpha);
  set(',', Flag.comma);
  set('@', Flag.at);
  set('\0', Flag.nul);
})();

export function charFlags(s: string): number {
  let f = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    f |= c < 128 ? FLAG_OF[c]! : Flag.nonAscii;
  }
  return f;
}

/**
 * One inspected value (an argument, a header, a path segment, ...) with its lazily computed views.
 * Created by the request parser; detectors read it.
 */
export class Value {
  /** `query:q`, `header:user-agent`, `body.json:$.a.b`, ... */
  readonly location: string;
  /** The argument, header or cookie name; '' where there is none. */
  readonly name: string;
  readonly kind: KindBit;
  readonly raw: string;
  /** Decoders applied before `raw` (e.g. `base64Decode` for a derived value). */
  readonly pre: readonly string[];
  private readonly views: (string | undefined)[];
  private readonly chains: (readonly string[] | undefined)[];
  private readonly plain: boolean;
  private _flags = -1;

  constructor(kind: KindBit, location: string, name: string, raw: string, pre: readonly string[] = NO_CHAIN) {
    this.kind = kind;
    this.location = location;
    this.name = name;
    this.raw = raw;
    this.pre = pre;
    this.views = new Array<string | undefined>(VIEW_COUNT);
    this.chains = new Array<readonly string[] | undefined>(VIEW_COUNT);
    this.plain = PLAIN.test(raw);
  }

  /** True when the raw value holds only letters, digits and harmless punctuation (no decoding needed). */
  get isPlain(): boolean {
    return this.plain;
  }

  /** Character-class flags of the `norm` view (see `Flag`). */
  get flags(): number {
    // `norm` has its NULs removed; `Flag.nul` says whether the URL-decoded value had any.
    if (this._flags < 0)
      this._flags = charFlags(this.view('norm')) | (this.view('url').indexOf('\0') >= 0 ? Flag.nul : 0);
    return this._flags;
  }

  view(name: ViewName): string {
    return this.get(View[name]);
  }

  /** The decoders that changed the value on the way to this view. */
  decodedBy(name: ViewName): readonly string[] {
    const id = View[name];
    this.get(id);
    return this.chains[id]!;
  }

  private get(id: ViewId): string {
    const cached = this.views[id];
    if (cached !== undefined) return cached;
    let s: string;
    let chain: readonly string[];
    if (id === View.raw) {
      s = this.raw;
      chain = this.pre;
    } else if (
      this.plain &&
      id !== View.lower &&
      id !== View.ws &&
      id !== View.sql &&
      id !== View.path &&
      id !== View.css &&
      id !== View.cmd
    ) {
      s = this.raw;
      chain = this.pre;
    } else if (id === View.url) {
      s = this.raw;
      let rounds = 0;
      for (; rounds < 4; rounds++) {
        const d = urlDecode(s);
        if (d === s) break;
        s = d;
      }
      chain = rounds === 0 ? this.pre : [...this.pre, ...Array<string>(rounds).fill('urlDecode')];
    } else {
      const [base, steps] = VIEW_STEPS[id]!;
      s = this.get(base);
      const baseChain = this.chains[base]!;
      let added: string[] | undefined;
      for (const [name, fn] of steps) {
        const d = fn(s);
        if (d !== s) {
          (added ??= []).push(name);
          s = d;
        }
      }
      // An entity can hide a percent escape (`&#37;3c`): one more URL round after the HTML decode.
      if (id === View.norm && added && s.indexOf('%') >= 0) {
        const d = urlDecode(s);
        if (d !== s) {
          added.push('urlDecode');
          s = htmlEntityDecode(d);
        }
      }
      chain = added ? [...baseChain, ...added] : baseChain;
    }
    this.views[id] = s;
    this.chains[id] = chain;
    return s;
  }
}
