//! Egress policy: the one door through which the gateway reaches providers (tool calls, the
//! proxy, token / revoke / lookup endpoints, service-account token URIs, SQL hosts).
//!
//! API clients choose where some of those calls go (custom provider URLs, `api_config` fields,
//! key files' `token_uri`), so every destination is checked here: by default loopback,
//! link-local, private, CGNAT, multicast, unspecified and the gateway's own listen addresses are
//! refused, whatever the spelling (`127.1`, `2130706433`, `[::ffff:127.0.0.1]`). The check runs on
//! the URL before sending and again on every address DNS returns at connect time (so a name that
//! rebinds to an internal address is refused too), and on every redirect hop. Operators open
//! internal destinations with `[egress] allow = ["10.2.0.0/16", "127.0.0.1:9100", "intranet.example.com"]`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;
use serde::Deserialize;

use agentkit_core::transport::{Failure, Step};
use agentkit_core::{Error, ErrorKind, Result};

/// The `[egress]` section of the config file.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct EgressConfig {
    /// Internal destinations providers may live at: CIDRs or IPs (`10.2.0.0/16`, `127.0.0.1`),
    /// host names (`intranet.example.com`, `*.corp.example`), each with an optional `:port`.
    pub allow: Vec<String>,
}

/// One entry of `[egress] allow`.
#[derive(Debug, Clone, PartialEq)]
enum AllowRule {
    Network { net: IpNet, port: Option<u16> },
    Host { name: String, port: Option<u16> },
}

impl AllowRule {
    fn parse(text: &str) -> Result<AllowRule> {
        let bad = || {
            Error::invalid_field(
                "egress.allow",
                format!(
                    "egress.allow entry {text:?} is not a CIDR, an IP or a host name (each with an optional :port)"
                ),
            )
        };
        let text = text.trim();
        if let Ok(net) = IpNet::from_str(text) {
            return Ok(AllowRule::Network { net, port: None });
        }
        if let Ok(ip) = IpAddr::from_str(text) {
            return Ok(AllowRule::Network { net: IpNet::from(canonical(ip)), port: None });
        }
        if let Ok(addr) = SocketAddr::from_str(text) {
            return Ok(AllowRule::Network { net: IpNet::from(canonical(addr.ip())), port: Some(addr.port()) });
        }
        let (name, port) = match text.rsplit_once(':') {
            Some((name, port)) => (name, Some(port.parse::<u16>().map_err(|_| bad())?)),
            None => (text, None),
        };
        let valid =
            |label: &str| !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        let labels = name.strip_prefix("*.").unwrap_or(name);
        if labels.split('.').all(valid) {
            Ok(AllowRule::Host { name: name.to_ascii_lowercase(), port })
        } else {
            Err(bad())
        }
    }

    fn port_matches(rule_port: Option<u16>, port: Option<u16>) -> bool {
        match rule_port {
            None => true,
            Some(p) => port == Some(p),
        }
    }

    fn allows_host(&self, host: &str, port: Option<u16>) -> bool {
        let AllowRule::Host { name, port: rule_port } = self else { return false };
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let name_matches = match name.strip_prefix("*.") {
            Some(suffix) => {
                host.len() > suffix.len() && host.ends_with(suffix) && host[..host.len() - suffix.len()].ends_with('.')
            }
            None => host == *name,
        };
        name_matches && Self::port_matches(*rule_port, port)
    }

    fn allows_ip(&self, ip: IpAddr, port: Option<u16>) -> bool {
        let AllowRule::Network { net, port: rule_port } = self else { return false };
        net.contains(&ip) && Self::port_matches(*rule_port, port)
    }
}

/// Why a destination was refused.
#[derive(Debug, Clone)]
pub struct EgressRefused {
    pub host: String,
    pub reason: &'static str,
}

impl std::fmt::Display for EgressRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "egress to {} refused: {} (allow it in the gateway's [egress] allow list)", self.host, self.reason)
    }
}

impl std::error::Error for EgressRefused {}

