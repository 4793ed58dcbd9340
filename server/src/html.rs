//! The small HTML pages that end a browser flow (an authorization link, an MCP client's
//! sign-in), for every entry point that needs one.

use axum::http::StatusCode;
use axum::response::Html;

/// A small HTML page: the end of a browser flow.
pub fn page(status: StatusCode, title: &str, text: &str) -> (StatusCode, Html<String>) {
    (
        status,
        Html(format!(
            "<!doctype html><meta charset=utf-8><title>{0}</title><h1>{0}</h1><p>{1}</p>",
            html_escape(title),
            html_escape(text)
        )),
    )
}

pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}
