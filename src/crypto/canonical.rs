//! Canonical JSON: the JSON Canonicalization Scheme of RFC 8785 (JCS), restricted to
//! integers in the I-JSON safe range, as `docs/verification.md` section 1 prescribes.
//!
//! Every signed or hashed document goes through [`to_jcs`] or [`value_to_jcs`]: members
//! sorted by UTF-16 code units, no insignificant white space, shortest string escaping,
//! UTF-8. A number that is not an integer in `[-(2^53-1), 2^53-1]` is an error, never
//! silently rounded, so that every verifier (including JavaScript's) reads the same value.

use std::fmt::Write as _;

use serde_json::Value;

/// The largest integer every JSON implementation represents exactly (`2^53 - 1`,
/// RFC 7493 section 2.2, JavaScript's `Number.MAX_SAFE_INTEGER`).
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Why a document cannot be canonicalised.
#[derive(Debug, thiserror::Error)]
pub enum CanonicalError {
    /// The value could not be turned into JSON at all (e.g. a map with non-string keys).
    #[error("cannot serialise to JSON: {0}")]
    Serialize(#[from] serde_json::Error),
    /// A number that is a fraction, or an integer outside `[-(2^53-1), 2^53-1]`.
    #[error("number {number} at {path} is not an integer in [-(2^53-1), 2^53-1]")]
    NumberOutOfRange { path: String, number: String },
}

/// The RFC 8785 bytes of `value`, after checking that every number is a safe integer.
pub fn to_jcs<T: serde::Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CanonicalError> {
    let value = serde_json::to_value(value)?;
    value_to_jcs(&value)
}

/// The RFC 8785 bytes of a JSON value, after checking that every number is a safe integer.
pub fn value_to_jcs(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    check_numbers(value, &mut String::from("$"))?;
    Ok(serde_json_canonicalizer::to_vec(value)?)
}

/// Walk `value` and reject any number that is not a safe integer. `path` is a JSONPath-like
/// location used only in the error message.
fn check_numbers(value: &Value, path: &mut String) -> Result<(), CanonicalError> {
    match value {
        Value::Number(n) => {
            let safe = if let Some(i) = n.as_i64() {
                i.unsigned_abs() <= MAX_SAFE_INTEGER
            } else if let Some(u) = n.as_u64() {
                u <= MAX_SAFE_INTEGER
            } else {
                false // a float, even one with no fractional part like 1.0
            };
            if safe {
                Ok(())
            } else {
                Err(CanonicalError::NumberOutOfRange {
                    path: path.clone(),
                    number: n.to_string(),
                })
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                let _ = write!(path, "[{i}]"); // writing to a String cannot fail
                check_numbers(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Object(members) => {
            for (key, member) in members {
                let len = path.len();
                path.push('.');
                path.push_str(key);
                check_numbers(member, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Null | Value::Bool(_) | Value::String(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn jcs(v: &Value) -> String {
        String::from_utf8(value_to_jcs(v).unwrap()).unwrap()
    }

    #[test]
    fn sorts_keys_and_drops_white_space() {
        let v: Value = serde_json::from_str(
            r#"{ "z": 1, "a": { "y": [1, 2, {"c": true, "b": null}], "x": "x" }, "é": "é", "b": "三亿井" }"#,
        )
        .unwrap();
        assert_eq!(
            jcs(&v),
            r#"{"a":{"x":"x","y":[1,2,{"b":null,"c":true}]},"b":"三亿井","z":1,"é":"é"}"#
        );
    }

    #[test]
    fn sorts_by_utf16_code_units() {
        // RFC 8785 section 3.2.3: U+1F600 (surrogates D83D DE00) sorts before U+FB33.
        let v: Value = serde_json::from_str(
            r#"{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}"#,
        )
        .unwrap();
        let out = jcs(&v);
        let order: Vec<&str> = [
            "Carriage Return",
            "One",
            "Control",
            "Latin Small",
            "Euro Sign",
            "Emoji",
            "Hebrew",
        ]
        .to_vec();
        let positions: Vec<usize> = order.iter().map(|s| out.find(s).unwrap()).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{out}");
        // Chinese keys sort by code unit too: 张 (U+5F20) before 李 (U+674E).
        assert_eq!(jcs(&json!({"李": 2, "张": 1})), r#"{"张":1,"李":2}"#);
    }

    #[test]
    fn escapes_strings_as_rfc_8785() {
        // The string of RFC 8785 section 3.2.2's example (its numbers are not allowed here).
        let v: Value = serde_json::from_str(
            r#"{"string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/", "literals": [null, true, false]}"#,
        )
        .unwrap();
        assert_eq!(
            jcs(&v),
            "{\"literals\":[null,true,false],\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}"
        );
    }

    #[test]
    fn rejects_fractions_and_unsafe_integers() {
        assert!(value_to_jcs(&json!({"area": 89.5})).is_err());
        assert!(value_to_jcs(&json!([1.0])).is_err());
        let two_53: u64 = 1 << 53;
        assert!(value_to_jcs(&json!({"n": two_53})).is_err());
        assert!(value_to_jcs(&json!({"n": -(two_53 as i64)})).is_err());
        assert!(value_to_jcs(&json!({"n": u64::MAX})).is_err());
        let err = value_to_jcs(&json!({"a": [0, {"b": 0.25}]})).unwrap_err();
        assert!(err.to_string().contains("$.a[1].b"), "{err}");
        assert_eq!(
            jcs(&json!([MAX_SAFE_INTEGER, -(MAX_SAFE_INTEGER as i64), 0])),
            "[9007199254740991,-9007199254740991,0]"
        );
    }

    #[test]
    fn nested_arrays_and_structs() {
        #[derive(serde::Serialize)]
        struct Doc {
            rooms: Vec<Vec<&'static str>>,
            voter: u32,
        }
        let d = Doc {
            rooms: vec![vec!["1号楼 101"], vec![]],
            voter: 7,
        };
        assert_eq!(
            String::from_utf8(to_jcs(&d).unwrap()).unwrap(),
            r#"{"rooms":[["1号楼 101"],[]],"voter":7}"#
        );
        assert_eq!(to_jcs(&[[[1]]]).unwrap(), b"[[[1]]]");
    }
}