impl From<EgressRefused> for Error {
    fn from(r: EgressRefused) -> Error {
        crate::telemetry::metrics::egress_refusal(r.reason);
        crate::telemetry::requests::note_audit(crate::telemetry::requests::AuditNote {
            action: "egress.refused",
            target: r.host.clone(),
            outcome: "refused",
            details: serde_json::json!({"reason": r.reason}),
        });
        Error::new(ErrorKind::Forbidden, r.to_string()).with_error_code("EGRESS_REFUSED")
    }
}

/// IPv4-mapped and IPv4-compatible IPv6 addresses as the IPv4 address they carry.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// Why an address is internal, or `None` for a public one.
fn internal_reason(ip: IpAddr) -> Option<&'static str> {
    match canonical(ip) {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            if v6.is_loopback() {
                Some("loopback address")
            } else if v6.is_unspecified() {
                Some("unspecified address")
            } else if v6.is_multicast() {
                Some("multicast address")
            } else if segments[0] & 0xffc0 == 0xfe80 {
                Some("link-local address")
            } else if segments[0] & 0xfe00 == 0xfc00 {
                Some("private (unique local) address")
            } else if segments[..6] == [0, 0, 0, 0, 0, 0] {
                // IPv4-compatible (::a.b.c.d), deprecated: judge the IPv4 address it carries.
                internal_v4(Ipv4Addr::from(((segments[6] as u32) << 16) | segments[7] as u32))
                    .or(Some("IPv4-compatible IPv6 address"))
            } else if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                // NAT64: the IPv4 address it translates to decides.
                internal_v4(Ipv4Addr::from(((segments[6] as u32) << 16) | segments[7] as u32))
            } else if segments[0] == 0x2002 {
                // 6to4: the IPv4 address in bits 16..48 is where it ends up.
                internal_v4(Ipv4Addr::from(((segments[1] as u32) << 16) | segments[2] as u32))
            } else if segments[..3] == [0x64, 0xff9b, 1] {
                Some("local-use NAT64 address")
            } else if segments[..2] == [0x2001, 0] {
                Some("Teredo tunnel address")
            } else if segments[0] & 0xffc0 == 0xfec0 {
                Some("site-local address")
            } else if segments[..4] == [0x100, 0, 0, 0] {
                Some("discard-only address")
            } else {
                None
            }
        }
    }
}

fn internal_v4(v4: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = v4.octets();
    if v4.is_loopback() {
        Some("loopback address")
    } else if v4.is_unspecified() || a == 0 {
        Some("unspecified address")
    } else if v4.is_link_local() {
        Some("link-local address")
    } else if v4.is_private() {
        Some("private address")
    } else if a == 100 && (64..128).contains(&b) {
        Some("carrier-grade NAT address")
    } else if a == 192 && b == 0 && v4.octets()[2] == 0 {
        Some("IETF protocol assignment address")
    } else if a == 198 && (18..20).contains(&b) {
        Some("benchmarking address")
    } else if v4.is_multicast() || v4.is_broadcast() || a >= 240 {
        Some("multicast or reserved address")
    } else {
        None
    }
}

/// The decision rules: the allow list, and the gateway's own listen addresses.
#[derive(Debug, Default)]
pub struct EgressPolicy {
    allow: Vec<AllowRule>,
    own: Vec<SocketAddr>,
}

impl EgressPolicy {
    pub fn new(config: &EgressConfig) -> Result<EgressPolicy> {
        let allow = config.allow.iter().map(|r| AllowRule::parse(r)).collect::<Result<Vec<_>>>()?;
        Ok(EgressPolicy { allow, own: Vec::new() })
    }

    /// The addresses this gateway listens on: refused even where a broad rule allows the network,
    /// so a provider URL can never loop back into the gateway's own API.
    pub fn with_own_address(mut self, addr: SocketAddr) -> EgressPolicy {
        self.own.push(addr);
        self
    }

    fn is_own(&self, ip: IpAddr, port: Option<u16>) -> bool {
        self.own.iter().any(|own| {
            let same_ip = own.ip().is_unspecified() || canonical(own.ip()) == ip || ip.is_loopback();
            same_ip && port.is_none_or(|p| p == own.port())
        })
    }

