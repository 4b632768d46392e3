//! Per-ballot Ed25519 keys, stored encrypted at rest (`docs/verification.md` section 2).
//!
//! A ballot's signing key is a 32-byte Ed25519 seed (RFC 8032). It is kept in the database
//! only as `v1:` ‖ base64(nonce ‖ ChaCha20-Poly1305 ciphertext) (RFC 8439) under the
//! deployment's key-encryption key, with a context string (e.g. the log origin) as
//! associated data so that a sealed key cannot be moved to another ballot.

use std::path::Path;

use anyhow::{bail, Context};
use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use chacha20poly1305::aead::{Aead, KeyInit as _, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use ed25519_dalek::{Signer as _, SigningKey};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::{fill_random, tokens::hex};

const ENV_KEK: &str = "YISHITING_KEY_ENCRYPTION_KEY";
const KEK_FILE: &str = "key_encryption_key";
const SEALED_PREFIX: &str = "v1:";
const NONCE_LEN: usize = 12;
const TAG_DOMAIN: &[u8] = b"yishiting voter tag v1";
const PROXY_TAG_DOMAIN: &[u8] = b"yishiting proxy tag v1";
const PAPER_CODE_DOMAIN: &[u8] = b"yishiting paper code v1";

/// The deployment's key-encryption key (32 bytes). Never printed.
#[derive(Clone)]
pub struct KeyEncryptionKey([u8; 32]);

impl std::fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyEncryptionKey(***)")
    }
}

impl KeyEncryptionKey {
    /// A key from its text form: 64 hexadecimal digits, or standard base64 of 32 bytes.
    /// Surrounding white space is ignored. The error never repeats the secret.
    pub fn from_secret(s: &str) -> anyhow::Result<Self> {
        let s = s.trim();
        if let Some(bytes) = decode_hex32(s) {
            return Ok(Self(bytes));
        }
        if let Some(bytes) = B64
            .decode(s)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
        {
            return Ok(Self(bytes));
        }
        bail!("a key-encryption key must be 64 hexadecimal digits or base64 of 32 bytes")
    }

    /// `YISHITING_KEY_ENCRYPTION_KEY` (or `_FILE`); otherwise `<data_dir>/key_encryption_key`
    /// (64 hex digits), which is made (mode 0600) on first start.
    pub fn load_or_create(data_dir: &Path) -> anyhow::Result<Self> {
        if let Some(v) = crate::config::secret_from_env(ENV_KEK)? {
            return Self::from_secret(&v).with_context(|| format!("{ENV_KEK} is not valid"));
        }
        Self::load_or_create_file(data_dir)
    }

    fn load_or_create_file(data_dir: &Path) -> anyhow::Result<Self> {
        let path = data_dir.join(KEK_FILE);
        let read = |path: &Path| -> anyhow::Result<Self> {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Self::from_secret(&text)
                .with_context(|| format!("{} is not a valid key", path.display()))
        };
        match std::fs::metadata(&path) {
            Ok(_) => read(&path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(data_dir).with_context(|| {
                    format!("cannot create data directory {}", data_dir.display())
                })?;
                let mut bytes = [0u8; 32];
                fill_random(&mut bytes)?;
                let text = format!("{}\n", hex(&bytes));
                match crate::config::write_private_file(&path, text.as_bytes()) {
                    Ok(()) => Ok(Self(bytes)),
                    // Another process made it first: use theirs.
                    Err(e) if is_already_exists(&e) => read(&path),
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(&Key::from(self.0))
    }
}

fn is_already_exists(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::AlreadyExists)
    })
}

fn decode_hex32(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// A ballot's Ed25519 signing key. Its `Debug` shows only the public key.
pub struct BallotKey {
    signing: SigningKey,
}

impl std::fmt::Debug for BallotKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BallotKey(public: {})", hex(&self.public_key()))
    }
}

impl BallotKey {
    /// A new key from 32 bytes of operating-system randomness.
    pub fn generate() -> anyhow::Result<Self> {
        let mut seed = [0u8; 32];
        fill_random(&mut seed)?;
        let key = Self {
            signing: SigningKey::from_bytes(&seed),
        };
        seed.fill(0);
        Ok(key)
    }

    /// The 32-byte Ed25519 public key (RFC 8032 encoding).
    pub fn public_key(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    /// An Ed25519 signature of `msg`.
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.signing.sign(msg).to_bytes()
    }

    /// The signing key, for [`crate::crypto::note::sign_note`].
    pub fn signing_key(&self) -> &SigningKey {
        &self.signing
    }

