//! C2SP signed notes (<https://c2sp.org/signed-note>) and transparency-log checkpoints
//! (<https://c2sp.org/tlog-checkpoint>), Ed25519 only (signature type `0x01`).
//!
//! The format is byte-compatible with Go's `golang.org/x/mod/sumdb/note`, so standard
//! tooling and witnesses can check yishiting's checkpoints (`docs/verification.md`
//! sections 2 and 6).

use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::tokens::hex;

/// The signed-note signature type byte of Ed25519.
pub const SIG_TYPE_ED25519: u8 = 0x01;
/// The prefix of a signature line: U+2014 EM DASH, space.
const SIG_PREFIX: &str = "\u{2014} ";
/// At most this many signature lines are read (C2SP requires at least 16; Go allows 100).
const MAX_SIGNATURES: usize = 100;

/// Why a note, verifier key or checkpoint was refused. The messages hold no key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("malformed note")]
    Malformed,
    #[error("malformed verifier key")]
    MalformedVerifierKey,
    #[error("verifier key ID does not match its name and public key")]
    VerifierKeyIdMismatch,
    #[error("unsupported signature type {0:#04x}")]
    UnsupportedSignatureType(u8),
    #[error("invalid key name")]
    InvalidName,
    #[error("invalid signature for key {0}")]
    InvalidSignature(String),
    #[error("note has no signature by key {0}")]
    NoSignature(String),
    #[error("malformed checkpoint: {0}")]
    MalformedCheckpoint(&'static str),
}

/// A key name is valid when non-empty, without Unicode white space and without `+`
/// (C2SP signed-note, "Key names").
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains('+') && !name.chars().any(char::is_whitespace)
}

/// The key ID: the first 4 bytes of `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)`.
pub fn key_id(name: &str, public_key: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', SIG_TYPE_ED25519]);
    h.update(public_key);
    let digest = h.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// The verifier key `<name>+<key ID hex>+<base64(0x01 ‖ public key)>`, as Go's
/// `note.NewEd25519VerifierKey` writes it.
pub fn verifier_key(name: &str, public_key: &[u8; 32]) -> String {
    let mut typed = [0u8; 33];
    typed[0] = SIG_TYPE_ED25519;
    typed[1..].copy_from_slice(public_key);
    format!(
        "{name}+{}+{}",
        hex(&key_id(name, public_key)),
        B64.encode(typed)
    )
}

/// Parse a verifier key into its name, key ID and Ed25519 public key, checking that the
/// key ID matches the name and key.
pub fn parse_verifier_key(s: &str) -> Result<(String, [u8; 4], [u8; 32]), NoteError> {
    let (name, rest) = s.split_once('+').ok_or(NoteError::MalformedVerifierKey)?;
    let (id_hex, key_b64) = rest
        .split_once('+')
        .ok_or(NoteError::MalformedVerifierKey)?;
    if !is_valid_name(name) {
        return Err(NoteError::InvalidName);
    }
    let id = decode_key_id_hex(id_hex).ok_or(NoteError::MalformedVerifierKey)?;
    let typed = B64
        .decode(key_b64)
        .map_err(|_| NoteError::MalformedVerifierKey)?;
    let (&sig_type, key) = typed.split_first().ok_or(NoteError::MalformedVerifierKey)?;
    if sig_type != SIG_TYPE_ED25519 {
        return Err(NoteError::UnsupportedSignatureType(sig_type));
    }
    let key: [u8; 32] = key
        .try_into()
        .map_err(|_| NoteError::MalformedVerifierKey)?;
    if key_id(name, &key) != id {
        return Err(NoteError::VerifierKeyIdMismatch);
    }
    Ok((name.to_owned(), id, key))
}

/// Exactly 8 hexadecimal digits (either case, as Go's `strconv.ParseUint` accepts).
fn decode_key_id_hex(s: &str) -> Option<[u8; 4]> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok().map(u32::to_be_bytes)
}

/// The checkpoint note text: origin, tree size and base64 root, each ending in `\n`.
pub fn checkpoint_body(origin: &str, size: u64, root: &[u8; 32]) -> String {
    format!("{origin}\n{size}\n{}\n", B64.encode(root))
}