    /// May the gateway connect to `ip` (reached as `host`, on `port` when known)?
    fn check_ip(&self, host: &str, ip: IpAddr, port: Option<u16>) -> std::result::Result<(), EgressRefused> {
        let ip = canonical(ip);
        let refused = |reason| EgressRefused { host: host.to_string(), reason };
        let exact_own_rule = |rule: &AllowRule| matches!(rule, AllowRule::Network { net, port: Some(p) } if net.prefix_len() == net.max_prefix_len() && net.contains(&ip) && Some(*p) == port);
        if self.is_own(ip, port) && !self.allow.iter().any(exact_own_rule) {
            return Err(refused("the gateway's own address"));
        }
        if self.allow.iter().any(|r| r.allows_ip(ip, port)) {
            return Ok(());
        }
        match internal_reason(ip) {
            Some(reason) => Err(refused(reason)),
            None => Ok(()),
        }
    }

    fn host_allowed(&self, host: &str, port: Option<u16>) -> bool {
        self.allow.iter().any(|r| r.allows_host(host, port))
    }

    /// The URL-level check: scheme, then an IP literal or an allow-listed name. Other names are
    /// checked on the addresses they resolve to, at connect time.
    pub fn check_url(&self, url: &url::Url) -> std::result::Result<(), EgressRefused> {
        let host_text = url.host_str().unwrap_or("").to_string();
        if !matches!(url.scheme(), "http" | "https") {
            return Err(EgressRefused { host: host_text, reason: "only http and https URLs are allowed" });
        }
        let port = url.port_or_known_default();
        match url.host() {
            Some(url::Host::Ipv4(v4)) => self.check_ip(&host_text, IpAddr::V4(v4), port),
            Some(url::Host::Ipv6(v6)) => self.check_ip(&host_text, IpAddr::V6(v6), port),
            Some(url::Host::Domain(name)) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                if self.host_allowed(&name, port) {
                    return Ok(());
                }
                if name == "localhost" || name.ends_with(".localhost") {
                    return self.check_ip(&host_text, IpAddr::V4(Ipv4Addr::LOCALHOST), port);
                }
                Ok(())
            }
            None => Err(EgressRefused { host: host_text, reason: "the URL has no host" }),
        }
    }

    /// Addresses of `host` the gateway may connect to; an error when none remain.
    fn filter_resolved(
        &self,
        host: &str,
        port: Option<u16>,
        addrs: Vec<SocketAddr>,
    ) -> std::result::Result<Vec<SocketAddr>, EgressRefused> {
        if self.host_allowed(host, port) {
            return Ok(addrs);
        }
        let mut first_refusal = None;
        let kept: Vec<SocketAddr> = addrs
            .into_iter()
            .filter(|a| match self.check_ip(host, a.ip(), port) {
                Ok(()) => true,
                Err(r) => {
                    first_refusal.get_or_insert(r);
                    false
                }
            })
            .collect();
        match (kept.is_empty(), first_refusal) {
            (true, Some(refusal)) => Err(refusal),
            _ => Ok(kept),
        }
    }
}

tokio::task_local! {
    /// The port of the request being connected: DNS answers are judged with it (the resolver
    /// itself only sees the host name).
    static CONNECT_PORT: u16;
}

/// DNS through the system resolver, keeping only the addresses the policy allows.
struct PolicyResolver(Arc<EgressPolicy>);

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0.clone();
        let port = CONNECT_PORT.try_with(|p| *p).ok();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept = policy.filter_resolved(&host, port, addrs)?;
            Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The checked outbound HTTP client. Cheap to clone.
#[derive(Clone)]
pub struct Egress {
    policy: Arc<EgressPolicy>,
    client: reqwest::Client,
}

impl std::fmt::Debug for Egress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Egress").field("policy", &self.policy).finish()
    }
}

/// Most redirect hops followed (same origin only).
const MAX_REDIRECTS: usize = 5;

