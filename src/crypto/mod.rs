//! Keys, signatures, hashes and randomness. Private key material never leaves this module
//! in a printable form.

pub mod ballot_key;
pub mod canonical;
pub mod note;
pub mod passwords;
pub mod scrutineer_key;
pub mod tokens;

/// Fill `buf` from the operating system's secure random source.
pub fn fill_random(buf: &mut [u8]) -> anyhow::Result<()> {
    getrandom::fill(buf).map_err(|e| anyhow::anyhow!("no secure randomness available: {e}"))
}

/// Standard base64 with padding (checkpoints, signatures, the RFC 6962-style API).
pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A random token of `n` bytes, hex-encoded.
pub fn random_hex(n: usize) -> anyhow::Result<String> {
    let mut bytes = vec![0u8; n];
    fill_random(&mut bytes)?;
    Ok(tokens::hex(&bytes))
}

#[cfg(test)]
mod tests {
    #[test]
    fn random_tokens_differ() {
        let a = super::random_hex(16).unwrap();
        let b = super::random_hex(16).unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
