//! Which step of an HTTP request failed, for messages a person can act on.
//!
//! reqwest says "error sending request for url (…)" whether the name did not resolve, the port
//! was closed, the certificate was wrong or the server hung up; the step is in its source chain.
//! The gateway names it for a provider ("the provider could not be reached: connection
//! refused") and the SDK for the gateway ("could not reach the gateway at …: TLS handshake
//! failed (…)"), from this one reading.

use std::error::Error as StdError;

/// The step of sending a request that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The host name did not resolve.
    Resolve,
    /// Nothing listens on the port (or a firewall answered for it).
    Refused,
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    /// No connection within the connect timeout.
    ConnectTimeout,
    /// Connected and sent, but no answer in time (the server may still be working on it).
    AnswerTimeout,
    /// Connected and sent, and the server closed or reset the connection before any answer:
    /// a restarting server, or a kept-alive connection it closed just as the request went out.
    LostBeforeAnswer,
    /// The answer began and was cut off (its body could not be read whole).
    AnswerCutOff,
    /// Anything else while connecting (unreachable network, …).
    Connect,
    /// Anything else.
    Other,
}

/// A failed send: its step, and the innermost cause's text (which never names the URL).
#[derive(Debug, Clone)]
pub struct Failure {
    /// The step that failed.
    pub step: Step,
    /// The innermost cause's text, e.g. "Connection refused (os error 111)".
    pub cause: String,
}

impl Failure {
    /// Reads the step from `e`'s source chain.
    pub fn of(e: &reqwest::Error) -> Failure {
        let cause = innermost(e).unwrap_or_else(|| text_without_url(e));
        let step = if e.is_timeout() {
            if e.is_connect() {
                Step::ConnectTimeout
            } else {
                Step::AnswerTimeout
            }
        } else if e.is_body() || e.is_decode() {
            // An answer arrived: the request reached the server, whatever broke after.
            Step::AnswerCutOff
        } else {
            chain_step(e, e.is_connect())
        };
        Failure { step, cause }
    }

    /// The failure as the end of a sentence about `whom` ("the provider", "the gateway at
    /// http://…"): `could not be reached: DNS lookup failed (…)`.
    pub fn describe(&self) -> String {
        let cause = &self.cause;
        match self.step {
            Step::Resolve => format!("could not be reached: DNS lookup failed ({cause})"),
            Step::Refused => "could not be reached: connection refused".to_string(),
            Step::Tls => format!("could not be reached: TLS handshake failed ({cause})"),
            Step::ConnectTimeout => "could not be reached: no connection in time".to_string(),
            Step::AnswerTimeout => "did not answer in time".to_string(),
            Step::LostBeforeAnswer => format!("closed the connection before answering ({cause})"),
            Step::AnswerCutOff => format!("cut its answer off ({cause})"),
            Step::Connect | Step::Other => format!("could not be reached: {cause}"),
        }
    }

    /// `<subject> <describe>`, where the subject names the request's URL without its query
    /// ("the gateway at http://host:port/api/v1/execute_tool").
    pub fn about(e: &reqwest::Error, whom: &str) -> String {
        let failure = Failure::of(e);
        match e.url() {
            Some(url) => {
                let mut shown = url.clone();
                shown.set_query(None);
                shown.set_fragment(None);
                let _ = shown.set_password(None);
                let _ = shown.set_username("");
                format!("{whom} at {shown} {}", failure.describe())
            }
            None => format!("{whom} {}", failure.describe()),
        }
    }
}

/// reqwest's text without the URL, for an error with no source.
fn text_without_url(e: &reqwest::Error) -> String {
    let text = e.to_string();
    match e.url() {
        Some(url) => text.replace(&format!(" for url ({url})"), ""),
        None => text,
    }
}

/// The step named somewhere in `e`'s source chain.
fn chain_step(e: &reqwest::Error, connecting: bool) -> Step {
    use std::io::ErrorKind as Io;
    let mut source: Option<&(dyn StdError + 'static)> = Some(e);
    let mut step = if connecting { Step::Connect } else { Step::Other };
    while let Some(err) = source {
        if let Some(h) = err.downcast_ref::<hyper::Error>() {
            if !connecting && (h.is_incomplete_message() || h.is_closed() || h.is_canceled()) {
                return Step::LostBeforeAnswer;
            }
        }
        if err.downcast_ref::<rustls::Error>().is_some() {
            return Step::Tls;
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            // An io::Error's `source` skips the error it wraps: look at that one here.
            if wraps_tls_error(io) {
                return Step::Tls;
            }
            // tokio-rustls's own words for a peer that hung up mid-handshake.
            if connecting && io.to_string().starts_with("tls handshake") {
                return Step::Tls;
            }
            match io.kind() {
                Io::ConnectionRefused => return Step::Refused,
                Io::ConnectionReset | Io::ConnectionAborted | Io::BrokenPipe | Io::UnexpectedEof if !connecting => {
                    return Step::LostBeforeAnswer;
                }
                _ => {}
            }
        }
        // hyper-util's connector names the step it failed in ("dns error", "tcp connect error").
        if connecting && err.to_string() == "dns error" {
            step = Step::Resolve;
        }
        source = err.source();
    }
    step
}

/// Whether an io::Error carries a rustls error (perhaps inside another io::Error).
fn wraps_tls_error(io: &std::io::Error) -> bool {
    match io.get_ref() {
        Some(inner) => {
            inner.is::<rustls::Error>() || inner.downcast_ref::<std::io::Error>().is_some_and(wraps_tls_error)
        }
        None => false,
    }
}

/// The innermost cause of `e` ("Connection refused (os error 111)", "connection closed before
/// message completed"); unlike reqwest's own message, it never names the URL.
fn innermost(e: &reqwest::Error) -> Option<String> {
    let mut cause = e.source();
    let mut innermost = None;
    while let Some(err) = cause {
        innermost = Some(err);
        cause = err.source();
    }
    innermost.map(ToString::to_string)
}