impl Egress {
    pub fn new(policy: EgressPolicy) -> Result<Egress> {
        let policy = Arc::new(policy);
        let redirect_policy = policy.clone();
        let client = reqwest::Client::builder()
            // Environment proxies would resolve names where this policy cannot see them.
            .no_proxy()
            .dns_resolver(Arc::new(PolicyResolver(policy.clone())))
            // Same-origin redirects only: a credential (in any header) never crosses origins,
            // and other 3xx answers are handed back as they are.
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                let same_origin = attempt.previous().last().is_some_and(|prev| prev.origin() == attempt.url().origin());
                if attempt.previous().len() > MAX_REDIRECTS || !same_origin {
                    return attempt.stop();
                }
                match redirect_policy.check_url(attempt.url()) {
                    Ok(()) => attempt.follow(),
                    Err(refused) => attempt.error(refused),
                }
            }))
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| Error::new(ErrorKind::Server, format!("cannot build the outbound HTTP client: {e}")))?;
        Ok(Egress { policy, client })
    }

    /// A request to `url` (parsed and checked when sent).
    pub fn request(&self, method: reqwest::Method, url: &str) -> OutboundRequest {
        OutboundRequest { egress: self.clone(), builder: self.client.request(method, url), deadline: None }
    }

    pub fn get(&self, url: &str) -> OutboundRequest {
        self.request(reqwest::Method::GET, url)
    }

    pub fn post(&self, url: &str) -> OutboundRequest {
        self.request(reqwest::Method::POST, url)
    }

    /// Checks a URL an API client or a key file supplies, when it is saved.
    pub fn check_url(&self, url: &str) -> Result<()> {
        let parsed = url::Url::parse(url)
            .map_err(|_| Error::new(ErrorKind::InvalidInput, format!("{url:?} is not an absolute URL")))?;
        self.policy.check_url(&parsed).map_err(Error::from)
    }

    /// Resolves a host for a non-HTTP connection (SQL), keeping only allowed addresses.
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>> {
        let unreachable = |e: std::io::Error| Error::new(ErrorKind::Unavailable, format!("cannot resolve {host}: {e}"));
        if let Ok(ip) = IpAddr::from_str(host.trim_start_matches('[').trim_end_matches(']')) {
            self.policy.check_ip(host, ip, Some(port))?;
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port)).await.map_err(unreachable)?.collect();
        Ok(self.policy.filter_resolved(host, Some(port), addrs)?)
    }

    /// Sends a built request: URL check, then the connection (whose DNS answers are checked).
    async fn execute(&self, request: reqwest::Request, deadline: Option<Duration>) -> Result<reqwest::Response> {
        self.policy.check_url(request.url())?;
        let port = request.url().port_or_known_default().unwrap_or(0);
        CONNECT_PORT.scope(port, self.client.execute(request)).await.map_err(|e| send_error(e, deadline))
    }
}

/// A transport failure as our error, without the URL, sorted by what the caller can do about it:
/// - a policy refusal (found in the source chain): 403 naming the host;
/// - a provider that took the request and did not answer by `deadline`: a timeout (504) naming it;
/// - a connection lost after the request went out and before any answer (closed or reset: a
///   stale pooled connection, a provider restarting): [`ErrorKind::Transport`], see
///   [`lost_before_answer`] — a repeatable request may be sent again;
/// - anything else: the provider could not be reached, naming the step (DNS, refused, TLS, no
///   connection in time; 503, or 504 when connecting timed out).
fn send_error(e: reqwest::Error, deadline: Option<Duration>) -> Error {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(err) = source {
        if let Some(refused) = err.downcast_ref::<EgressRefused>() {
            return refused.clone().into();
        }
        source = err.source();
    }
    let failure = Failure::of(&e);
    match failure.step {
        Step::AnswerTimeout => {
            let within = deadline.map_or_else(|| "in time".to_string(), |d| format!("within {}", seconds(d)));
            Error::new(ErrorKind::Timeout, format!("the provider did not answer {within}"))
        }
        Step::LostBeforeAnswer => Error::new(ErrorKind::Transport, format!("the provider {}", failure.describe())),
        Step::ConnectTimeout => Error::new(ErrorKind::Timeout, format!("the provider {}", failure.describe())),
        _ => Error::new(ErrorKind::Unavailable, format!("the provider {}", failure.describe())),
    }
}

