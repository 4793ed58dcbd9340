//! Offset paging as every list answers it: a `page_size` (capped) and opaque page tokens that
//! carry the offset of the next or previous page.

use agentkit_core::{Error, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;

/// Largest page any list returns.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// `(offset, limit)` from `page_size` / `page_token`.
pub fn page_window(page_size: Option<u32>, page_token: &str, default_size: u32) -> Result<(u32, u32)> {
    let limit = match page_size {
        None | Some(0) => default_size,
        Some(n) => n.min(MAX_PAGE_SIZE),
    };
    if page_token.is_empty() {
        return Ok((0, limit));
    }
    let offset = B64
        .decode(page_token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("o:").and_then(|n| n.parse::<u32>().ok()))
        .ok_or_else(|| Error::invalid_field("page_token", "page_token is not a token returned by this API"))?;
    Ok((offset, limit))
}

/// `(next_page_token, prev_page_token)` for a window over `total` items.
pub fn page_tokens(offset: u32, limit: u32, total: u32) -> (String, String) {
    let token = |o: u32| B64.encode(format!("o:{o}"));
    let next = if offset.saturating_add(limit) < total { token(offset + limit) } else { String::new() };
    let prev = if offset > 0 { token(offset.saturating_sub(limit)) } else { String::new() };
    (next, prev)
}
