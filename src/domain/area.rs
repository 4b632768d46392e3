//! Exclusive areas (专有部分面积): integers in hundredths of m², and the source priority of
//! SPC interpretation Art. 8: registry (不动产登记簿), else survey (实测), else contract (合同).

use serde::{Deserialize, Serialize};

/// An area in hundredths of a square metre (89.50 m² is 8950).
pub type AreaCenti = i64;

/// Largest area accepted for one unit: 100,000 m².
pub const MAX_UNIT_AREA: AreaCenti = 10_000_000;

/// Where an area figure comes from, in priority order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaSource {
    /// 不动产登记簿
    Registry,
    /// 测绘机构实测
    Survey,
    /// 房屋买卖合同
    Contract,
}

impl AreaSource {
    pub fn as_str(self) -> &'static str {
        match self {
            AreaSource::Registry => "registry",
            AreaSource::Survey => "survey",
            AreaSource::Contract => "contract",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "registry" => Some(AreaSource::Registry),
            "survey" => Some(AreaSource::Survey),
            "contract" => Some(AreaSource::Contract),
            _ => None,
        }
    }
}

/// The area figures known for one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AreaRecord {
    pub registry: Option<AreaCenti>,
    pub survey: Option<AreaCenti>,
    pub contract: Option<AreaCenti>,
}

impl AreaRecord {
    /// The area that counts and its source: the registered area if there is one, else the
    /// surveyed area, else the contract area (SPC interpretation Art. 8).
    pub fn effective(&self) -> Option<(AreaCenti, AreaSource)> {
        self.registry
            .map(|a| (a, AreaSource::Registry))
            .or(self.survey.map(|a| (a, AreaSource::Survey)))
            .or(self.contract.map(|a| (a, AreaSource::Contract)))
    }
}

/// Why an area text is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AreaError {
    Empty,
    /// `89,5`: a comma is not a decimal point here.
    Comma,
    NotANumber,
    /// More than two decimal places.
    TooPrecise,
    NotPositive,
    TooLarge,
}

impl AreaError {
    /// The Fluent message id explaining the error.
    pub fn message_id(self) -> &'static str {
        match self {
            AreaError::Empty => "area-error-empty",
            AreaError::Comma => "area-error-comma",
            AreaError::NotANumber => "area-error-not-a-number",
            AreaError::TooPrecise => "area-error-too-precise",
            AreaError::NotPositive => "area-error-not-positive",
            AreaError::TooLarge => "area-error-too-large",
        }
    }
}

/// Parse square metres written with a decimal point and at most two decimals (`89.5`, `89.50`,
/// `120`) into hundredths, exactly: no floating point is involved.
pub fn parse_area(text: &str) -> Result<AreaCenti, AreaError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(AreaError::Empty);
    }
    if t.contains(',') || t.contains('，') {
        return Err(AreaError::Comma);
    }
    if let Some(rest) = t.strip_prefix('-') {
        return match parse_area(rest) {
            Ok(_) | Err(AreaError::NotPositive) => Err(AreaError::NotPositive),
            Err(e) => Err(e),
        };
    }
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, f),
        None => (t, ""),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || (t.contains('.') && !digits(frac)) {
        return Err(AreaError::NotANumber);
    }
    if frac.len() > 2 {
        return Err(AreaError::TooPrecise);
    }
    if int.len() > 9 {
        return Err(AreaError::TooLarge);
    }
    let int: i64 = int.parse().map_err(|_| AreaError::NotANumber)?;
    let frac: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().map_err(|_| AreaError::NotANumber)? * 10,
        _ => frac.parse().map_err(|_| AreaError::NotANumber)?,
    };
    let centi = int * 100 + frac;
    if centi <= 0 {
        return Err(AreaError::NotPositive);
    }
    if centi > MAX_UNIT_AREA {
        return Err(AreaError::TooLarge);
    }
    Ok(centi)
}

/// `8950` → `89.50`.
pub fn format_area(centi: AreaCenti) -> String {
    let sign = if centi < 0 { "-" } else { "" };
    let abs = centi.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_exactly() {
        assert_eq!(parse_area("89.5"), Ok(8950));
        assert_eq!(parse_area("89.50"), Ok(8950));
        assert_eq!(parse_area(" 120 "), Ok(12000));
        assert_eq!(parse_area("0.01"), Ok(1));
        assert_eq!(parse_area("89,5"), Err(AreaError::Comma));
        assert_eq!(parse_area("89.505"), Err(AreaError::TooPrecise));
        assert_eq!(parse_area("0"), Err(AreaError::NotPositive));
        assert_eq!(parse_area("0.00"), Err(AreaError::NotPositive));
        assert_eq!(parse_area("-3"), Err(AreaError::NotPositive));
        assert_eq!(parse_area(""), Err(AreaError::Empty));
        assert_eq!(parse_area("abc"), Err(AreaError::NotANumber));
        assert_eq!(parse_area("1e3"), Err(AreaError::NotANumber));
        assert_eq!(parse_area(".5"), Err(AreaError::NotANumber));
        assert_eq!(parse_area("5."), Err(AreaError::NotANumber));
        assert_eq!(parse_area("100000.01"), Err(AreaError::TooLarge));
        assert_eq!(parse_area("100000"), Ok(MAX_UNIT_AREA));
    }

    #[test]
    fn source_priority() {
        let r = AreaRecord {
            registry: Some(1),
            survey: Some(2),
            contract: Some(3),
        };
        assert_eq!(r.effective(), Some((1, AreaSource::Registry)));
        let r = AreaRecord {
            registry: None,
            survey: Some(2),
            contract: Some(3),
        };
        assert_eq!(r.effective(), Some((2, AreaSource::Survey)));
        let r = AreaRecord {
            registry: None,
            survey: None,
            contract: Some(3),
        };
        assert_eq!(r.effective(), Some((3, AreaSource::Contract)));
        assert_eq!(AreaRecord::default().effective(), None);
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(centi in 1i64..=MAX_UNIT_AREA) {
            prop_assert_eq!(parse_area(&format_area(centi)), Ok(centi));
        }

        #[test]
        fn the_highest_known_source_wins(
            registry in proptest::option::of(1i64..1_000_000),
            survey in proptest::option::of(1i64..1_000_000),
            contract in proptest::option::of(1i64..1_000_000),
        ) {
            let r = AreaRecord { registry, survey, contract };
            let expected = registry.map(|a| (a, AreaSource::Registry))
                .or(survey.map(|a| (a, AreaSource::Survey)))
                .or(contract.map(|a| (a, AreaSource::Contract)));
            prop_assert_eq!(r.effective(), expected);
            // The chosen source is never one of lower priority than a known one.
            if let Some((_, src)) = r.effective() {
                if registry.is_some() { prop_assert_eq!(src, AreaSource::Registry); }
                else if survey.is_some() { prop_assert_eq!(src, AreaSource::Survey); }
            }
        }
    }
}
