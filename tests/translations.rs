//! Every message exists in both languages, and every error code has a title.

use std::collections::BTreeSet;
use std::path::Path;

fn keys(lang: &str) -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("templates/locales")
        .join(lang)
        .join("main.ftl");
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
        .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim().to_owned()))
        .collect()
}

#[test]
fn both_languages_have_the_same_messages() {
    let zh = keys("zh-CN");
    let en = keys("en");
    assert!(zh.len() > 50);
    let only_zh: Vec<_> = zh.difference(&en).collect();
    let only_en: Vec<_> = en.difference(&zh).collect();
    assert!(
        only_zh.is_empty() && only_en.is_empty(),
        "zh only: {only_zh:?}; en only: {only_en:?}"
    );
}

#[test]
fn every_message_used_in_templates_and_code_exists() {
    let zh = keys("zh-CN");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut used = BTreeSet::new();
    let mut stack = vec![root.join("templates"), root.join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            // t(key="…") in templates, Msg::new("…") and .t("…") in code.
            for marker in ["key=\"", "Msg::new(\"", ".t(\""] {
                for piece in text.split(marker).skip(1) {
                    if let Some(key) = piece.split('"').next() {
                        let is_id = !key.is_empty()
                            && key
                                .bytes()
                                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
                        if is_id {
                            used.insert(key.to_owned());
                        }
                    }
                }
            }
        }
    }
    // `t(key="role-" ~ r.role)` uses a prefix: some message must start with it.
    let missing: Vec<_> = used
        .iter()
        .filter(|k| {
            if k.ends_with('-') {
                !zh.iter().any(|z| z.starts_with(k.as_str()))
            } else {
                !zh.contains(*k)
            }
        })
        .collect();
    assert!(
        missing.is_empty(),
        "messages used but not defined: {missing:?}"
    );
}

#[test]
fn every_problem_code_has_a_title() {
    let zh = keys("zh-CN");
    for code in [
        "not-found",
        "bad-request",
        "validation",
        "unauthorized",
        "forbidden",
        "conflict",
        "rate-limited",
        "unavailable",
        "internal",
        "method-not-allowed",
        "not-acceptable",
        "request-timeout",
        "length-required",
        "payload-too-large",
        "uri-too-long",
        "unsupported-media-type",
        "headers-too-large",
    ] {
        assert!(
            zh.contains(&format!("problem-{code}")),
            "no title for {code}"
        );
    }
}
