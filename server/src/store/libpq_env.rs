//! libpq's environment variables (`PGPASSWORD`, `PGUSER`, `PGSSLCERT`, …) configure the
//! gateway's own PostgreSQL store. sqlx reads them as defaults for *every* PostgreSQL connection
//! it builds — SQL tools' connections too, to hosts a client chose — so the gateway's password,
//! client certificate and settings would travel to them. The `agentkit` binary therefore takes
//! them out of its environment at start, before any thread runs ([`isolate`]); the own store's URL
//! gets them back as URL parameters ([`own_store_url`]), with the URL's own values first, as
//! libpq does. SQL tools also set every such option explicitly (`execution::sql`).

use std::sync::OnceLock;

/// The variables and the connection-URL parameter each stands for.
const VARIABLES: [(&str, &str); 12] = [
    ("PGHOST", "host"),
    ("PGHOSTADDR", "hostaddr"),
    ("PGPORT", "port"),
    ("PGDATABASE", "dbname"),
    ("PGUSER", "user"),
    ("PGPASSWORD", "password"),
    ("PGSSLMODE", "sslmode"),
    ("PGSSLROOTCERT", "sslrootcert"),
    ("PGSSLCERT", "sslcert"),
    ("PGSSLKEY", "sslkey"),
    ("PGAPPNAME", "application_name"),
    ("PGOPTIONS", "options"),
];

/// What [`isolate`] took out of the environment, as (URL parameter, value).
static TAKEN: OnceLock<Vec<(&'static str, String)>> = OnceLock::new();

/// Takes the libpq variables out of the process environment, keeping them for the own store.
///
/// # Safety
/// Must run before any other thread exists (changing the environment is not thread-safe): the
/// first statement of `main`, before the async runtime starts.
#[allow(unsafe_code, reason = "std::env::remove_var is unsafe: callers promise a single thread")]
pub unsafe fn isolate() {
    let mut taken = Vec::new();
    for (variable, parameter) in VARIABLES {
        if let Ok(value) = std::env::var(variable) {
            taken.push((parameter, value));
        }
        std::env::remove_var(variable);
    }
    let _ = TAKEN.set(taken);
}

/// The own store's URL with the taken variables added where the URL does not say otherwise.
pub fn own_store_url(url: &str) -> String {
    let Some(taken) = TAKEN.get().filter(|t| !t.is_empty()) else { return url.to_string() };
    let Ok(mut parsed) = url::Url::parse(url) else { return url.to_string() };
    let given: Vec<String> = parsed.query_pairs().map(|(k, _)| k.into_owned()).collect();
    let is_given = |parameter: &str| {
        given.iter().any(|k| k == parameter)
            || match parameter {
                "user" => !parsed.username().is_empty(),
                "password" => parsed.password().is_some(),
                "host" | "hostaddr" => parsed.host_str().is_some_and(|h| !h.is_empty()),
                "port" => parsed.port().is_some(),
                "dbname" => parsed.path().len() > 1,
                "sslmode" => given.iter().any(|k| k == "ssl-mode"),
                "sslrootcert" => given.iter().any(|k| k == "ssl-root-cert" || k == "ssl-ca"),
                "sslcert" => given.iter().any(|k| k == "ssl-cert"),
                "sslkey" => given.iter().any(|k| k == "ssl-key"),
                _ => false,
            }
    };
    let missing: Vec<(&str, &str)> =
        taken.iter().filter(|(parameter, _)| !is_given(parameter)).map(|(p, v)| (*p, v.as_str())).collect();
    if !missing.is_empty() {
        parsed.query_pairs_mut().extend_pairs(missing);
    }
    parsed.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_urls_own_values_come_first() {
        let _ = TAKEN.set(vec![
            ("password", "from-env".into()),
            ("user", "env-user".into()),
            ("sslmode", "require".into()),
        ]);
        let url = own_store_url("postgres://app@db.internal/agentkit");
        let parsed = url::Url::parse(&url).unwrap();
        let query: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
        assert!(query.contains(&("password".into(), "from-env".into())), "{url}");
        assert!(query.contains(&("sslmode".into(), "require".into())), "{url}");
        assert!(!query.iter().any(|(k, _)| k == "user"), "the URL names its user: {url}");
        let kept = own_store_url("postgres://app:secret@db.internal/agentkit?sslmode=verify-full");
        assert!(!kept.contains("from-env") && !kept.contains("sslmode=require"), "{kept}");
    }
}
