// Tests for templates/static/verify.js (the in-browser receipt verifier), under Node 20:
//   node scripts/verify-js-test.mjs
// Exits non-zero on any failure. The Merkle trees, proofs, keys, checkpoints and receipts are
// built here independently (node:crypto, naive RFC 9162 recursions), never with verify.js.

import { createHash, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import vm from 'node:vm';

const require = createRequire(import.meta.url);
const SCRIPT = new URL('../templates/static/verify.js', import.meta.url);
const V = require(SCRIPT.pathname);
const subtle = webcrypto.subtle;

let failures = 0, checks = 0;
function ok(cond, what) {
  checks++;
  if (!cond) { failures++; console.error('FAIL: ' + what); }
}
function throwsSync(fn) { try { fn(); return false; } catch (e) { return true; } }
async function rejects(p) { try { await p; return false; } catch (e) { return true; } }

const hex = (b) => Buffer.from(b).toString('hex');
const b64 = (b) => Buffer.from(b).toString('base64');
const utf8 = (s) => new TextEncoder().encode(s);

// ---- 1. JCS (RFC 8785) ----
{
  const s = V.jcsString;
  // RFC 8785 §3.2.3 sorting example: UTF-16 code unit order (the emoji's surrogates sort
  // before U+FB33, unlike code point order).
  const sortInput = { '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh',
    '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' };
  const sortWant = '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
    '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}';
  ok(s(sortInput) === sortWant, 'JCS: RFC 8785 sorting example');
  ok(hex(V.jcs(sortInput)) === Buffer.from(sortWant, 'utf8').toString('hex'), 'JCS: UTF-8 bytes');
  ok(s({ b: [1, { d: true, c: null }], a: 'x', '': -0 }) === '{"":0,"a":"x","b":[1,{"c":null,"d":true}]}', 'JCS: nested, -0');
  ok(s({ rooms: ['1号楼 101'], name: '张*', q: '"\\\u001f\u007f/' }) === '{"name":"张*","q":"\\"\\\\\\u001f\u007f/","rooms":["1号楼 101"]}', 'JCS: escapes');
  ok(s([9007199254740991, -9007199254740991, 0, 100]) === '[9007199254740991,-9007199254740991,0,100]', 'JCS: integers');
  ok(s({ 10: 1, 9: 2, a: 3 }) === '{"10":1,"9":2,"a":3}', 'JCS: numeric-looking keys sort as strings');
  for (const bad of [1.5, 2 ** 53, -(2 ** 53), NaN, Infinity, undefined, () => 1, 1n, '\ud800', { '\udc00': 1 }, [1, 0.1]]) {
    ok(throwsSync(() => s(bad)), 'JCS rejects ' + String(typeof bad === 'string' ? JSON.stringify(bad) : bad));
  }
  ok(throwsSync(() => s({ a: { b: 1.5 } })), 'JCS rejects a nested fraction');
}

// ---- 2. Merkle trees: naive RFC 9162 §2.1.1 MTH, §2.1.3.1 PATH, §2.1.4.1 PROOF ----
const sha = (...parts) => createHash('sha256').update(Buffer.concat(parts.map((p) => Buffer.from(p)))).digest();
const leafH = (data) => sha([0], data);
const nodeH = (l, r) => sha([1], l, r);
const split = (n) => { let k = 1; while (k * 2 < n) k *= 2; return k; }; // largest power of 2 < n
function mth(D) {
  if (D.length === 0) return sha();
  if (D.length === 1) return D[0]; // D holds leaf hashes
  const k = split(D.length);
  return nodeH(mth(D.slice(0, k)), mth(D.slice(k)));
}
// PATH with the side of every sibling (true: the sibling is on the left).
function path(m, D) {
  if (D.length <= 1) return [];
  const k = split(D.length);
  return m < k ? [...path(m, D.slice(0, k)), { h: mth(D.slice(k)), left: false }]
    : [...path(m - k, D.slice(k)), { h: mth(D.slice(0, k)), left: true }];
}
// SUBPROOF with the role of every node: S (start: the old subtree itself), L (left sibling,
// common to both trees), R (right sibling, only in the new tree).
function subproof(m, D, b) {
  if (m === D.length) return b ? [] : [{ h: mth(D), role: 'S' }];
  const k = split(D.length);
  return m <= k ? [...subproof(m, D.slice(0, k), b), { h: mth(D.slice(k)), role: 'R' }]
    : [...subproof(m - k, D.slice(k), false), { h: mth(D.slice(0, k)), role: 'L' }];
}
const proofOf = (m, D) => subproof(m, D, true);
const inclShape = (m, n) => path(m, Array.from({ length: n }, () => Buffer.alloc(32))).map((p) => (p.left ? 'L' : 'R')).join('');
const isPow2 = (n) => n > 0 && (n & (n - 1)) === 0;
const consShape = (m, n) => (isPow2(m) ? 'P' : '') + proofOf(m, Array.from({ length: n }, () => Buffer.alloc(32))).map((p) => p.role).join('');
const flip = (b, i = 0) => { const c = Uint8Array.from(b); c[i] ^= 1; return c; };
const u8 = (b) => new Uint8Array(b);

{
  const N = 40;
  const leaves = Array.from({ length: N }, (_, i) => leafH(utf8('leaf ' + i)));
  const roots = [null];
  for (let n = 1; n <= N; n++) roots.push(mth(leaves.slice(0, n)));
  let inclOk = 0, consOk = 0;
  for (let n = 1; n <= N; n++) {
    const D = leaves.slice(0, n), root = u8(roots[n]);
    for (let m = 0; m < n; m++) {
      const proof = path(m, D).map((p) => u8(p.h));
      const lh = u8(D[m]);
      const good = await V.verifyInclusion(lh, m, n, proof, root);
      ok(good, `inclusion ${m}/${n} accepted`);
      if (good) inclOk++;
      ok(!(await V.verifyInclusion(flip(lh), m, n, proof, root)), `inclusion ${m}/${n}: flipped leaf`);
      ok(!(await V.verifyInclusion(lh, m, n, proof, flip(root, 31))), `inclusion ${m}/${n}: flipped root`);
      for (let i = 0; i < proof.length; i++) {
        const bad = proof.slice(); bad[i] = flip(bad[i], i % 32);
        ok(!(await V.verifyInclusion(lh, m, n, bad, root)), `inclusion ${m}/${n}: flipped proof[${i}]`);
      }
      ok(!(await V.verifyInclusion(lh, m, n, proof.concat([u8(root)]), root)), `inclusion ${m}/${n}: proof too long`);
      if (proof.length) ok(!(await V.verifyInclusion(lh, m, n, proof.slice(0, -1), root)), `inclusion ${m}/${n}: proof too short`);
      for (const wm of [m - 1, m + 1, n, -1, 2 ** 53]) {
        if (wm === m) continue;
        ok(!(await V.verifyInclusion(lh, wm, n, proof, root)), `inclusion ${m}/${n}: wrong index ${wm}`);
      }
      // A wrong size is caught unless its audit path has exactly the same shape (inherent to
      // RFC 9162: the size is taken from the signed checkpoint); check that exactly.
      for (const wn of [n - 1, n + 1, n + 2, 2 * n]) {
        if (wn <= m) { ok(!(await V.verifyInclusion(lh, m, wn, proof, root)), `inclusion ${m}/${n}: size ${wn} <= index`); continue; }
        const same = inclShape(m, wn) === inclShape(m, n);
        ok((await V.verifyInclusion(lh, m, wn, proof, root)) === same, `inclusion ${m}/${n}: wrong size ${wn} (same shape: ${same})`);
      }
    }
    for (let m = 1; m <= n; m++) {
      const proof = proofOf(m, D).map((p) => u8(p.h)), old = u8(roots[m]);
      const good = await V.verifyConsistency(m, n, old, root, proof);
      ok(good, `consistency ${m}->${n} accepted`);
      if (good) consOk++;
      ok(!(await V.verifyConsistency(m, n, flip(old), root, proof)), `consistency ${m}->${n}: flipped old root`);
      ok(!(await V.verifyConsistency(m, n, old, flip(root, 7), proof)), `consistency ${m}->${n}: flipped new root`);
      for (let i = 0; i < proof.length; i++) {
        const bad = proof.slice(); bad[i] = flip(bad[i], (i * 5) % 32);
        ok(!(await V.verifyConsistency(m, n, old, root, bad)), `consistency ${m}->${n}: flipped proof[${i}]`);
      }
      ok(!(await V.verifyConsistency(m, n, old, root, proof.concat([u8(root)]))), `consistency ${m}->${n}: proof too long`);
      if (proof.length) ok(!(await V.verifyConsistency(m, n, old, root, proof.slice(0, -1))), `consistency ${m}->${n}: proof too short`);
      if (m === n) {
        ok(proof.length === 0, `consistency ${m}->${n}: empty proof for equal sizes`);
        ok(!(await V.verifyConsistency(m, n, old, root, [u8(root)])), `consistency ${m}->${n}: non-empty proof for equal sizes`);
        continue;
      }
      for (const [wm, wn] of [[m - 1, n], [m + 1, n], [m, n - 1], [m, n + 1], [m, n + 2], [0, n]]) {
        if (wm <= 0 || wm > wn) { ok(!(await V.verifyConsistency(wm, wn, old, root, proof)), `consistency ${m}->${n}: sizes ${wm}->${wn}`); continue; }
        const same = consShape(wm, wn) === consShape(m, n);
        ok((await V.verifyConsistency(wm, wn, old, root, proof)) === same, `consistency ${m}->${n}: wrong sizes ${wm}->${wn} (same shape: ${same})`);
      }
    }
  }
  ok(!(await V.verifyConsistency(0, 5, u8(sha()), u8(roots[5]), [])), 'consistency from the empty tree is rejected');
  ok(!(await V.verifyInclusion(u8(leaves[0]), 0, 0, [], u8(sha()))), 'inclusion in the empty tree is rejected');
  ok(!(await V.verifyInclusion('nope', 0, 1, [], u8(leaves[0]))), 'inclusion with a non-bytes hash is false, no throw');
  console.log(`merkle: ${inclOk} inclusion and ${consOk} consistency proofs accepted (sizes 1..${N})`);
}

// ---- 3. Signed note: the golang.org/x/mod/sumdb/note test vector ----
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const PETER_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG = '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
{
  const note = PETER_TEXT + '\n' + PETER_SIG;
  const parsed = V.parseNote(note);
  ok(parsed.text === PETER_TEXT, 'note: text');
  ok(parsed.sigs.length === 1 && parsed.sigs[0].name === 'PeterNeumann' && parsed.sigs[0].keyIdHex === 'c74f20a3', 'note: signature line');
  ok(parsed.sigs[0].sig.length === 64, 'note: 64-byte signature');
  const vk = await V.parseVerifierKey(PETER_VKEY);
  ok(vk.name === 'PeterNeumann' && vk.keyIdHex === 'c74f20a3' && vk.publicKey.length === 32, 'vkey: parsed, key ID matches');
  ok(!(await rejects(V.verifyNote(note, PETER_VKEY))), 'note: the Go signature verifies');
  ok(await rejects(V.verifyNote(note.replace('cryptography', 'cryptographY'), PETER_VKEY)), 'note: tampered text fails');
  ok(await rejects(V.verifyNote(PETER_TEXT + '\n' + PETER_SIG.replace('x08go', 'x08gp'), PETER_VKEY)), 'note: tampered signature fails');
  ok(await rejects(V.parseVerifierKey(PETER_VKEY.replace('c74f20a3', 'c74f20a4'))), 'vkey: wrong key ID rejected');
  ok(await rejects(V.parseVerifierKey(PETER_VKEY.replace('PeterNeumann', 'PeterNeuman'))), 'vkey: wrong name rejected');
  ok(await rejects(V.parseVerifierKey(PETER_VKEY.replace('ARpc', 'AZpc'))), 'vkey: changed key rejected');
  ok(await rejects(V.verifyNote(note, 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop')), 'note: other key has no signature line');
  // The text ends at the last empty line, so it may contain empty lines itself.
  const multi = 'line one\n\nline three\n';
  ok((() => { try { return V.parseNote(multi + '\n' + PETER_SIG).text === multi; } catch (e) { return false; } })(), 'note: text with an empty line inside');
  // Malformed encodings (after the Go TestOpen table).
  for (const bad of [PETER_TEXT, PETER_TEXT + '\n', PETER_TEXT + '\n' + PETER_SIG.slice(0, -1), '\x01' + PETER_TEXT + '\n' + PETER_SIG,
    PETER_TEXT + '\n\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n',
    PETER_TEXT + '\n' + PETER_SIG + 'Unexpected line.\n', PETER_TEXT + '\n' + PETER_SIG.replace('\u2014', '-')]) {
    ok(throwsSync(() => V.parseNote(bad)), 'note: malformed rejected: ' + JSON.stringify(bad.slice(-30)));
  }
}

// ---- 4. Receipts (docs/verification.md §§2, 5, 6, 7) ----
function canon(v) { // an independent mini-JCS for the test's own leaves
  if (Array.isArray(v)) return '[' + v.map(canon).join(',') + ']';
  if (v && typeof v === 'object') return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + canon(v[k])).join(',') + '}';
  return JSON.stringify(v);
}
const ORIGIN = 'yishiting.localhost/sanyijing/ballots/3';
const kp = await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
const pub = new Uint8Array(await subtle.exportKey('raw', kp.publicKey));
const keyId = sha(utf8(ORIGIN), [0x0a, 0x01], pub).subarray(0, 4);
const VKEY = `${ORIGIN}+${hex(keyId)}+${b64(Buffer.concat([Buffer.from([1]), pub]))}`;
async function signCheckpoint(size, root, key = kp.privateKey, id = keyId, origin = ORIGIN) {
  const text = `${origin}\n${size}\n${b64(root)}\n`;
  const sig = new Uint8Array(await subtle.sign({ name: 'Ed25519' }, key, utf8(text)));
  return text + '\n\u2014 ' + origin + ' ' + b64(Buffer.concat([id, sig])) + '\n';
}
const leaves = Array.from({ length: 12 }, (_, i) => ({
  format: 'yishiting/ballot/v1', origin: ORIGIN, ballot: 3, cast_id: sha(utf8('cast' + i)).toString('hex').slice(0, 32),
  cast_at: 1767225600 + i * 60, area_centi: 8950 + i, headcount: 1, voter: i, rooms: [`1号楼 ${101 + i}`],
  answers: [{ question: 'q1', choices: ['agree'] }, { question: 'q2', choices: ['o1', 'o3'] }],
}));
const hashes = leaves.map((l) => leafH(utf8(canon(l))));
const SIZE = 7, INDEX = 5;
const checkpoint = await signCheckpoint(SIZE, mth(hashes.slice(0, SIZE)));
const leafHex = hashes[INDEX].toString('hex');
const receipt = {
  format: 'yishiting/receipt/v1', origin: ORIGIN, ballot: 3, leaf_index: INDEX, leaf_hash: leafHex,
  tracker: `${leafHex.slice(0, 4)}-${leafHex.slice(4, 8)}-${leafHex.slice(8, 12)}`, leaf: leaves[INDEX], checkpoint,
  inclusion_proof: path(INDEX, hashes.slice(0, SIZE)).map((p) => p.h.toString('hex')), verifier_key: VKEY,
};
const clone = (x) => JSON.parse(JSON.stringify(x));
const stepOf = (res, id) => res.steps.find((s) => s.id === id);
const latestAt = async (n, leafHashes = hashes) => ({
  checkpoint: await signCheckpoint(n, mth(leafHashes.slice(0, n))), tree_size: n,
  consistency: proofOf(SIZE, leafHashes.slice(0, n)).map((p) => b64(p.h)),
});
{
  ok(V.jcsString(leaves[INDEX]) === canon(leaves[INDEX]), 'receipt: JCS of the leaf matches the independent one');
  ok(hex(await V.leafHash(leaves[INDEX])) === leafHex, 'receipt: leafHash');
  let res = await V.verifyReceipt(clone(receipt));
  ok(res.ok, 'receipt: accepted ' + JSON.stringify(res.steps));
  ok(res.steps.map((s) => s.id).join() === 'leaf_hash,origin,signature,inclusion', 'receipt: the four steps in order');
  ok(res.info.leafIndex === INDEX && res.info.treeSize === SIZE && res.info.tracker === receipt.tracker, 'receipt: info');
  res = await V.verifyReceipt(clone(receipt), { origin: ORIGIN, verifierKey: VKEY });
  ok(res.ok && stepOf(res, 'key').ok === true, 'receipt: accepted with the announced origin and key');
  res = await V.verifyReceipt(clone(receipt), { origin: ORIGIN, verifierKey: PETER_VKEY });
  ok(!res.ok && stepOf(res, 'key').ok === false, 'receipt: another announced key fails the key step');
  res = await V.verifyReceipt(clone(receipt), { origin: 'yishiting.localhost/sanyijing/ballots/4', verifierKey: VKEY });
  ok(!res.ok && stepOf(res, 'origin').ok === false, 'receipt: another announced origin fails the origin step');
  res = await V.verifyReceipt(clone(receipt), { origin: null, verifierKey: null });
  ok(!res.ok, 'receipt: a page without origin/key attributes does not pass');

  let r = clone(receipt); r.leaf.answers[0].choices = ['disagree'];
  res = await V.verifyReceipt(r);
  ok(!res.ok && stepOf(res, 'leaf_hash').ok === false, 'receipt: changed answer fails leaf_hash');
  r = clone(receipt); r.checkpoint = r.checkpoint.replace(`\n${SIZE}\n`, `\n${SIZE + 1}\n`);
  res = await V.verifyReceipt(r);
  ok(!res.ok && stepOf(res, 'signature').ok === false, 'receipt: changed checkpoint size fails the signature');
  const other = await signCheckpoint(SIZE - 1, mth(hashes.slice(0, SIZE - 1)));
  r = clone(receipt); r.checkpoint = receipt.checkpoint.split('\n\n')[0] + '\n\n' + other.split('\n\n')[1];
  res = await V.verifyReceipt(r);
  ok(!res.ok && stepOf(res, 'signature').ok === false && stepOf(res, 'inclusion').ok === true, 'receipt: swapped signature fails');
  const kp2 = await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  r = clone(receipt); r.checkpoint = await signCheckpoint(SIZE, mth(hashes.slice(0, SIZE)), kp2.privateKey);
  res = await V.verifyReceipt(r);
  ok(!res.ok && stepOf(res, 'signature').ok === false, 'receipt: signature by another key under the right key ID fails');
  r = clone(receipt); r.leaf_index = 4;
  ok(!(await V.verifyReceipt(r)).ok, 'receipt: wrong leaf_index fails');
  r = clone(receipt); r.inclusion_proof[0] = hashes[0].toString('hex');
  ok(!(await V.verifyReceipt(r)).ok, 'receipt: wrong proof fails');
  r = clone(receipt); r.tracker = '0000-0000-0000';
  ok(!(await V.verifyReceipt(r)).ok, 'receipt: wrong tracker fails');
  r = clone(receipt); r.leaf.origin = 'evil/ballots/3';
  ok(!(await V.verifyReceipt(r)).ok, 'receipt: leaf of another log fails');
  r = clone(receipt); r.leaf.area_centi = 8950.5;
  res = await V.verifyReceipt(r);
  ok(!res.ok && /integer/.test(stepOf(res, 'leaf_hash').detail), 'receipt: fractional number rejected');

  // Consistency with a later checkpoint (§7 check 4).
  res = await V.verifyReceipt(clone(receipt), { origin: ORIGIN, verifierKey: VKEY, latest: await latestAt(12) });
  ok(res.ok && stepOf(res, 'consistency').ok === true, 'receipt: consistency to size 12 ' + JSON.stringify(stepOf(res, 'consistency')));
  res = await V.verifyReceipt(clone(receipt), { latest: { checkpoint: receipt.checkpoint, tree_size: SIZE, consistency: [] } });
  ok(res.ok && stepOf(res, 'consistency').ok === true, 'receipt: consistency with the same checkpoint');
  const forked = hashes.slice(); forked[2] = leafH(utf8('rewritten'));
  res = await V.verifyReceipt(clone(receipt), { latest: await latestAt(12, forked) });
  ok(!res.ok && stepOf(res, 'consistency').ok === false, 'receipt: a rewritten history fails consistency');
  const l12 = await latestAt(12);
  res = await V.verifyReceipt(clone(receipt), { latest: { ...l12, tree_size: 13 } });
  ok(!res.ok && stepOf(res, 'consistency').ok === false, 'receipt: get-sth size differing from its signed checkpoint fails');
  res = await V.verifyReceipt(clone(receipt), { latest: { ...l12, checkpoint: await signCheckpoint(12, mth(hashes), kp2.privateKey) } });
  ok(!res.ok && stepOf(res, 'consistency').ok === false, 'receipt: unsigned latest checkpoint fails');
  res = await V.verifyReceipt(clone(receipt), { latest: { skipped: 'HTTP 503' } });
  ok(res.ok && stepOf(res, 'consistency').ok === null && stepOf(res, 'consistency').skipped, 'receipt: skipped consistency is not a failure');

  // Malformed input never throws.
  const malformed = [null, undefined, 'x', 42, [], {}, { ...receipt, inclusion_proof: 'abc' }, { ...receipt, leaf_index: -1 },
    { ...receipt, leaf_index: '5' }, { ...receipt, checkpoint: 'garbage' }, { ...receipt, checkpoint: 7 }, { ...receipt, leaf: null },
    { ...receipt, verifier_key: 'x+y+z' }, { ...receipt, leaf_hash: leafHex.toUpperCase() }, { ...receipt, format: 'v2' }];
  for (const bad of malformed) {
    let out;
    try { out = await V.verifyReceipt(bad, { latest: { checkpoint: 'nope' } }); } catch (e) { out = { threw: e }; }
    ok(out && out.ok === false && Array.isArray(out.steps) && out.steps.some((s) => s.ok === false && s.detail),
      'receipt: malformed gives ok:false with an explanation: ' + String(JSON.stringify(bad)).slice(0, 60));
  }
  console.log('receipt: leaf ' + INDEX + ' of ' + SIZE + ', tracker ' + receipt.tracker);
}

// ---- 5. As a plain browser script (no module): window.YishitingVerify, in a vm context ----
{
  const window = {};
  const ctx = vm.createContext({ window, crypto: webcrypto, TextEncoder, atob, btoa, console });
  vm.runInContext(readFileSync(SCRIPT, 'utf8'), ctx, { filename: 'verify.js' });
  const W = window.YishitingVerify;
  ok(W && ['jcs', 'leafHash', 'verifyInclusion', 'verifyConsistency', 'parseNote', 'verifyReceipt'].every((k) => typeof W[k] === 'function'),
    'browser: window.YishitingVerify exposes the API');
  ok(W && (await W.verifyReceipt(clone(receipt))).ok === true, 'browser: verifyReceipt in a separate realm');
}

// ---- 6. The page contract, against a minimal fake DOM and fetch ----
class FakeEl {
  constructor(tag, id) { this.tagName = tag.toUpperCase(); this.id = id || ''; this.className = ''; this.attrs = {}; this.kids = []; this.text = ''; this.on = {}; this.value = ''; this.disabled = false; }
  setAttribute(k, v) { this.attrs[k] = String(v); }
  getAttribute(k) { return k in this.attrs ? this.attrs[k] : null; }
  appendChild(c) { this.kids.push(c); return c; }
  addEventListener(t, f) { (this.on[t] = this.on[t] || []).push(f); }
  set textContent(t) { this.kids = []; this.text = String(t); }
  get textContent() { return this.text + this.kids.map((k) => k.textContent).join(''); }
  find(pred) { if (pred(this)) return this; for (const k of this.kids) { const f = k.find && k.find(pred); if (f) return f; } return null; }
  all(pred, acc = []) { if (pred(this)) acc.push(this); for (const k of this.kids) if (k.all) k.all(pred, acc); return acc; }
}
const API = '/api/v1/communities/sanyijing/ballots/3';
function page() {
  const section = new FakeEl('section', 'receipt-check');
  const attrs = { api: API, origin: ORIGIN, 'verifier-key': VKEY, 'msg-ok': '回执有效', 'msg-fail': '回执无效', 'msg-leaf_hash': '选票哈希',
    'msg-origin': '日志来源', 'msg-signature': '签名', 'msg-inclusion': '已收录', 'msg-consistency': '日志只增不改', 'msg-key': '公钥与公告一致',
    'msg-fetch': '无法从服务器获取', 'msg-input': '请粘贴回执或追踪码', 'msg-nocrypto': '此浏览器无法验证' };
  for (const [k, v] of Object.entries(attrs)) section.setAttribute('data-' + k, v);
  const els = { 'receipt-check': section, 'receipt-form': new FakeEl('form', 'receipt-form'), 'receipt-input': new FakeEl('textarea', 'receipt-input'),
    'receipt-verify': new FakeEl('button', 'receipt-verify'), 'receipt-result': new FakeEl('div', 'receipt-result') };
  const doc = { getElementById: (id) => els[id] || null, createElement: (t) => new FakeEl(t), createTextNode: (t) => ({ textContent: t }) };
  return { doc, els };
}
async function submit(els, value) {
  els['receipt-input'].value = value;
  let prevented = false;
  for (const f of els['receipt-form'].on.submit) f({ preventDefault: () => { prevented = true; } });
  for (let i = 0; i < 200 && els['receipt-result'].getAttribute('aria-busy') !== 'false'; i++) await new Promise((r) => setTimeout(r, 5));
  els['receipt-result'].setAttribute('aria-busy', 'pending');
  return prevented;
}
const summary = (out) => {
  const v = out.find((e) => e.id === 'receipt-verdict');
  return { verdict: v && v.getAttribute('data-ok'), text: v && v.textContent, reason: v && v.getAttribute('data-reason'),
    steps: Object.fromEntries(out.all((e) => e.tagName === 'LI').map((li) => [li.getAttribute('data-step'), li.getAttribute('data-ok')])) };
};
{
  const l12 = await latestAt(12);
  const requests = [];
  let mode = 'ok';
  globalThis.fetch = async (url) => {
    requests.push(url);
    const reply = (status, body) => ({ ok: status < 300, status, json: async () => body });
    if (mode === 'down') throw new TypeError('Failed to fetch');
    if (url === `${API}/log/receipt?hash=${leafHex}`) return reply(200, clone(receipt));
    if (url === `${API}/log/receipt?hash=${'cd'.repeat(32)}`) return reply(200, clone(receipt)); // not the leaf asked for
    if (url.startsWith(`${API}/log/receipt?`)) return reply(404, { type: 'about:blank', title: 'Not Found', detail: 'no such leaf' });
    if (url === `${API}/log/sth`) return mode === 'nosth' ? reply(500, {}) : reply(200, { tree_size: 12, timestamp: 1, sha256_root_hash: b64(mth(hashes)), checkpoint: l12.checkpoint });
    if (url === `${API}/log/sth-consistency?first=${SIZE}&second=12`) return reply(200, { consistency: l12.consistency });
    return reply(404, {});
  };
  const { doc, els } = page();
  V.setup(doc);
  await new Promise((r) => setTimeout(r, 20));
  const out = els['receipt-result'];
  ok(out.find((e) => e.id === 'receipt-verdict') === null, 'page: nothing shown before a submission when crypto works');

  ok(await submit(els, '  ' + JSON.stringify(receipt, null, 2) + '\n'), 'page: submit default prevented');
  let s = summary(out);
  ok(s.verdict === 'true' && s.text === '回执有效', 'page: pasted receipt verified ' + JSON.stringify(s));
  ok(JSON.stringify(s.steps) === JSON.stringify({ leaf_hash: 'true', origin: 'true', key: 'true', signature: 'true', inclusion: 'true', consistency: 'true' }), 'page: steps ' + JSON.stringify(s.steps));
  ok(out.textContent.includes(receipt.tracker) && out.textContent.includes('12') && out.textContent.includes('✓') && out.textContent.includes('已收录'), 'page: facts and labels shown');
  ok(requests.includes(`${API}/log/sth`) && requests.includes(`${API}/log/sth-consistency?first=${SIZE}&second=12`), 'page: fetched sth and consistency');

  requests.length = 0;
  await submit(els, leafHex.toUpperCase().replace(/(.{4})/g, '$1-').replace(/-$/, ''));
  s = summary(out);
  ok(requests[0] === `${API}/log/receipt?hash=${leafHex}` && s.verdict === 'true', 'page: tracker with dashes fetched and verified ' + JSON.stringify(s));

  await submit(els, 'ab'.repeat(32));
  s = summary(out);
  ok(s.verdict === 'false' && s.reason === 'fetch' && s.text.includes('无法从服务器获取') && s.text.includes('no such leaf'), 'page: 404 shows the fetch message with detail ' + JSON.stringify(s));

  await submit(els, 'cd'.repeat(32));
  s = summary(out);
  ok(s.verdict === 'false' && s.steps.leaf_hash === 'false', 'page: a receipt for another leaf than the one asked for fails ' + JSON.stringify(s));

  await submit(els, 'hello');
  s = summary(out);
  ok(s.verdict === 'false' && s.reason === 'input' && s.text === '请粘贴回执或追踪码', 'page: bad input message');

  mode = 'nosth';
  await submit(els, JSON.stringify(receipt));
  s = summary(out);
  ok(s.verdict === 'true' && s.steps.consistency === 'skipped', 'page: unreachable sth skips consistency ' + JSON.stringify(s));

  mode = 'ok';
  const bad = clone(receipt); bad.leaf.answers[0].choices = ['disagree'];
  await submit(els, JSON.stringify(bad));
  s = summary(out);
  ok(s.verdict === 'false' && s.text === '回执无效' && s.steps.leaf_hash === 'false', 'page: tampered receipt fails ' + JSON.stringify(s));

  const evil = clone(receipt); // a receipt signed with another key, for this log
  const kp3 = await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const pub3 = new Uint8Array(await subtle.exportKey('raw', kp3.publicKey));
  const id3 = sha(utf8(ORIGIN), [0x0a, 0x01], pub3).subarray(0, 4);
  evil.verifier_key = `${ORIGIN}+${hex(id3)}+${b64(Buffer.concat([Buffer.from([1]), pub3]))}`;
  evil.checkpoint = await signCheckpoint(SIZE, mth(hashes.slice(0, SIZE)), kp3.privateKey, id3);
  ok((await V.verifyReceipt(clone(evil))).ok, 'page: (self-consistent forged receipt passes without an anchor)');
  await submit(els, JSON.stringify(evil));
  s = summary(out);
  ok(s.verdict === 'false' && s.steps.key === 'false' && s.steps.signature === 'true', 'page: forged key caught by the key step ' + JSON.stringify(s));

  // No WebCrypto Ed25519: the nocrypto message.
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
  Object.defineProperty(globalThis, 'crypto', { value: { subtle: { importKey: async () => { throw new DOMException('no', 'NotSupportedError'); } } }, configurable: true });
  const p2 = page();
  V.setup(p2.doc);
  await new Promise((r) => setTimeout(r, 20));
  s = summary(p2.els['receipt-result']);
  ok(s.verdict === 'false' && s.reason === 'nocrypto' && s.text === '此浏览器无法验证' && p2.els['receipt-verify'].disabled, 'page: nocrypto ' + JSON.stringify(s));
  Object.defineProperty(globalThis, 'crypto', saved);
}

console.log(`${checks - failures}/${checks} checks passed`);
if (failures) { console.error(`${failures} FAILED`); process.exit(1); }
