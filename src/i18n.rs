//! Languages: zh-CN first, English second. Messages live in Fluent files under
//! `templates/locales/`, compiled into the binary.

use std::borrow::Cow;
use std::collections::HashMap;

use actix_web::HttpRequest;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};

fluent_templates::static_loader! {
    pub static LOCALES = {
        locales: "./templates/locales",
        fallback_language: "zh-CN",
        // Bidi isolation marks would show up as stray characters in plain-text contexts.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The languages the service speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    ZhCn,
    En,
}

pub const LANG_COOKIE: &str = "lang";

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::ZhCn, Lang::En];

    /// BCP 47 tag, as used in `lang` attributes and `?lang=`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The language's own name, for the switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::ZhCn => "中文",
            Lang::En => "English",
        }
    }

    /// Accepts `zh-CN`, `zh`, `zh-Hans`, `en`, `en-GB` and the like.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Lang::ZhCn),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::ZhCn => Lang::En,
            Lang::En => Lang::ZhCn,
        }
    }

    fn langid(self) -> LanguageIdentifier {
        match self {
            Lang::ZhCn => fluent_templates::langid!("zh-CN"),
            Lang::En => fluent_templates::langid!("en"),
        }
    }

    /// The message `id` in this language.
    pub fn t(self, id: &str) -> String {
        LOCALES.lookup(&self.langid(), id)
    }

    /// The message `id` with named arguments.
    pub fn t_args(self, id: &str, args: &[(&str, String)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(k, v)| (Cow::Owned((*k).to_owned()), FluentValue::from(v.as_str())))
            .collect();
        LOCALES.lookup_with_args(&self.langid(), id, &map)
    }
}

/// The language of a request: `?lang=` first, then the `lang` cookie (the user's saved choice),
/// then the browser's `Accept-Language`, then Chinese.
pub fn negotiate(req: &HttpRequest) -> Lang {
    if let Some(lang) = query_lang(req.query_string()) {
        return lang;
    }
    if let Some(lang) = req
        .cookie(LANG_COOKIE)
        .and_then(|c| Lang::from_tag(c.value()))
    {
        return lang;
    }
    req.headers()
        .get(actix_web::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(from_accept_language)
        .unwrap_or_default()
}

/// The `lang` parameter of a query string, if it names a language we speak.
pub fn query_lang(query: &str) -> Option<Lang> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| Lang::from_tag(v))
}

/// The best of our languages in an `Accept-Language` header, honouring q-values.
pub fn from_accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(u32, Lang)> = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let Some(lang) = parts.next().and_then(Lang::from_tag) else {
            continue;
        };
        // q in thousandths, integers only.
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .map(parse_q)
            .unwrap_or(1000);
        if q > 0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l)
}

fn parse_q(s: &str) -> u32 {
    let s = s.trim();
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let int: u32 = match int {
        "1" => return 1000,
        "0" | "" => 0,
        _ => return 0,
    };
    let digits: String = frac.chars().take(3).collect();
    let frac: u32 = format!("{digits:0<3}").parse().unwrap_or(0);
    int * 1000 + frac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags() {
        assert_eq!(Lang::from_tag("zh-CN"), Some(Lang::ZhCn));
        assert_eq!(Lang::from_tag("zh_Hans"), Some(Lang::ZhCn));
        assert_eq!(Lang::from_tag("EN-gb"), Some(Lang::En));
        assert_eq!(Lang::from_tag("fr"), None);
    }

    #[test]
    fn accept_language_respects_q() {
        assert_eq!(from_accept_language("en-US,en;q=0.9"), Some(Lang::En));
        assert_eq!(
            from_accept_language("fr, en;q=0.5, zh;q=0.8"),
            Some(Lang::ZhCn)
        );
        assert_eq!(from_accept_language("zh;q=0, en;q=0.1"), Some(Lang::En));
        assert_eq!(from_accept_language("de, fr"), None);
    }

    #[test]
    fn query_lang_param() {
        assert_eq!(query_lang("a=1&lang=en"), Some(Lang::En));
        assert_eq!(query_lang("lang=xx"), None);
        assert_eq!(query_lang(""), None);
    }

    #[test]
    fn lookups_work_in_both_languages() {
        assert_eq!(Lang::ZhCn.t("site-name"), "议事亭");
        assert_eq!(Lang::En.t("site-name"), "Yishiting");
    }
}
