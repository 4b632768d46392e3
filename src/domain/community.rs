//! Communities (物业管理区域): naming rules.

/// Why a community's short name (slug) is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlugError {
    Empty,
    TooLong,
    BadCharacter,
    BadEdge,
}

pub const SLUG_MAX_LEN: usize = 40;

/// A slug is 1–40 characters of lowercase ASCII letters, digits and inner hyphens,
/// e.g. `sanyijing` or `yuhu-2`; it appears in addresses, so it stays plain.
pub fn validate_slug(slug: &str) -> Result<(), SlugError> {
    if slug.is_empty() {
        return Err(SlugError::Empty);
    }
    if slug.len() > SLUG_MAX_LEN {
        return Err(SlugError::TooLong);
    }
    if !slug
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(SlugError::BadCharacter);
    }
    if slug.starts_with('-') || slug.ends_with('-') {
        return Err(SlugError::BadEdge);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(validate_slug("sanyijing"), Ok(()));
        assert_eq!(validate_slug("yuhu-2"), Ok(()));
        assert_eq!(validate_slug(""), Err(SlugError::Empty));
        assert_eq!(validate_slug("San"), Err(SlugError::BadCharacter));
        assert_eq!(validate_slug("三义井"), Err(SlugError::BadCharacter));
        assert_eq!(validate_slug("-a"), Err(SlugError::BadEdge));
        assert_eq!(validate_slug(&"a".repeat(41)), Err(SlugError::TooLong));
    }
}