    /// Encrypt the seed under `kek` with `context` (e.g. the log origin) as associated data:
    /// `"v1:" ‖ base64(12-byte random nonce ‖ ChaCha20-Poly1305 ciphertext and tag)`.
    pub fn seal(&self, kek: &KeyEncryptionKey, context: &str) -> anyhow::Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce)?;
        let seed = self.signing.to_bytes();
        let ciphertext = kek
            .cipher()
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &seed,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| anyhow::anyhow!("cannot encrypt the ballot key"))?;
        let mut blob = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&ciphertext);
        Ok(format!("{SEALED_PREFIX}{}", B64.encode(blob)))
    }

    /// Decrypt a key made by [`BallotKey::seal`] with the same `kek` and `context`.
    pub fn open(sealed: &str, kek: &KeyEncryptionKey, context: &str) -> anyhow::Result<Self> {
        let b64 = sealed
            .strip_prefix(SEALED_PREFIX)
            .context("sealed ballot key: unknown format")?;
        let blob = B64
            .decode(b64)
            .ok()
            .filter(|b| b.len() > NONCE_LEN)
            .context("sealed ballot key: malformed")?;
        let (nonce, ciphertext) = blob.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().context("sealed ballot key: malformed")?;
        let seed = kek
            .cipher()
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| {
                anyhow::anyhow!(
                    "cannot decrypt the ballot key (wrong key-encryption key, wrong ballot, or altered data)"
                )
            })?;
        let mut seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| anyhow::anyhow!("sealed ballot key: wrong length"))?;
        let key = Self {
            signing: SigningKey::from_bytes(&seed),
        };
        seed.fill(0);
        Ok(key)
    }

    /// The secret behind pseudonymous voter tags: `SHA-256("yishiting voter tag v1" ‖ seed)`.
    pub fn derive_tag_secret(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(TAG_DOMAIN);
        h.update(self.signing.as_bytes());
        h.finalize().into()
    }

    /// The confidential-mode voter tag (`docs/verification.md` section 5): the first 16
    /// bytes of `HMAC-SHA256(tag secret, voter_index as 8 bytes big-endian)` (RFC 2104),
    /// as 32 lower-case hex digits.
    pub fn voter_tag(&self, voter_index: u64) -> String {
        hex(&self.mac(TAG_DOMAIN, voter_index)[..16])
    }

    /// A proxy's pseudonymous holder tag (docs/verification.md §14.2): the first 16 bytes of
    /// `HMAC-SHA256(SHA-256("yishiting proxy tag v1" ‖ seed), be64(user id))`, 32 hex digits.
    pub fn proxy_tag(&self, user_id: u64) -> String {
        hex(&self.mac(PROXY_TAG_DOMAIN, user_id)[..16])
    }

    /// The one-time code printed on a voter's ballot paper (书面表决票): 12 symbols of
    /// [`crate::domain::casting::PAPER_CODE_ALPHABET`] taken from
    /// `HMAC-SHA256(SHA-256("yishiting paper code v1" ‖ seed), be64(voter index))`, shown
    /// `XXXX-XXXX-XXXX`. Only the server can make one (the key is secret), so a typed code
    /// both names the voter and shows the paper is the one printed for them.
    pub fn paper_code(&self, voter_index: u64) -> String {
        use crate::domain::casting::{PAPER_CODE_ALPHABET, PAPER_CODE_LEN};
        let full = self.mac(PAPER_CODE_DOMAIN, voter_index);
        let mut n = u128::from_be_bytes(full[..16].try_into().unwrap_or([0; 16]));
        let base = PAPER_CODE_ALPHABET.len() as u128;
        let mut out = String::with_capacity(PAPER_CODE_LEN + 2);
        for i in 0..PAPER_CODE_LEN {
            if i > 0 && i % 4 == 0 {
                out.push('-');
            }
            out.push(char::from(PAPER_CODE_ALPHABET[(n % base) as usize]));
            n /= base;
        }
        out
    }

    /// `HMAC-SHA256(SHA-256(domain ‖ seed), be64(n))`.
    fn mac(&self, domain: &[u8], n: u64) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(domain);
        h.update(self.signing.as_bytes());
        let secret: [u8; 32] = h.finalize().into();
        // HMAC pads a key shorter than the hash's block to the block size with zeros
        // (RFC 2104 section 2), so the 32-byte secret padded to 64 bytes is the same key;
        // this avoids the fallible `new_from_slice`.
        let mut key = [0u8; 64];
        key[..32].copy_from_slice(&secret);
        let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new(&key.into());
        key.fill(0);
        mac.update(&n.to_be_bytes());
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kek(byte: u8) -> KeyEncryptionKey {
        KeyEncryptionKey([byte; 32])
    }

    const CTX: &str = "yishiting.localhost/sanyijing/ballots/3";

    #[test]
    fn seal_open_round_trip() {
        let key = BallotKey::generate().unwrap();
        let sealed = key.seal(&kek(1), CTX).unwrap();
        assert!(sealed.starts_with("v1:"));
        assert_ne!(sealed, key.seal(&kek(1), CTX).unwrap(), "nonces differ");
        let opened = BallotKey::open(&sealed, &kek(1), CTX).unwrap();
        assert_eq!(opened.public_key(), key.public_key());
        assert_eq!(opened.sign(b"m"), key.sign(b"m"));
    }

    #[test]
    fn open_refuses_wrong_key_context_or_tampering() {
        let key = BallotKey::generate().unwrap();
        let sealed = key.seal(&kek(1), CTX).unwrap();
        let seed_hex = hex(key.signing.as_bytes());
        let mut errors = vec![
            BallotKey::open(&sealed, &kek(2), CTX).unwrap_err(),
            BallotKey::open(&sealed, &kek(1), "yishiting.localhost/sanyijing/ballots/4")
                .unwrap_err(),
            BallotKey::open(&sealed.replacen("v1:", "v2:", 1), &kek(1), CTX).unwrap_err(),
            BallotKey::open("v1:AAAA", &kek(1), CTX).unwrap_err(),
            BallotKey::open("v1:***", &kek(1), CTX).unwrap_err(),
        ];
        let mut blob = B64.decode(&sealed[3..]).unwrap();
        for i in [0, NONCE_LEN, blob.len() - 1] {
            blob[i] ^= 1;
            let altered = format!("v1:{}", B64.encode(&blob));
            errors.push(BallotKey::open(&altered, &kek(1), CTX).unwrap_err());
            blob[i] ^= 1;
        }
        for e in errors {
            let msg = format!("{e:#} {e:?}");
            assert!(!msg.contains(&seed_hex), "{msg}");
        }
    }

    #[test]
    fn debug_shows_no_secrets() {
        let key = BallotKey::generate().unwrap();
        let dbg = format!("{key:?}");
        assert!(dbg.contains(&hex(&key.public_key())));
        assert!(!dbg.contains(&hex(key.signing.as_bytes())));
        assert_eq!(format!("{:?}", kek(9)), "KeyEncryptionKey(***)");
    }

    #[test]
    fn kek_from_secret() {
        let hex_form = "0f".repeat(32);
        assert_eq!(
            KeyEncryptionKey::from_secret(&hex_form).unwrap().0,
            [0x0f; 32]
        );
        assert_eq!(
            KeyEncryptionKey::from_secret(&format!("{}\n", hex_form.to_uppercase()))
                .unwrap()
                .0,
            [0x0f; 32]
        );
        assert_eq!(
            KeyEncryptionKey::from_secret(&B64.encode([7u8; 32]))
                .unwrap()
                .0,
            [7; 32]
        );
        for bad in [
            "",
            "0f0f",
            &"zz".repeat(32),
            &B64.encode([7u8; 31]),
            "correct horse battery staple",
        ] {
            let e = KeyEncryptionKey::from_secret(bad).unwrap_err().to_string();
            assert!(bad.is_empty() || !e.contains(bad), "{e}");
        }
    }

    #[test]
    fn kek_file_is_created_private_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let first = KeyEncryptionKey::load_or_create_file(&data).unwrap();
        let path = data.join(KEK_FILE);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, format!("{}\n", hex(&first.0)));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = KeyEncryptionKey::load_or_create_file(&data).unwrap();
        assert_eq!(again.0, first.0);
        std::fs::write(&path, "not a key").unwrap();
        assert!(KeyEncryptionKey::load_or_create_file(&data).is_err());
    }

    #[test]
    fn voter_tags_are_stable_distinct_and_hmac() {
        let key = BallotKey::generate().unwrap();
        let t0 = key.voter_tag(0);
        assert_eq!(t0.len(), 32);
        assert!(t0
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(t0, key.voter_tag(0));
        assert_ne!(t0, key.voter_tag(1));
        assert_ne!(t0, BallotKey::generate().unwrap().voter_tag(0));
        // Same as HMAC keyed with the unpadded 32-byte secret.
        let mut mac =
            <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&key.derive_tag_secret()).unwrap();
        mac.update(&5u64.to_be_bytes());
        assert_eq!(key.voter_tag(5), hex(&mac.finalize().into_bytes()[..16]));
    }
}
