/* yishiting: the in-browser receipt verifier (docs/verification.md §§1, 2, 5, 6, 7, 8).
 *
 * It trusts nothing the server says beyond the bytes it returns: canonical JSON, SHA-256, the
 * RFC 9162 Merkle proofs and the Ed25519 signature on the C2SP signed-note checkpoint are all
 * recomputed here with WebCrypto. Plain ES2020 script for CSP `script-src 'self'`: no modules,
 * no eval, no innerHTML. It also loads in Node 20 (module.exports) for
 * scripts/verify-js-test.mjs. */
(function () {
  'use strict';

  const G = typeof globalThis !== 'undefined' ? globalThis : typeof window !== 'undefined' ? window : {};
  const subtle = () => (G.crypto && G.crypto.subtle) || null;
  const enc = new TextEncoder();
  const utf8 = (s) => enc.encode(s);
  const msgOf = (e) => (e && e.message) || String(e);
  const need = (cond, msg) => { if (!cond) throw new Error(msg); };
  const q = (v) => (typeof v === 'string' ? JSON.stringify(v) : String(v));
  const isObject = (v) => Object.prototype.toString.call(v) === '[object Object]';
  const isNat = (n) => Number.isSafeInteger(n) && n >= 0;
  const isHash = (h) => ArrayBuffer.isView(h) && h.byteLength === 32;
  const HEX64 = /^[0-9a-f]{64}$/;
  const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

  // ---- bytes, hex, base64 ----
  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }
  const bytesEqual = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  const toHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  const fromHex = (s) => Uint8Array.from(s.match(/../g) || [], (h) => parseInt(h, 16));
  const toB64 = (b) => btoa(Array.from(b, (x) => String.fromCharCode(x)).join(''));
  // §1: standard base64 with padding. atob is lenient, so also insist on the canonical form.
  const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
  function fromB64(s) {
    need(typeof s === 'string' && B64.test(s), 'not standard padded base64: ' + q(s));
    const out = Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
    need(toB64(out) === s, 'non-canonical base64: ' + q(s));
    return out;
  }
  // §5: the short code is the first 12 hex digits in groups of four.
  const shortCode = (hex) => hex.slice(0, 4) + '-' + hex.slice(4, 8) + '-' + hex.slice(8, 12);

  // ---- §1 canonical JSON: RFC 8785 (JCS), for objects, arrays, strings, booleans, null, integers ----
  function jcsStr(s) {
    // RFC 8785 §3.2.2.2: strings are escaped exactly as ECMAScript JSON.stringify does; a lone
    // surrogate cannot be encoded in UTF-8 and is an error (RFC 8785 §3.2.2.2, I-JSON).
    if (LONE_SURROGATE.test(s)) throw new Error('string with a lone surrogate');
    return JSON.stringify(s);
  }
  function jcsString(v) {
    if (v === null) return 'null';
    if (v === true || v === false) return String(v);
    if (typeof v === 'number') {
      // §1: integers in [-(2^53-1), 2^53-1] only. RFC 8785 §3.2.2.3 serialises them as plain
      // decimal digits, which is String(n) (and String(-0) === '0').
      if (!Number.isSafeInteger(v)) throw new Error('not an integer in ±(2^53-1): ' + v);
      return String(v);
    }
    if (typeof v === 'string') return jcsStr(v);
    if (Array.isArray(v)) return '[' + v.map(jcsString).join(',') + ']';
    if (isObject(v)) {
      // RFC 8785 §3.2.3: members sorted by the UTF-16 code units of their names, which is what
      // the default Array.prototype.sort comparison does.
      const keys = Object.keys(v).sort();
      return '{' + keys.map((k) => jcsStr(k) + ':' + jcsString(v[k])).join(',') + '}';
    }
    throw new Error('not allowed in canonical JSON: ' + typeof v);
  }
  /** JCS(value): the UTF-8 bytes of the canonical serialisation (RFC 8785 §3.2.4). */
  const jcs = (value) => utf8(jcsString(value));

  // ---- §5, §6 hashes: RFC 9162 §2.1.1 ----
  const sha256 = async (bytes) => new Uint8Array(await subtle().digest('SHA-256', bytes));
  const nodeHash = (left, right) => sha256(concat([0x01], left, right));
  /** SHA-256(0x00 ‖ JCS(leaf)); a Uint8Array argument is taken as the leaf input itself. */
  const leafHash = (leaf) => sha256(concat([0x00], ArrayBuffer.isView(leaf) ? leaf : jcs(leaf)));

  // Sizes and indices are safe integers; JS bit operators are 32-bit, so use arithmetic.
  const lsb = (x) => x % 2 === 1;
  const half = (x) => Math.floor(x / 2);
  function isPowerOfTwo(n) { while (n > 1 && n % 2 === 0) n /= 2; return n === 1; }

  /** RFC 9162 §2.1.3.2: is `proof` (deepest first) the audit path of `hash` at `index` in the
   *  tree of `size` leaves with root `root`? Resolves to a boolean; never throws. */
  async function verifyInclusion(hash, index, size, proof, root) {
    try {
      if (!isHash(hash) || !isHash(root) || !isNat(index) || !isNat(size)) return false;
      if (!Array.isArray(proof) || !proof.every(isHash)) return false;
      if (index >= size) return false; // 1.
      let fn = index, sn = size - 1; // 2.
      let r = hash; // 3.
      for (const p of proof) { // 4.
        if (sn === 0) return false; // 4a.
        if (lsb(fn) || fn === sn) { // 4b.
          r = await nodeHash(p, r);
          if (!lsb(fn)) while (!lsb(fn) && fn !== 0) { fn = half(fn); sn = half(sn); }
        } else {
          r = await nodeHash(r, p);
        }
        fn = half(fn); sn = half(sn); // 4c.
      }
      return sn === 0 && bytesEqual(r, root); // 5.
    } catch (e) { return false; }
  }

  /** RFC 9162 §2.1.4.2: does the tree of `second` leaves (root `secondHash`) extend the tree of
   *  `first` leaves (root `firstHash`)? Equal sizes need an empty proof and equal roots; the
   *  RFC defines no proof from the empty tree, so first == 0 fails. Never throws. */
  async function verifyConsistency(first, second, firstHash, secondHash, proof) {
    try {
      if (!isNat(first) || !isNat(second) || !isHash(firstHash) || !isHash(secondHash)) return false;
      if (!Array.isArray(proof) || !proof.every(isHash)) return false;
      if (first === 0 || first > second) return false;
      if (first === second) return proof.length === 0 && bytesEqual(firstHash, secondHash);
      if (proof.length === 0) return false; // 1.
      const path = isPowerOfTwo(first) ? [firstHash].concat(proof) : proof.slice(); // 2.
      let fn = first - 1, sn = second - 1; // 3.
      while (lsb(fn)) { fn = half(fn); sn = half(sn); } // 4.
      let fr = path[0], sr = path[0]; // 5.
      for (const c of path.slice(1)) { // 6.
        if (sn === 0) return false; // 6a.
        if (lsb(fn) || fn === sn) { // 6b.
          fr = await nodeHash(c, fr);
          sr = await nodeHash(c, sr);
          if (!lsb(fn)) while (!lsb(fn) && fn !== 0) { fn = half(fn); sn = half(sn); }
        } else {
          sr = await nodeHash(sr, c);
        }
        fn = half(fn); sn = half(sn); // 6c.
      }
      return bytesEqual(fr, firstHash) && bytesEqual(sr, secondHash) && sn === 0; // 7.
    } catch (e) { return false; }
  }

  // ---- §2, §6: C2SP signed-note, tlog-checkpoint, verifier keys ----
  // A key or signer name: non-empty, no '+', no white space.
  const validName = (n) => typeof n === 'string' && n !== '' && !/[+\s\x00-\x1f]/.test(n);

  /** Splits a signed note into its text (up to and including the first "\n" of the last "\n\n")
   *  and its signature lines "— <name> <base64(key ID ‖ signature)>\n". Throws when malformed. */
  function parseNote(note) {
    need(typeof note === 'string', 'the note is not a string');
    need(!LONE_SURROGATE.test(note) && !/[\x00-\x09\x0b-\x1f]/.test(note), 'malformed note: control characters');
    const split = note.lastIndexOf('\n\n');
    need(split >= 0, 'malformed note: no empty line before the signatures');
    const text = note.slice(0, split + 1), block = note.slice(split + 2);
    need(block.endsWith('\n'), 'malformed note: the signatures must end with a newline');
    const lines = block.slice(0, -1).split('\n');
    need(lines.length <= 100, 'malformed note: too many signatures');
    const sigs = lines.map((line) => {
      need(line.startsWith('\u2014 '), 'malformed signature line: ' + q(line));
      const rest = line.slice(2), sp = rest.indexOf(' '), name = rest.slice(0, sp);
      need(sp > 0 && validName(name), 'malformed signature line: ' + q(line));
      const blob = fromB64(rest.slice(sp + 1));
      need(blob.length >= 5, 'signature too short: ' + q(line));
      return { name, keyId: blob.slice(0, 4), keyIdHex: toHex(blob.slice(0, 4)), sig: blob.slice(4) };
    });
    return { text, sigs };
  }

  /** The checkpoint body (§6): origin, size (decimal, no leading zeros), base64 root; nothing else. */
  function parseCheckpoint(text) {
    need(typeof text === 'string' && text.endsWith('\n'), 'malformed checkpoint');
    const lines = text.slice(0, -1).split('\n');
    need(lines.length === 3, 'the checkpoint must have exactly three lines (origin, size, root), has ' + lines.length);
    const [origin, sizeLine, rootLine] = lines;
    need(origin !== '', 'the checkpoint has an empty origin');
    need(/^(0|[1-9][0-9]*)$/.test(sizeLine) && Number.isSafeInteger(Number(sizeLine)), 'bad tree size ' + q(sizeLine));
    const root = fromB64(rootLine);
    need(root.length === 32, 'the root is not 32 bytes');
    return { origin, size: Number(sizeLine), root };
  }

  // §2: key ID = the first 4 bytes of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key).
  const keyIdOf = async (name, pub) => (await sha256(concat(utf8(name), [0x0a, 0x01], pub))).slice(0, 4);

  /** §2: `<name>+<key ID, 8 lower-case hex>+<base64(0x01 ‖ Ed25519 public key)>`, with the key
   *  ID checked against the key. Throws when malformed. */
  async function parseVerifierKey(vkey) {
    need(typeof vkey === 'string', 'no verifier key');
    const i = vkey.indexOf('+'), j = vkey.indexOf('+', i + 1);
    need(i > 0 && j > i, 'malformed verifier key ' + q(vkey));
    const name = vkey.slice(0, i), idHex = vkey.slice(i + 1, j), key = fromB64(vkey.slice(j + 1));
    need(validName(name) && /^[0-9a-f]{8}$/.test(idHex), 'malformed verifier key ' + q(vkey));
    need(key.length === 33 && key[0] === 0x01, 'not an Ed25519 verifier key');
    const publicKey = key.slice(1);
    const computed = toHex(await keyIdOf(name, publicKey));
    need(computed === idHex, 'the key ID ' + idHex + ' does not match the key (it is ' + computed + ')');
    return { name, keyIdHex: idHex, publicKey };
  }

  /** Checks the signature lines of `note` (a string or parseNote result) made by `vkey` (a
   *  string or parseVerifierKey result): at least one, and each verifies over the note text. */
  async function verifyNote(note, vkey) {
    const n = typeof note === 'string' ? parseNote(note) : note;
    const vk = typeof vkey === 'string' ? await parseVerifierKey(vkey) : vkey;
    const mine = n.sigs.filter((s) => s.name === vk.name && s.keyIdHex === vk.keyIdHex);
    need(mine.length > 0, 'no signature line by ' + vk.name + '+' + vk.keyIdHex);
    const key = await subtle().importKey('raw', vk.publicKey, { name: 'Ed25519' }, false, ['verify']);
    for (const s of mine) {
      need(s.sig.length === 64 && (await subtle().verify({ name: 'Ed25519' }, key, s.sig, utf8(n.text))),
        'the Ed25519 signature by ' + vk.name + '+' + vk.keyIdHex + ' does not verify');
    }
    return n;
  }

  // ---- §7 receipts ----
  async function step(steps, id, fn) {
    try { steps.push({ id, ok: true, detail: await fn() }); } catch (e) { steps.push({ id, ok: false, detail: msgOf(e) }); }
  }

  /** Checks a receipt (§7). `opts.origin` / `opts.verifierKey`: what the page announces (adds
   *  the `key` step and tightens `origin`); `opts.leafHash`: the hex hash the receipt was fetched
   *  for; `opts.latest`: `{checkpoint, tree_size, consistency:
   *  [base64...]}` from get-sth / get-sth-consistency (§8), or `{skipped: reason}`. Resolves to
   *  `{ok, steps: [{id, ok: true|false|null (skipped), detail}], info}`; never throws. */
  async function verifyReceipt(receipt, opts) {
    const o = isObject(opts) ? opts : {};
    const steps = [], info = {};
    try {
      const why = !subtle() ? 'WebCrypto is unavailable' : !isObject(receipt) ? 'the receipt is not a JSON object' : '';
      if (why) ['leaf_hash', 'origin', 'signature', 'inclusion'].forEach((id) => steps.push({ id, ok: false, detail: why }));
      else await checkReceipt(receipt, o, steps, info);
    } catch (e) {
      steps.push({ id: 'error', ok: false, detail: 'unexpected error: ' + msgOf(e) });
    }
    const ok = steps.every((s) => s.ok !== false) && steps.some((s) => s.ok === true);
    return { ok, steps, info };
  }

  async function checkReceipt(r, o, steps, info) {
    const has = (k) => Object.prototype.hasOwnProperty.call(o, k);
    // Parse the checkpoint once; the steps that need it report why it is unusable.
    let note = null, cp = null, cpErr = '';
    try { note = parseNote(r.checkpoint); cp = parseCheckpoint(note.text); } catch (e) { cpErr = 'checkpoint: ' + msgOf(e); }
    if (isNat(r.leaf_index)) info.leafIndex = r.leaf_index;
    if (cp) info.treeSize = cp.size;

    // §7 check 1, §5: the leaf hashes to leaf_hash, whose short code is the tracker.
    await step(steps, 'leaf_hash', async () => {
      need(isObject(r.leaf), 'the receipt has no leaf object');
      const hex = toHex(await leafHash(r.leaf));
      info.tracker = shortCode(hex);
      need(r.leaf_hash === hex, 'SHA-256(0x00 ‖ JCS(leaf)) is ' + hex + ', the receipt says ' + q(r.leaf_hash));
      need(r.tracker === undefined || r.tracker === info.tracker, 'the tracker ' + q(r.tracker) + ' is not ' + info.tracker);
      need(!has('leafHash') || hex === o.leafHash, 'this is leaf ' + hex + ', not the one asked for, ' + q(o.leafHash));
      return hex;
    });

    // §7 checks 1 and 2, §2: one log identity throughout, and the one this page is about.
    await step(steps, 'origin', async () => {
      need(r.format === 'yishiting/receipt/v1', 'unknown receipt format ' + q(r.format));
      need(typeof r.origin === 'string' && r.origin !== '', 'the receipt has no origin');
      need(isObject(r.leaf) && r.leaf.origin === r.origin, 'leaf.origin ' + q(r.leaf && r.leaf.origin) + ' is not ' + q(r.origin));
      need(r.leaf.ballot === r.ballot, 'leaf.ballot ' + q(r.leaf.ballot) + ' is not ' + q(r.ballot));
      need(cp, cpErr);
      need(cp.origin === r.origin, 'the checkpoint origin ' + q(cp.origin) + ' is not ' + q(r.origin));
      if (has('origin')) need(r.origin === o.origin, 'the receipt is for ' + q(r.origin) + ', this page for ' + q(o.origin));
      return r.origin;
    });

    // §7: the verifier key must be the announced one, else a server could sign with its own.
    if (has('verifierKey')) {
      await step(steps, 'key', async () => (need(r.verifier_key === o.verifierKey,
        'the receipt key ' + q(r.verifier_key) + ' is not the announced ' + q(o.verifierKey)), o.verifierKey));
    }

    // §7 check 2, §6: the checkpoint is signed by the key named `origin` with that key ID.
    await step(steps, 'signature', async () => {
      const vk = await parseVerifierKey(r.verifier_key);
      need(vk.name === r.origin, 'the key name ' + q(vk.name) + ' is not the origin ' + q(r.origin));
      need(cp, cpErr);
      await verifyNote(note, vk);
      return 'Ed25519 signature by ' + vk.name + '+' + vk.keyIdHex + ' verifies';
    });

    // §7 check 3: RFC 9162 §2.1.3.2 inclusion of leaf_hash at leaf_index in the checkpoint's tree.
    await step(steps, 'inclusion', async () => {
      need(cp, cpErr);
      need(isNat(r.leaf_index), 'leaf_index is not a non-negative integer');
      need(r.leaf_index < cp.size, 'leaf_index ' + r.leaf_index + ' is not below the tree size ' + cp.size);
      need(typeof r.leaf_hash === 'string' && HEX64.test(r.leaf_hash), 'leaf_hash is not 64 lower-case hex digits');
      const proof = r.inclusion_proof;
      need(Array.isArray(proof) && proof.every((h) => typeof h === 'string' && HEX64.test(h)),
        'inclusion_proof is not a list of 64-hex hashes');
      need(await verifyInclusion(fromHex(r.leaf_hash), r.leaf_index, cp.size, proof.map(fromHex), cp.root),
        'the proof does not lead to the root of the signed checkpoint');
      return 'leaf ' + r.leaf_index + ' of ' + cp.size;
    });

    // §7 check 4, §8: a later signed checkpoint extends the receipt's (RFC 9162 §2.1.4.2).
    const latest = o.latest;
    if (isObject(latest) && latest.skipped !== undefined) {
      steps.push({ id: 'consistency', ok: null, skipped: true, detail: String(latest.skipped) });
    } else if (isObject(latest)) {
      await step(steps, 'consistency', async () => {
        need(cp, cpErr);
        const vk = await parseVerifierKey(has('verifierKey') ? o.verifierKey : r.verifier_key);
        const ln = parseNote(latest.checkpoint), lc = parseCheckpoint(ln.text);
        need(lc.origin === cp.origin, 'the latest checkpoint is for ' + q(lc.origin));
        await verifyNote(ln, vk);
        info.latestSize = lc.size;
        need(latest.tree_size === undefined || latest.tree_size === lc.size,
          'get-sth says tree_size ' + latest.tree_size + ' but its signed checkpoint says ' + lc.size);
        need(lc.size >= cp.size, 'the latest signed checkpoint (' + lc.size + ') is smaller than the receipt’s (' + cp.size + ')');
        const c = latest.consistency === undefined ? [] : latest.consistency;
        need(Array.isArray(c), 'the consistency proof is not a list');
        const proof = c.map((b) => { const h = fromB64(b); need(h.length === 32, 'a proof hash is not 32 bytes'); return h; });
        need(await verifyConsistency(cp.size, lc.size, cp.root, lc.root, proof),
          'the consistency proof from ' + cp.size + ' to ' + lc.size + ' does not verify');
        return lc.size === cp.size ? 'the latest checkpoint is the same tree (' + lc.size + ')' : 'size ' + cp.size + ' → ' + lc.size;
      });
    }
  }

  // ---- the page: <section id="receipt-check"> (see the DOM contract in the report) ----
  const FALLBACK = {
    ok: 'Receipt verified', fail: 'Receipt NOT verified', leaf_hash: 'leaf hash', origin: 'log origin',
    key: 'verifier key matches the announced manifest', signature: 'checkpoint signature',
    inclusion: 'included in the log', consistency: 'the log has only grown since',
    fetch: 'could not fetch from the server', input: 'paste a receipt (JSON) or a 64-hex tracker',
    nocrypto: 'this browser cannot verify (WebCrypto Ed25519 unavailable or not a secure context)',
    leaf_index: 'leaf index', tracker: 'tracker', tree_size: 'tree size', error: 'error',
  };
  // Any valid Ed25519 public key, to probe for support (the Go sumdb note example key).
  const PROBE_KEY = 'ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';

  async function cryptoSupported() {
    try { // a NotSupportedError, or anything else, means this browser cannot verify
      await subtle().importKey('raw', fromB64(PROBE_KEY).slice(1), { name: 'Ed25519' }, false, ['verify']);
      return true;
    } catch (e) { return false; }
  }

  async function getJSON(url) {
    const res = await fetch(url, { headers: { Accept: 'application/json' }, cache: 'no-store' });
    let body;
    try { body = await res.json(); } catch (e) { body = undefined; }
    if (!res.ok) {
      const why = isObject(body) && ((typeof body.detail === 'string' && body.detail) || (typeof body.title === 'string' && body.title));
      throw new Error('HTTP ' + res.status + (why ? ': ' + why : ''));
    }
    need(body !== undefined, 'the answer is not JSON');
    return body;
  }

  // Best effort (§7 check 4): the latest signed checkpoint and the proof to it; failure skips.
  async function fetchLatest(api, receipt) {
    try {
      const cp = parseCheckpoint(parseNote(receipt.checkpoint).text);
      const sth = await getJSON(api + '/log/sth');
      need(isObject(sth) && typeof sth.checkpoint === 'string' && isNat(sth.tree_size), 'malformed get-sth answer');
      let consistency = [];
      if (sth.tree_size > cp.size && cp.size > 0) {
        const c = await getJSON(api + '/log/sth-consistency?first=' + cp.size + '&second=' + sth.tree_size);
        need(isObject(c) && Array.isArray(c.consistency), 'malformed get-sth-consistency answer');
        consistency = c.consistency;
      }
      return { checkpoint: sth.checkpoint, tree_size: sth.tree_size, consistency };
    } catch (e) { return { skipped: msgOf(e) }; }
  }

  function setup(doc) {
    const section = doc.getElementById('receipt-check');
    if (!section) return;
    const form = doc.getElementById('receipt-form'), input = doc.getElementById('receipt-input');
    const button = doc.getElementById('receipt-verify'), out = doc.getElementById('receipt-result');
    if (!form || !input || !out) return;
    const attr = (name) => section.getAttribute('data-' + name);
    const msg = (key) => attr('msg-' + key) || FALLBACK[key] || key;
    const api = attr('api') || '';
    const el = (tag, text, cls) => { // textContent only: nothing from the server is parsed as HTML
      const e = doc.createElement(tag);
      if (text !== undefined) e.textContent = text;
      e.className = cls || ''; return e;
    };
    const verdict = (ok, text, reason) => {
      out.textContent = '';
      const h = el('h3', text, 'receipt-verdict');
      h.id = 'receipt-verdict';
      h.setAttribute('data-ok', String(ok));
      if (reason) h.setAttribute('data-reason', reason);
      out.appendChild(h);
    };
    let usable = true;
    const cryptoOk = cryptoSupported().then((ok) => {
      if (!(usable = ok)) { verdict(false, msg('nocrypto'), 'nocrypto'); if (button) button.disabled = true; }
      return ok;
    });

    async function check() {
      if (!(await cryptoOk)) return verdict(false, msg('nocrypto'), 'nocrypto');
      const raw = String(input.value || '').trim();
      let receipt = null, asked = {};
      try { const v = JSON.parse(raw); if (isObject(v)) receipt = v; } catch (e) { /* not JSON */ }
      if (!receipt) {
        const hex = raw.replace(/[\s-]/g, '').toLowerCase();
        if (!HEX64.test(hex)) return verdict(false, msg('input'), 'input');
        try {
          receipt = await getJSON(api + '/log/receipt?hash=' + hex);
          asked = { leafHash: hex };
          need(isObject(receipt), 'the answer is not a JSON object');
        } catch (e) { return verdict(false, msg('fetch') + ' (' + msgOf(e) + ')', 'fetch'); }
      }
      const latest = await fetchLatest(api, receipt);
      const res = await verifyReceipt(receipt, { ...asked, origin: attr('origin'), verifierKey: attr('verifier-key'), latest });
      verdict(res.ok, msg(res.ok ? 'ok' : 'fail'));
      const facts = el('dl', undefined, 'receipt-facts');
      [['leaf_index', res.info.leafIndex], ['tracker', res.info.tracker], ['tree_size', res.info.treeSize]]
        .filter((f) => f[1] !== undefined)
        .forEach((f) => { facts.appendChild(el('dt', msg(f[0]))); facts.appendChild(el('dd', String(f[1]))); });
      out.appendChild(facts);
      const list = el('ul', undefined, 'receipt-steps');
      for (const s of res.steps) {
        const li = list.appendChild(el('li'));
        li.setAttribute('data-step', s.id);
        li.setAttribute('data-ok', s.ok === null ? 'skipped' : String(s.ok));
        li.appendChild(el('span', msg(s.id), 'step-label'));
        li.appendChild(el('span', s.ok === null ? ' – ' : s.ok ? ' ✓ ' : ' ✗ ', 'step-mark'));
        li.appendChild(el('span', s.detail, 'step-detail'));
      }
      out.appendChild(list);
      return undefined;
    }

    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (button) button.disabled = true;
      out.setAttribute('aria-busy', 'true');
      check()
        .catch((e) => verdict(false, msg('fail') + ' (' + msgOf(e) + ')', 'error'))
        .then(() => { out.setAttribute('aria-busy', 'false'); if (button) button.disabled = !usable; });
    });
  }

  const exported = Object.freeze({
    jcs, jcsString, leafHash, verifyInclusion, verifyConsistency, parseNote, parseCheckpoint,
    parseVerifierKey, verifyNote, verifyReceipt, setup,
  });
  if (typeof window !== 'undefined') window.YishitingVerify = exported;
  if (typeof module !== 'undefined' && module.exports) module.exports = exported;
  if (typeof document !== 'undefined' && document && typeof document.getElementById === 'function') {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => setup(document));
    else setup(document);
  }
})();
