// The scrutineer's key and co-signature in the browser (WebCrypto Ed25519). The private key
// never leaves the browser: it is offered as a file to keep, and kept in this browser's
// IndexedDB as a non-extractable key. Every step also works without JavaScript (see the page).
"use strict";
(function () {
  const subtle = window.crypto && window.crypto.subtle;
  const PKCS8_ED25519 = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
  const enc = new TextEncoder();
  const zh = (el) => (el && el.dataset.lang || document.documentElement.lang || "zh-CN").startsWith("zh");

  function b64(bytes) {
    let s = "";
    for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
    return btoa(s);
  }
  function unb64(s) {
    const bin = atob(s.trim());
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function hex(bytes) {
    return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
  }
  function concat(a, b) {
    const out = new Uint8Array(a.length + b.length);
    out.set(a, 0);
    out.set(b, a.length);
    return out;
  }

  function openStore() {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open("yishiting", 1);
      req.onupgradeneeded = () => req.result.createObjectStore("scrutineer-keys");
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  async function saveKey(publicKey, privateKey) {
    const db = await openStore();
    await new Promise((resolve, reject) => {
      const tx = db.transaction("scrutineer-keys", "readwrite");
      tx.objectStore("scrutineer-keys").put(privateKey, publicKey);
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
  }
  async function loadKey(publicKey) {
    const db = await openStore();
    return new Promise((resolve, reject) => {
      const req = db.transaction("scrutineer-keys").objectStore("scrutineer-keys").get(publicKey);
      req.onsuccess = () => resolve(req.result || null);
      req.onerror = () => reject(req.error);
    });
  }
  async function importSeed(seed) {
    return subtle.importKey("pkcs8", concat(new Uint8Array(PKCS8_ED25519), seed), { name: "Ed25519" }, false, ["sign"]);
  }

  // The desk: make a key pair, keep the private key, fill in the public key.
  const keygen = document.getElementById("keygen");
  if (keygen && subtle) {
    keygen.hidden = false;
    const status = document.getElementById("keygen-status");
    document.getElementById("generate-key").addEventListener("click", async () => {
      try {
        const pair = await subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
        const pub = b64(await subtle.exportKey("raw", pair.publicKey));
        const pkcs8 = new Uint8Array(await subtle.exportKey("pkcs8", pair.privateKey));
        const seed = pkcs8.slice(pkcs8.length - 32);
        const file = JSON.stringify({ format: "yishiting/scrutineer-key/v1", public_key: pub, private_key: b64(seed) }, null, 2) + "\n";
        await saveKey(pub, await importSeed(seed));
        const link = document.getElementById("key-download");
        link.href = URL.createObjectURL(new Blob([file], { type: "application/json" }));
        link.hidden = false;
        document.getElementById("public_key").value = pub;
        status.dataset.ok = "true";
        status.textContent = zh(keygen)
          ? "密钥已生成并保存在本浏览器中。请下载密钥文件妥善备份，然后点击“登记公钥”。"
          : "Key made and kept in this browser. Download the key file as a backup, then press “Register public key”.";
      } catch (e) {
        status.dataset.ok = "false";
        status.textContent = (zh(keygen) ? "本浏览器无法生成 Ed25519 密钥，请改用命令行：" : "This browser cannot make Ed25519 keys; use the command line: ") + e;
      }
    });
  }

  // The co-signing page: check the final record, then sign its hash.
  const box = document.getElementById("cosign-js");
  if (box && subtle) {
    box.hidden = false;
    const d = box.dataset;
    const steps = document.getElementById("cosign-steps");
    const status = document.getElementById("cosign-status");
    const say = (id, ok, zhText, enText) => {
      const li = document.createElement("li");
      li.dataset.step = id;
      li.dataset.ok = String(ok);
      li.textContent = (ok ? "✓ " : "✗ ") + (zh(box) ? zhText : enText);
      steps.appendChild(li);
      return ok;
    };
    let fileKey = null;
    document.getElementById("key-file").addEventListener("change", async (ev) => {
      const f = ev.target.files[0];
      if (!f) return;
      try {
        const k = JSON.parse(await f.text());
        if (k.format !== "yishiting/scrutineer-key/v1") throw new Error("format");
        fileKey = { publicKey: k.public_key, privateKey: await importSeed(unb64(k.private_key)) };
      } catch (e) {
        fileKey = null;
        status.dataset.ok = "false";
        status.textContent = zh(box) ? "无法读取密钥文件。" : "The key file cannot be read.";
      }
    });
    document.getElementById("sign-in-browser").addEventListener("click", async () => {
      steps.textContent = "";
      status.textContent = "";
      try {
        const text = await (await fetch(d.recordUrl, { credentials: "same-origin" })).text();
        const at = text.lastIndexOf(',"signature":');
        if (!text.startsWith('{"record":') || at < 0) throw new Error("record");
        const recordBytes = enc.encode(text.slice('{"record":'.length, at));
        const signature = JSON.parse(text.slice(at + 1 + '"signature":'.length, text.length - 1));
        const sha = hex(await subtle.digest("SHA-256", recordBytes));
        if (!say("hash", sha === d.recordSha256, "结果记录的哈希与本页一致", "the record's hash matches this page")) throw null;
        const ballotKey = await subtle.importKey("raw", unb64(d.ballotKey), { name: "Ed25519" }, false, ["verify"]);
        const msg = concat(enc.encode(d.recordContext + "\n"), recordBytes);
        const good = await subtle.verify({ name: "Ed25519" }, ballotKey, unb64(signature), msg);
        if (!say("signature", good, "结果记录由本表决的公告密钥签名", "the record is signed with the ballot's announced key")) throw null;
        let key = fileKey && fileKey.publicKey === d.myKey ? fileKey.privateKey : null;
        if (!key && fileKey) {
          say("key", false, "密钥文件与公告中您的公钥不符", "the key file does not match your key in the manifest");
          throw null;
        }
        if (!key) key = await loadKey(d.myKey);
        if (!say("key", !!key, "找到您的签名密钥", "found your signing key")) throw null;
        const sig = await subtle.sign({ name: "Ed25519" }, key, enc.encode(d.cosignatureContext + "\n" + sha + "\n"));
        document.getElementById("signature").value = b64(sig);
        status.dataset.ok = "true";
        status.textContent = zh(box) ? "已签名。请点击“提交签名”。" : "Signed. Press “Submit signature”.";
      } catch (e) {
        status.dataset.ok = "false";
        if (e) status.textContent = (zh(box) ? "出错：" : "Error: ") + e;
        else status.textContent = zh(box) ? "核对未通过，未签名。" : "The check failed; nothing was signed.";
      }
    });
  }
})();
