/**
 * Word lists of the XSS detector: HTML elements by danger, DOM event names, URL schemes, data: MIME
 * types and JavaScript sinks. All lower case; compiled into Sets once at module load.
 */

/** Elements that execute or load active content as soon as they are opened (`<script`, `<iframe`). */
export const EXEC_TAGS: ReadonlySet<string> = new Set([
  'script',
  'iframe',
  'frameset',
  'object',
  'embed',
  'applet',
  'style',
  'xml',
  'isindex',
  'vmlframe',
]);

/**
 * Elements that load, redirect or re-base content through their attributes: dangerous with any
 * attribute (`<meta http-equiv=refresh ...>`, `<base href=...>`, `<link rel=import ...>`).
 */
export const LOADING_TAGS: ReadonlySet<string> = new Set([
  'meta',
  'link',
  'base',
  'frame',
  'bgsound',
  'import',
  'layer',
  'ilayer',
  'handler',
  'listener',
  'event-source',
  'eventsource',
  'portal',
  'param',
  'stylesheet',
]);

/**
 * Known HTML/SVG/MathML element names: an injected one with attributes or with its closing tag is
 * HTML injection even when nothing in it executes. Unknown names (`x<y`) are ignored.
 */
export const HTML_ELEMENTS: ReadonlySet<string> = new Set(
  (
    'a abbr acronym address animate animatemotion animatetransform area article aside audio b bdi bdo big ' +
    'blink blockquote body br button canvas caption center cite code col colgroup command content data ' +
    'datalist dd del details dfn dialog dir div dl dt em fieldset figcaption figure font footer ' +
    'foreignobject form h1 h2 h3 h4 h5 h6 head header hgroup hr html i image img input ins kbd keygen ' +
    'label legend li main map mark marquee math menu menuitem meter mi mtext nav nobr noembed noframes ' +
    'noscript ol optgroup option output p picture plaintext pre progress q rp rt ruby s samp section ' +
    'select set shadow slot small source span strike strong sub summary sup svg table tbody td template ' +
    'textarea tfoot th thead time title tr track tt u ul use var video wbr xmp'
  ).split(' '),
);

/**
 * Elements whose content is raw text or that end the surrounding context: closing one of them
 * (`</textarea>`, `</script>`) is how an injection escapes the place it was reflected into.
 */
export const BREAKOUT_CLOSERS: ReadonlySet<string> = new Set([
  'script',
  'style',
  'title',
  'textarea',
  'noscript',
  'xmp',
  'iframe',
  'noembed',
  'noframes',
  'template',
  'plaintext',
  'select',
  'option',
  'comment',
]);

/**
 * DOM event handler names (HTML, SVG, legacy IE and vendor-prefixed). Inside a tag any `on…`
 * attribute counts; outside one (an attribute breakout) the name must be a real event.
 */
export const EVENT_NAMES: ReadonlySet<string> = new Set(
  (
    'abort activate afterprint afterscriptexecute afterupdate animationcancel animationend ' +
    'animationiteration animationstart auxclick beforeactivate beforecopy beforecut beforedeactivate ' +
    'beforeeditfocus beforeinput beforepaste beforeprint beforescriptexecute beforetoggle beforeunload ' +
    'beforeupdate begin blur bounce canplay canplaythrough cellchange change click close contextmenu ' +
    'controlselect copy cuechange cut dataavailable datasetchanged datasetcomplete dblclick deactivate ' +
    'drag dragdrop dragend dragenter dragexit dragleave dragover dragstart drop durationchange emptied ' +
    'end ended error errorupdate filterchange finish focus focusin focusout formchange formdata ' +
    'forminput fullscreenchange hashchange help input invalid keydown keypress keyup layoutcomplete ' +
    'load loadeddata loadedmetadata loadend loadstart losecapture mediacomplete mediaerror message ' +
    'mousedown mouseenter mouseleave mousemove mouseout mouseover mouseup mousewheel move moveend ' +
    'movestart mozfullscreenchange offline online outofsync pagehide pageshow paste pause play playing ' +
    'pointercancel pointerdown pointerenter pointerleave pointermove pointerout pointerover ' +
    'pointerrawupdate pointerup popstate progress propertychange ratechange readystatechange redo ' +
    'repeat reset resize resizeend resizestart resume reverse rowdelete rowenter rowexit rowinserted ' +
    'rowsdelete rowsenter rowsinserted scroll scrollend search seek seeked seeking select ' +
    'selectionchange selectstart show stalled start stop storage submit suspend syncrestored ' +
    'timeerror timeupdate toggle touchcancel touchend touchmove touchstart trackchange ' +
    'transitioncancel transitionend transitionrun transitionstart undo unhandledrejection unload ' +
    'urlflip volumechange waiting webkitanimationend webkitanimationiteration webkitanimationstart ' +
    'webkittransitionend wheel'
  )
    .split(' ')
    .map((e) => 'on' + e),
);

/** Script-bearing URL schemes (`javascript:`, IE's `vbscript:`, Netscape's `livescript:`/`mocha:`). */
export const SCRIPT_SCHEMES: readonly string[] = ['javascript:', 'vbscript:', 'livescript:', 'mocha:'];

/** data: URL media types that render as a document or run script; `image/png` and friends are inert. */
export const ACTIVE_DATA_MIMES: ReadonlySet<string> = new Set([
  'text/html',
  'text/xml',
  'text/xsl',
  'text/javascript',
  'text/ecmascript',
  'text/vbscript',
  'text/x-scriptlet',
  'application/xhtml+xml',
  'application/xml',
  'application/javascript',
  'application/x-javascript',
  'application/ecmascript',
  'application/x-shockwave-flash',
  'image/svg+xml',
]);

/** Functions whose call is the payload of nearly every XSS proof (`alert(1)`, `eval(atob(...))`). */
export const CALL_SINKS: ReadonlySet<string> = new Set([
  'alert',
  'prompt',
  'confirm',
  'eval',
  'execscript',
  'msgbox',
  'settimeout',
  'setinterval',
  'fromcharcode',
  'atob',
  'print',
]);

/** Sinks that alone (without a context breakout) are strong enough to report at all. */
export const STRONG_CALLS: ReadonlySet<string> = new Set([
  'alert',
  'prompt',
  'confirm',
  'eval',
  'execscript',
  'msgbox',
  'fromcharcode',
]);

/** `document.<x>` members that read secrets or write markup. */
export const DOCUMENT_SINKS: ReadonlySet<string> = new Set([
  'cookie',
  'domain',
  'write',
  'writeln',
  'location',
  'url',
  'documenturi',
  'referrer',
  'body',
  'createelement',
  'execcommand',
  'open',
]);

/** Global objects whose bracket access (`top['al'+'ert']`) is how filters are dodged. */
export const GLOBAL_OBJECTS: ReadonlySet<string> = new Set([
  'window',
  'top',
  'self',
  'parent',
  'frames',
  'globalthis',
  'this',
  'content',
  'document',
]);
