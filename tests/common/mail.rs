//! Reading the messages the file transport writes (`.eml`), for the notification tests.
#![allow(dead_code)]

use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine as _;

/// The messages in a mail directory: (To, decoded Subject, decoded body).
pub fn messages(dir: &Path) -> Vec<(String, String, String)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in entries {
        let path = e.unwrap().path();
        if path.extension().and_then(|x| x.to_str()) != Some("eml") {
            continue;
        }
        let raw = std::fs::read_to_string(&path).unwrap();
        let raw = raw.replace("\r\n", "\n");
        let (head, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
        let head = head.replace("\n ", " ").replace("\n\t", " ");
        let header = |name: &str| {
            head.lines()
                .find_map(|l| l.strip_prefix(&format!("{name}: ")))
                .unwrap_or("")
                .to_owned()
        };
        let body = if header("Content-Transfer-Encoding") == "base64" {
            let compact: String = body.split_whitespace().collect();
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .unwrap(),
            )
            .unwrap()
        } else if header("Content-Transfer-Encoding") == "quoted-printable" {
            decode_qp(body)
        } else {
            body.to_owned()
        };
        out.push((header("To"), decode_words(&header("Subject")), body));
    }
    out
}

/// Decode a quoted-printable body.
fn decode_qp(s: &str) -> String {
    let s = s.replace("=\n", "");
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
            if let Ok(v) = u8::from_str_radix(hex, 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// Decode RFC 2047 encoded words (`=?utf-8?b?...?=`), as lettre writes non-ASCII subjects.
fn decode_words(s: &str) -> String {
    let mut out = String::new();
    for word in s.split_whitespace() {
        let lower = word.to_ascii_lowercase();
        if lower.starts_with("=?utf-8?b?") && word.ends_with("?=") {
            let b = &word[10..word.len() - 2];
            out.push_str(
                &String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b).unwrap())
                    .unwrap(),
            );
        } else {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    out
}

/// Wait (up to 15 s) until `pred` holds for the mail directory's messages.
pub async fn wait_for_mail(
    dir: &Path,
    pred: impl Fn(&[(String, String, String)]) -> bool,
) -> Vec<(String, String, String)> {
    let start = Instant::now();
    loop {
        let m = messages(dir);
        if pred(&m) || start.elapsed() > Duration::from_secs(15) {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
