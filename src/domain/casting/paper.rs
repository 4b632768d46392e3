//! Scans and ballot paper codes: the hashes and codes organisers type in, normalised and
//! checked.

use super::Refusal;

/// A typed or pasted SHA-256 as stored: white space removed, lower case. Check it with
/// [`is_sha256_hex`].
pub fn normalise_sha256(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Exactly 64 lower-case hexadecimal digits.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Whether a scan hash may be entered: 64 lower-case hex digits, and not `used` already
/// for another paper. `same_paper` is the hash already recorded for the paper being corrected
/// or confirmed (a correction may keep its paper's scan); `used` answers whether a hash was
/// entered before (for any ballot paper or authorisation of the ballot).
pub fn check_scan(
    hash: &str,
    same_paper: Option<&str>,
    used: impl FnOnce(&str) -> bool,
) -> Result<(), Refusal> {
    if !is_sha256_hex(hash) {
        return Err(Refusal::ScanHash);
    }
    if same_paper != Some(hash) && used(hash) {
        return Err(Refusal::ScanReused);
    }
    Ok(())
}

/// The symbols of a ballot paper's one-time code: those of invitation codes
/// (`crate::crypto::tokens`), which cannot be mistaken for each other on paper.
pub const PAPER_CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Symbols in a paper code, shown in groups of four: `K7MQ-3XTA-9HWE`.
pub const PAPER_CODE_LEN: usize = 12;

/// The canonical form of a typed paper code (`K7MQ-3XTA-9HWE`), whatever the spacing,
/// dashes, case or full-width characters typed; refused unless it has exactly 12 symbols of
/// [`PAPER_CODE_ALPHABET`].
pub fn normalise_paper_code(input: &str) -> Result<String, Refusal> {
    let symbols: String = input
        .chars()
        .map(|c| match c {
            // Full-width forms (typed with a Chinese input method) to ASCII.
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let ok = symbols.len() == PAPER_CODE_LEN
        && symbols.bytes().all(|b| PAPER_CODE_ALPHABET.contains(&b));
    if !ok {
        return Err(Refusal::PaperCode);
    }
    Ok(format!(
        "{}-{}-{}",
        &symbols[0..4],
        &symbols[4..8],
        &symbols[8..12]
    ))
}