/// Whether a failed send lost its connection before any answer arrived (see [`send_error`]):
/// the provider never answered, so a request that is safe to repeat may be sent once more. Never
/// true for a timeout (the provider may still be working on it), a refused connection or a
/// policy refusal.
pub fn lost_before_answer(e: &Error) -> bool {
    e.kind() == ErrorKind::Transport
}

/// `30 s`, `1.5 s`: a deadline as messages name it.
fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// Whether a URL may carry a credential: https, or http to this machine (localhost, a loopback
/// address) where nothing travels over a network.
pub fn credential_safe(url: &url::Url) -> bool {
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    url.scheme() == "https" || (url.scheme() == "http" && loopback)
}

/// Most bytes of a token-endpoint or account-lookup answer the gateway reads.
pub const TOKEN_ANSWER_MAX_BYTES: usize = 256 * 1024;

/// Reads an answer's body up to `max_bytes`; a longer one is refused as soon as it is seen to be
/// longer (from its `Content-Length` or while streaming), so no answer can fill the gateway's memory.
pub async fn read_bounded(mut resp: reqwest::Response, max_bytes: usize) -> Result<bytes::Bytes> {
    let too_large = || {
        Error::new(
            ErrorKind::Server,
            format!("the provider's answer is larger than the gateway reads ({max_bytes} bytes)"),
        )
        .with_status(502)
        .with_error_code("UPSTREAM_ANSWER_TOO_LARGE")
    };
    if resp.content_length().is_some_and(|len| len > max_bytes as u64) {
        return Err(too_large());
    }
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| {
        let kind = if e.is_timeout() { ErrorKind::Timeout } else { ErrorKind::Unavailable };
        Error::new(kind, format!("reading the provider's answer: {}", e.without_url()))
    })? {
        if body.len().saturating_add(chunk.len()) > max_bytes {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// A request being built for the egress client; only [`OutboundRequest::send`] sends it.
pub struct OutboundRequest {
    egress: Egress,
    builder: reqwest::RequestBuilder,
    /// The request's [`OutboundRequest::timeout`], for the message when it runs out.
    deadline: Option<Duration>,
}

impl OutboundRequest {
    fn map(self, f: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder) -> OutboundRequest {
        OutboundRequest { egress: self.egress, builder: f(self.builder), deadline: self.deadline }
    }

    pub fn header<K, V>(self, name: K, value: V) -> OutboundRequest
    where
        reqwest::header::HeaderName: TryFrom<K>,
        <reqwest::header::HeaderName as TryFrom<K>>::Error: Into<axum::http::Error>,
        reqwest::header::HeaderValue: TryFrom<V>,
        <reqwest::header::HeaderValue as TryFrom<V>>::Error: Into<axum::http::Error>,
    {
        self.map(|b| b.header(name, value))
    }

    pub fn query<T: serde::Serialize + ?Sized>(self, query: &T) -> OutboundRequest {
        self.map(|b| b.query(query))
    }

    pub fn json<T: serde::Serialize + ?Sized>(self, json: &T) -> OutboundRequest {
        self.map(|b| b.json(json))
    }

    pub fn form<T: serde::Serialize + ?Sized>(self, form: &T) -> OutboundRequest {
        self.map(|b| b.form(form))
    }

    pub fn body(self, body: impl Into<reqwest::Body>) -> OutboundRequest {
        self.map(|b| b.body(body))
    }

    /// The whole request's deadline, from connecting to the end of the answer's body.
    pub fn timeout(self, timeout: Duration) -> OutboundRequest {
        OutboundRequest { deadline: Some(timeout), ..self.map(|b| b.timeout(timeout)) }
    }

    /// A copy to send again (retries); `None` if the body is a stream.
    pub fn try_clone(&self) -> Option<OutboundRequest> {
        Some(OutboundRequest {
            egress: self.egress.clone(),
            builder: self.builder.try_clone()?,
            deadline: self.deadline,
        })
    }

    /// Builds and sends; a header that is not valid HTTP is a 400, a refused destination a 403,
    /// and other failures as [`send_error`] sorts them.
    pub async fn send(self) -> Result<reqwest::Response> {
        let request = self.builder.build().map_err(|e| {
            Error::new(ErrorKind::InvalidInput, format!("the provider request is not valid HTTP: {}", e.without_url()))
        })?;
        self.egress.execute(request, self.deadline).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(allow: &[&str]) -> EgressPolicy {
        EgressPolicy::new(&EgressConfig { allow: allow.iter().map(|s| s.to_string()).collect() }).unwrap()
    }

    fn check(p: &EgressPolicy, url: &str) -> std::result::Result<(), EgressRefused> {
        p.check_url(&url::Url::parse(url).unwrap())
    }

    #[test]
    fn internal_addresses_are_refused_in_every_spelling() {
        let p = policy(&[]);
        for url in [
            "http://127.0.0.1/",
            "http://127.1/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://017700000001/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://169.254.169.254/latest/meta-data",
            "http://[fe80::1]/",
            "http://10.0.0.1/",
            "http://172.16.5.4/",
            "http://192.168.1.1/",
            "http://[fd00::1]/",
            "http://100.64.0.1/",
            "http://192.0.0.8/",
            "http://198.18.0.1/",
            "http://198.19.255.1/",
            "http://[2002:7f00:1::]/",
            "http://[2002:a9fe:a9fe::]/",
            "http://[64:ff9b:1::a9fe:a9fe]/",
            "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
            "http://[fec0::1]/",
            "http://[100::1]/",
            "http://224.0.0.1/",
            "http://0.0.0.0/",
            "http://[::]/",
            "http://localhost:8080/",
            "http://api.localhost/",
            "ftp://example.com/",
            "file:///etc/passwd",
        ] {
            assert!(check(&p, url).is_err(), "{url} should be refused");
        }
        for url in ["https://www.googleapis.com/gmail/v1", "http://93.184.216.34/", "https://[2606:4700::1111]/"] {
            assert!(check(&p, url).is_ok(), "{url} should be allowed");
        }
    }

    #[test]
    fn allow_list_opens_networks_hosts_and_ports() {
        let p = policy(&["10.2.0.0/16", "127.0.0.1:9100", "intranet.example.com", "*.corp.example:8443"]);
        assert!(check(&p, "http://10.2.3.4/").is_ok());
        assert!(check(&p, "http://10.3.0.1/").is_err());
        assert!(check(&p, "http://127.0.0.1:9100/x").is_ok());
        assert!(check(&p, "http://127.0.0.1:9101/x").is_err());
        assert!(check(&p, "http://[::ffff:127.0.0.1]:9100/").is_ok());
        assert!(p.filter_resolved("intranet.example.com", Some(80), vec!["10.9.9.9:0".parse().unwrap()]).is_ok());
        assert!(p.filter_resolved("a.corp.example", Some(8443), vec!["10.9.9.9:0".parse().unwrap()]).is_ok());
        assert!(p.filter_resolved("a.corp.example", Some(443), vec!["10.9.9.9:0".parse().unwrap()]).is_err());
        // A name that resolves (or rebinds) to an internal address is refused at connect time.
        let refused = p.filter_resolved("evil.example", Some(80), vec!["127.0.0.1:0".parse().unwrap()]);
        assert!(refused.unwrap_err().to_string().contains("evil.example"));
        for bad in ["not a host!", "10.0.0.0/99", "x.example:port"] {
            assert!(EgressPolicy::new(&EgressConfig { allow: vec![bad.into()] }).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_gateways_own_address_stays_refused_under_a_broad_rule() {
        let p = policy(&["127.0.0.0/8"]).with_own_address("127.0.0.1:8080".parse().unwrap());
        assert!(check(&p, "http://127.0.0.1:8080/healthz").is_err());
        assert!(check(&p, "http://127.0.0.1:9100/").is_ok());
        let exact = policy(&["127.0.0.1:8080"]).with_own_address("127.0.0.1:8080".parse().unwrap());
        assert!(check(&exact, "http://127.0.0.1:8080/").is_ok());
    }
}
