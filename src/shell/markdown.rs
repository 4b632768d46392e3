//! Markdown written by organisers and residents, rendered to HTML and sanitised with ammonia
//! (no scripts, no event handlers, no styles, links marked `nofollow noopener`).

/// Render Markdown and sanitise the result; safe to insert unescaped into a page.
pub fn render(source: &str) -> String {
    use pulldown_cmark::{html, Options, Parser};
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut out = String::new();
    html::push_html(&mut out, Parser::new_ext(source, options));
    ammonia::Builder::default()
        .link_rel(Some("nofollow noopener noreferrer"))
        .url_schemes(["http", "https", "mailto"].into())
        // Images would load from other hosts; the pages load nothing from elsewhere.
        .rm_tags(["img"])
        .clean(&out)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn keeps_formatting_and_drops_scripts() {
        let html = render("**加装电梯**\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) <a href=\"https://a.cn\" onclick=\"x()\">a</a> ![i](https://evil/i.png)");
        assert!(html.contains("<strong>加装电梯</strong>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("onclick"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains("rel=\"nofollow noopener noreferrer\""),
            "{html}"
        );
    }
}
