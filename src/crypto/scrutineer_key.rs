//! Scrutineers' (监票人) Ed25519 keys and their co-signatures over final tally records
//! (docs/verification.md §12, §13).
//!
//! A scrutineer keeps the key file `{"format": "yishiting/scrutineer-key/v1", "public_key":
//! b64, "private_key": b64}` (the 32-byte public key and the 32-byte RFC 8032 seed), made by
//! `yishiting key generate` or in the browser. The organiser puts the public key in the
//! manifest at announcement; after checking the bundle the scrutineer signs
//! [`cosignature_message`] of the final record's SHA-256 with it. The server only ever sees
//! public keys and signatures: [`parse_public_key`] and [`verify_cosignature`].

use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::domain::tally_record::cosignature_message;
pub use crate::domain::tally_record::SCRUTINEER_KEY_FORMAT;

/// Why a key file was refused. The messages never contain key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyFileError {
    #[error("not a scrutineer key file (JSON with format, public_key, private_key)")]
    Malformed,
    #[error("unsupported key file format (expected {SCRUTINEER_KEY_FORMAT})")]
    Format,
    #[error("private_key must be base64 of a 32-byte Ed25519 seed")]
    PrivateKey,
    #[error("public_key does not belong to private_key")]
    Mismatch,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    format: String,
    public_key: String,
    private_key: String,
}

/// A scrutineer's signing key. `Debug` shows the public key only.
pub struct ScrutineerKey {
    signing: SigningKey,
}

impl std::fmt::Debug for ScrutineerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ScrutineerKey(public: {})", self.public_key_b64())
    }
}

impl ScrutineerKey {
    /// A new key from the operating system's secure random source.
    pub fn generate() -> anyhow::Result<Self> {
        let mut seed = [0u8; 32];
        super::fill_random(&mut seed)?;
        let key = Self::from_seed(&seed);
        seed.fill(0);
        Ok(key)
    }

    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self {
            signing: SigningKey::from_bytes(seed),
        }
    }

    /// Read a key file, checking its format and that the public key matches the seed.
    pub fn from_key_file(text: &str) -> Result<Self, KeyFileError> {
        let file: KeyFile = serde_json::from_str(text).map_err(|_| KeyFileError::Malformed)?;
        if file.format != SCRUTINEER_KEY_FORMAT {
            return Err(KeyFileError::Format);
        }
        let seed: [u8; 32] = B64
            .decode(file.private_key.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(KeyFileError::PrivateKey)?;
        let key = Self::from_seed(&seed);
        if parse_public_key(file.public_key.trim()) != Some(key.public_key()) {
            return Err(KeyFileError::Mismatch);
        }
        Ok(key)
    }

    /// The key file text (holds the private key: write it with mode 0600, never print it).
    pub fn to_key_file(&self) -> String {
        let file = KeyFile {
            format: SCRUTINEER_KEY_FORMAT.to_owned(),
            public_key: self.public_key_b64(),
            private_key: B64.encode(self.signing.to_bytes()),
        };
        // A struct of three strings always serialises.
        let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
        text.push('\n');
        text
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    /// Base64 of the 32-byte public key, as the manifest lists it.
    pub fn public_key_b64(&self) -> String {
        B64.encode(self.public_key())
    }

    /// The base64 co-signature over a final record whose `SHA-256(JCS(record))` is
    /// `record_sha256_hex` (64 lower-case hex digits).
    pub fn cosign(&self, record_sha256_hex: &str) -> String {
        let sig = self.signing.sign(&cosignature_message(record_sha256_hex));
        B64.encode(sig.to_bytes())
    }
}

/// A scrutineer's public key: standard base64 of 32 bytes that decode to an Ed25519 point.
pub fn parse_public_key(b64: &str) -> Option<[u8; 32]> {
    let bytes: [u8; 32] = B64.decode(b64).ok()?.try_into().ok()?;
    let key = VerifyingKey::from_bytes(&bytes).ok()?;
    (!key.is_weak()).then_some(bytes)
}

/// Whether `signature_b64` is the scrutineer's valid co-signature (strict Ed25519) over the
/// record with SHA-256 `record_sha256_hex` (64 lower-case hex digits).
pub fn verify_cosignature(
    public_key_b64: &str,
    record_sha256_hex: &str,
    signature_b64: &str,
) -> bool {
    let hex_ok = record_sha256_hex.len() == 64
        && record_sha256_hex
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let Some(public) = parse_public_key(public_key_b64) else {
        return false;
    };
    let Ok(key) = VerifyingKey::from_bytes(&public) else {
        return false;
    };
    let Some(sig) = B64
        .decode(signature_b64)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
    else {
        return false;
    };
    hex_ok
        && key
            .verify_strict(
                &cosignature_message(record_sha256_hex),
                &Signature::from_bytes(&sig),
            )
            .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = "3b6f0c3c5c2b2f1e8f5b0f0e3e2d1c0b9a8f7e6d5c4b3a291807f6e5d4c3b2a1";

    #[test]
    fn key_files_round_trip_and_signatures_verify() {
        let key = ScrutineerKey::generate().unwrap();
        let text = key.to_key_file();
        let back = ScrutineerKey::from_key_file(&text).unwrap();
        assert_eq!(back.public_key(), key.public_key());
        assert!(!format!("{key:?}").contains(&B64.encode(key.signing.to_bytes())));
        let sig = key.cosign(RECORD);
        assert!(verify_cosignature(&key.public_key_b64(), RECORD, &sig));
        let other = RECORD.replace('3', "4");
        assert!(!verify_cosignature(&key.public_key_b64(), &other, &sig));
        assert!(!verify_cosignature(
            &key.public_key_b64(),
            &RECORD.to_uppercase(),
            &sig
        ));
        let stranger = ScrutineerKey::generate().unwrap();
        assert!(!verify_cosignature(
            &stranger.public_key_b64(),
            RECORD,
            &sig
        ));
        assert!(!verify_cosignature("not base64", RECORD, &sig));
        assert!(!verify_cosignature(&key.public_key_b64(), RECORD, "AAAA"));
    }

    #[test]
    fn bad_key_files_are_refused() {
        let key = ScrutineerKey::from_seed(&[9u8; 32]);
        let mut v: serde_json::Value = serde_json::from_str(&key.to_key_file()).unwrap();
        v["public_key"] = ScrutineerKey::from_seed(&[8u8; 32]).public_key_b64().into();
        assert_eq!(
            ScrutineerKey::from_key_file(&v.to_string()).unwrap_err(),
            KeyFileError::Mismatch
        );
        v["format"] = "other".into();
        assert_eq!(
            ScrutineerKey::from_key_file(&v.to_string()).unwrap_err(),
            KeyFileError::Format
        );
        assert_eq!(
            ScrutineerKey::from_key_file("{}").unwrap_err(),
            KeyFileError::Malformed
        );
        assert_eq!(parse_public_key(&B64.encode([0u8; 31])), None);
        assert!(parse_public_key(&key.public_key_b64()).is_some());
    }
}