/// Sign `body` as a signed note with one Ed25519 signature line:
/// `body ‖ "\n" ‖ "— " ‖ name ‖ " " ‖ base64(key ID ‖ signature) ‖ "\n"`.
///
/// `body` must be non-empty, end in `\n` and be a valid note text (no control characters
/// other than newline), and `name` must be a valid key name.
pub fn sign_note(body: &str, name: &str, key: &SigningKey) -> Result<String, NoteError> {
    if !body.ends_with('\n') || has_forbidden_chars(body) {
        return Err(NoteError::Malformed);
    }
    if !is_valid_name(name) {
        return Err(NoteError::InvalidName);
    }
    let public = key.verifying_key().to_bytes();
    let signature = key.sign(body.as_bytes()).to_bytes();
    let mut blob = Vec::with_capacity(4 + 64);
    blob.extend_from_slice(&key_id(name, &public));
    blob.extend_from_slice(&signature);
    Ok(format!("{body}\n{SIG_PREFIX}{name} {}\n", B64.encode(blob)))
}

/// ASCII control characters other than newline are not allowed anywhere in a note.
fn has_forbidden_chars(s: &str) -> bool {
    s.chars().any(|c| c < ' ' && c != '\n')
}

/// Open a signed note: check its syntax, find the signature by the key `name` /
/// `public_key`, verify it and return the note text (ending in `\n`).
///
/// As C2SP signed-note prescribes, the text is separated from the signatures by the last
/// blank line; signatures by other keys (another name or another key ID) are ignored; a
/// signature by this key that does not verify rejects the whole note; and a note with no
/// verified signature by this key is rejected.
pub fn open_note(note: &str, name: &str, public_key: &[u8; 32]) -> Result<String, NoteError> {
    if has_forbidden_chars(note) {
        return Err(NoteError::Malformed);
    }
    let split = note.rfind("\n\n").ok_or(NoteError::Malformed)?;
    let (text, sigs) = (&note[..=split], &note[split + 2..]);
    if sigs.is_empty() || !sigs.ends_with('\n') {
        return Err(NoteError::Malformed);
    }
    let want_id = key_id(name, public_key);
    let key_label = format!("{name}+{}", hex(&want_id));
    let verifying_key = VerifyingKey::from_bytes(public_key)
        .map_err(|_| NoteError::InvalidSignature(key_label.clone()))?;
    let mut verified = false;
    for (count, line) in sigs[..sigs.len() - 1].split('\n').enumerate() {
        if count >= MAX_SIGNATURES {
            return Err(NoteError::Malformed);
        }
        let rest = line.strip_prefix(SIG_PREFIX).ok_or(NoteError::Malformed)?;
        let (sig_name, b64) = rest.split_once(' ').ok_or(NoteError::Malformed)?;
        let blob = B64.decode(b64).map_err(|_| NoteError::Malformed)?;
        if !is_valid_name(sig_name) || blob.len() < 5 {
            return Err(NoteError::Malformed);
        }
        if sig_name != name || blob[..4] != want_id {
            continue; // another key's signature, e.g. a witness cosignature
        }
        let signature = <[u8; 64]>::try_from(&blob[4..])
            .map_err(|_| NoteError::InvalidSignature(key_label.clone()))?;
        verifying_key
            .verify_strict(text.as_bytes(), &Signature::from_bytes(&signature))
            .map_err(|_| NoteError::InvalidSignature(key_label.clone()))?;
        verified = true;
    }
    if verified {
        Ok(text.to_owned())
    } else {
        Err(NoteError::NoSignature(key_label))
    }
}

/// A parsed checkpoint note text (C2SP tlog-checkpoint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: [u8; 32],
}

/// Parse a checkpoint note text: at least three lines (origin, decimal tree size without
/// leading zeros, base64 of the 32-byte root). Extension lines after the third must be
/// non-empty; they are accepted and ignored.
pub fn parse_checkpoint_body(body: &str) -> Result<Checkpoint, NoteError> {
    let lines = body
        .strip_suffix('\n')
        .ok_or(NoteError::MalformedCheckpoint("text must end in a newline"))?;
    let mut lines = lines.split('\n');
    let origin = lines.next().unwrap_or_default();
    if origin.is_empty() {
        return Err(NoteError::MalformedCheckpoint("empty origin"));
    }
    let size = lines
        .next()
        .ok_or(NoteError::MalformedCheckpoint("missing tree size"))?;
    let size_ok = !size.is_empty()
        && size.bytes().all(|b| b.is_ascii_digit())
        && (size == "0" || !size.starts_with('0'));
    let size = size_ok
        .then(|| size.parse::<u64>().ok())
        .flatten()
        .ok_or(NoteError::MalformedCheckpoint("bad tree size"))?;
    let root = lines
        .next()
        .ok_or(NoteError::MalformedCheckpoint("missing root hash"))?;
    let root: [u8; 32] = B64
        .decode(root)
        .ok()
        .and_then(|r| r.try_into().ok())
        .ok_or(NoteError::MalformedCheckpoint(
            "root must be base64 of 32 bytes",
        ))?;
    if lines.any(str::is_empty) {
        return Err(NoteError::MalformedCheckpoint("empty extension line"));
    }
    Ok(Checkpoint {
        origin: origin.to_owned(),
        size,
        root,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // golang.org/x/mod/sumdb/note, note_test.go (TestNewVerifier, TestSign, TestOpen).
    const SKEY: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                        then you don't know what your problem is.\n";
    const PETER_SIG: &str = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    const ENOCH_SIG: &str = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

    fn peter() -> (SigningKey, [u8; 32]) {
        // PRIVATE+KEY+<name>+<id>+<base64>; the base64 may itself contain '+'.
        let b64 = SKEY.splitn(5, '+').nth(4).unwrap();
        let typed = B64.decode(b64).unwrap();
        assert_eq!(typed[0], SIG_TYPE_ED25519);
        let seed: [u8; 32] = typed[1..].try_into().unwrap();
        let key = SigningKey::from_bytes(&seed);
        let public = key.verifying_key().to_bytes();
        (key, public)
    }

    #[test]
    fn go_known_answer() {
        let (key, public) = peter();
        assert_eq!(key_id("PeterNeumann", &public), [0xc7, 0x4f, 0x20, 0xa3]);
        assert_eq!(verifier_key("PeterNeumann", &public), VKEY);
        let (name, id, parsed) = parse_verifier_key(VKEY).unwrap();
        assert_eq!(
            (name.as_str(), id, parsed),
            ("PeterNeumann", [0xc7, 0x4f, 0x20, 0xa3], public)
        );

        let signed = sign_note(TEXT, "PeterNeumann", &key).unwrap();
        assert_eq!(signed, format!("{TEXT}\n{PETER_SIG}"));
        assert_eq!(open_note(&signed, "PeterNeumann", &public).unwrap(), TEXT);
    }

    #[test]
    fn open_rejects_tampering_and_wrong_keys() {
        let (_, public) = peter();
        let note = format!("{TEXT}\n{PETER_SIG}");
        let tampered = note.replace("cryptography", "cryptographY");
        assert!(matches!(
            open_note(&tampered, "PeterNeumann", &public),
            Err(NoteError::InvalidSignature(_))
        ));
        // One byte of the signature changed (inside the base64, keeping it valid).
        let bad_sig = note.replace("x08go/ZJ", "x08go/ZK");
        assert!(matches!(
            open_note(&bad_sig, "PeterNeumann", &public),
            Err(NoteError::InvalidSignature(_))
        ));
        // A wrong name: the signature is someone else's, so there is none by our key.
        assert_eq!(
            open_note(&note, "PeterNeuman", &public),
            Err(NoteError::NoSignature(format!(
                "PeterNeuman+{}",
                hex(&key_id("PeterNeuman", &public))
            )))
        );
        let other = SigningKey::from_bytes(&[7u8; 32])
            .verifying_key()
            .to_bytes();
        assert!(matches!(
            open_note(&note, "PeterNeumann", &other),
            Err(NoteError::NoSignature(_))
        ));
    }

    #[test]
    fn open_ignores_other_signatures_and_checks_syntax() {
        let (_, public) = peter();
        let two = format!("{TEXT}\n{ENOCH_SIG}{PETER_SIG}");
        assert_eq!(open_note(&two, "PeterNeumann", &public).unwrap(), TEXT);
        let only_enoch = format!("{TEXT}\n{ENOCH_SIG}");
        assert!(matches!(
            open_note(&only_enoch, "PeterNeumann", &public),
            Err(NoteError::NoSignature(_))
        ));
        // Go's malformed-message table.
        let bad = [
            TEXT.to_owned(),
            format!("{TEXT}\n"),
            format!("{TEXT}\n{}", &PETER_SIG[..PETER_SIG.len() - 1]),
            format!("\x01{TEXT}\n{PETER_SIG}"),
            format!("{TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="),
            format!("{TEXT}\n{PETER_SIG}Unexpected line.\n"),
            format!("{TEXT}\n{}", PETER_SIG.repeat(101)),
        ];
        for msg in &bad {
            assert_eq!(
                open_note(msg, "PeterNeumann", &public),
                Err(NoteError::Malformed),
                "{msg}"
            );
        }
        // Blank lines inside the text are fine: the last blank line separates.
        let (key, public) = peter();
        let text = "a\n\nb\n";
        let signed = sign_note(text, "PeterNeumann", &key).unwrap();
        assert_eq!(open_note(&signed, "PeterNeumann", &public).unwrap(), text);
        assert_eq!(
            sign_note("no newline", "PeterNeumann", &key),
            Err(NoteError::Malformed)
        );
        assert_eq!(
            sign_note(TEXT, "Peter Neumann", &key),
            Err(NoteError::InvalidName)
        );
    }

    #[test]
    fn verifier_key_manglings_are_refused() {
        assert!(parse_verifier_key(VKEY).is_ok());
        let b = VKEY.as_bytes();
        for i in 0..b.len() {
            let mut m = b.to_vec();
            m[i] = m[i].wrapping_add(1);
            if let Ok(s) = std::str::from_utf8(&m) {
                assert!(parse_verifier_key(s).is_err(), "{s}");
            }
        }
        for cut in 1..VKEY.len() {
            assert!(parse_verifier_key(&VKEY[..cut]).is_err());
            assert!(parse_verifier_key(&VKEY[cut..]).is_err());
        }
        // Unknown algorithm, with an adjusted key hash (from Go's TestNewVerifier).
        assert!(parse_verifier_key(
            "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        )
        .is_err());
    }

    #[test]
    fn checkpoint_round_trip() {
        let key = SigningKey::from_bytes(&[42u8; 32]);
        let public = key.verifying_key().to_bytes();
        let origin = "yishiting.localhost/sanyijing/ballots/3";
        let root: [u8; 32] = Sha256::digest(b"").into();
        let body = checkpoint_body(origin, 42, &root);
        assert_eq!(
            body,
            format!("{origin}\n42\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n")
        );
        let note = sign_note(&body, origin, &key).unwrap();
        let opened = open_note(&note, origin, &public).unwrap();
        let cp = parse_checkpoint_body(&opened).unwrap();
        assert_eq!(
            cp,
            Checkpoint {
                origin: origin.to_owned(),
                size: 42,
                root
            }
        );
        let empty = parse_checkpoint_body(&checkpoint_body(origin, 0, &root)).unwrap();
        assert_eq!(empty.size, 0);
        // Extension lines are accepted and ignored.
        assert_eq!(
            parse_checkpoint_body(&format!("{body}ext\n")).unwrap().size,
            42
        );
    }

    #[test]
    fn checkpoint_parse_errors() {
        let r = B64.encode([1u8; 32]);
        let bad = [
            format!("o\n042\n{r}\n"),
            format!("o\n00\n{r}\n"),
            format!("o\n+4\n{r}\n"),
            format!("o\n18446744073709551616\n{r}\n"),
            format!("o\n4\n{r}"),
            "o\n4\n!!notbase64\n".to_owned(),
            format!("o\n4\n{}\n", B64.encode([1u8; 31])),
            format!("o\n4\n{}\n", B64.encode([1u8; 33])),
            "o\n4\n".to_owned(),
            "o\n".to_owned(),
            String::new(),
            format!("\n4\n{r}\n"),
            format!("o\n4\n{r}\n\next\n"),
        ];
        for b in &bad {
            assert!(parse_checkpoint_body(b).is_err(), "{b:?}");
        }
    }
}
