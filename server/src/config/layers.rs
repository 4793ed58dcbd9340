//! How a configuration is put together, in one place: the built-in defaults
//! (`server/default.toml`, the only place a section's default is written), under the operator's
//! file (keys of older releases moved to where they live now), under `AGENTKIT_*` environment
//! variables, with secret references resolved. [`super::Config::parse`] deserializes the result
//! and validates it once.

use agentkit_core::{Error, Result};

/// Every section's defaults, commented: `agentkit config defaults` prints it, docs/gateway.md
/// shows it (a test keeps the two the same).
pub const DEFAULTS: &str = include_str!("../../default.toml");

/// Sections of [`DEFAULTS`] whose presence turns a feature on: their defaults apply only when the
/// operator's file (or environment) has them.
const OPTIONAL_SECTIONS: &[&str] = &["console.oidc", "mcp_oauth", "mcp_oauth.oidc"];

/// `[server]` keys of earlier releases and where they live now (`[section] key`); accepted for
/// one release, with a warning.
const MOVED_KEYS: &[(&str, &str, &str)] = &[
    ("database_url", "database", "url"),
    ("database_max_connections", "database", "max_connections"),
    ("account_cache_capacity", "database", "account_cache_capacity"),
    ("account_cache_ttl_ms", "database", "account_cache_ttl_ms"),
    ("execution_retention_days", "retention", "execution_days"),
    ("audit_retention_days", "retention", "audit_days"),
    ("auth_request_retention_hours", "retention", "auth_request_hours"),
    ("bookkeeping_flush_ms", "bookkeeping", "flush_ms"),
    ("bookkeeping_queue", "bookkeeping", "queue"),
    ("durable_execution_records", "bookkeeping", "durable_execution_records"),
];

/// Environment variables named before `AGENTKIT_<SECTION>__<KEY>`, and the key each sets.
const ENV_ALIASES: &[(&str, &str, &str)] = [
    ("AGENTKIT_DATABASE_URL", "database", "url"),
    ("AGENTKIT_LOG_FORMAT", "logging", "format"),
    ("AGENTKIT_LOG", "logging", "level"),
]
.as_slice();

/// The built-in defaults as a table.
pub fn defaults() -> toml::Table {
    // Built into the binary and parsed by a unit test: it cannot fail at run time.
    toml::from_str(DEFAULTS).unwrap_or_default()
}

/// The defaults of the section at `path` (`"triggers"`, `"mcp_oauth"`), without the optional
/// sections below it.
pub fn section_defaults(path: &str) -> toml::Table {
    let mut defaults = defaults();
    for optional in OPTIONAL_SECTIONS.iter().filter(|o| o.strip_prefix(path).is_some_and(|rest| rest.starts_with('.')))
    {
        if let Some((parent, last)) = optional.rsplit_once('.') {
            if let Some(holder) = table_if_present(&mut defaults, parent) {
                holder.remove(last);
            }
        }
    }
    table_if_present(&mut defaults, path).map(std::mem::take).unwrap_or_default()
}

/// The operator's file with its keys of older releases moved to their sections; a warning for
/// each moved key. A key given both ways is refused, naming both.
pub fn move_old_keys(file: &mut toml::Table, origin: &str) -> Result<Vec<String>> {
    let mut warnings = Vec::new();
    for (old, section, key) in MOVED_KEYS {
        let Some(value) = file.get_mut("server").and_then(toml::Value::as_table_mut).and_then(|s| s.remove(*old))
        else {
            continue;
        };
        let target = table_at(file, section);
        if target.contains_key(*key) {
            return Err(Error::invalid_field(
                format!("{section}.{key}"),
                format!("{origin}: server.{old} and {section}.{key} are the same setting: keep {section}.{key}"),
            ));
        }
        target.insert(key.to_string(), value);
        warnings
            .push(format!("server.{old} is now {section}.{key}: rename it (the old name goes in the next release)"));
    }
    Ok(warnings)
}

/// Sets what the environment says over `file`: `AGENTKIT_<SECTION>__<KEY>` (sections below
/// sections with more `__`: `AGENTKIT_CONSOLE__OIDC__ISSUER`) and the older aliases. A value is
/// TOML when it reads as a number, boolean or array, else a string; an empty variable is unset.
pub fn apply_environment(file: &mut toml::Table, vars: &[(String, String)]) -> Result<()> {
    for (name, value) in vars {
        if value.is_empty() {
            continue;
        }
        let (section, key) = match ENV_ALIASES.iter().find(|(alias, _, _)| alias == name) {
            Some((_, section, key)) => (section.to_string(), key.to_string()),
            None => {
                let Some(path) = name.strip_prefix("AGENTKIT_").filter(|p| p.contains("__")) else { continue };
                let parts: Vec<String> = path.split("__").map(str::to_ascii_lowercase).collect();
                match parts.split_last() {
                    Some((key, sections)) if !key.is_empty() && sections.iter().all(|s| !s.is_empty()) => {
                        (sections.join("."), key.clone())
                    }
                    _ => return Err(Error::invalid_field(name, format!("{name}: expected AGENTKIT_<SECTION>__<KEY>"))),
                }
            }
        };
        table_at(file, &section).insert(key, environment_value(value));
    }
    Ok(())
}

/// A variable's value as TOML when it reads as a number, boolean or array, else as a string.
fn environment_value(value: &str) -> toml::Value {
    match toml::from_str::<toml::Table>(&format!("v = {value}")).ok().and_then(|mut t| t.remove("v")) {
        Some(
            v @ (toml::Value::Integer(_) | toml::Value::Float(_) | toml::Value::Boolean(_) | toml::Value::Array(_)),
        ) => v,
        _ => toml::Value::String(value.to_string()),
    }
}

/// The table at a dotted `path` of `root`, made when missing (a non-table there is replaced).
fn table_at<'t>(root: &'t mut toml::Table, path: &str) -> &'t mut toml::Table {
    path.split('.').fold(root, |table, part| {
        let entry = table.entry(part.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        match entry {
            toml::Value::Table(inner) => inner,
            _ => unreachable!("made a table just above"),
        }
    })
}

/// The defaults with `file` laid over them: a table merges key by key, anything else replaces.
/// An optional section's defaults apply only when `file` has that section.
pub fn over_defaults(file: toml::Table) -> toml::Table {
    let mut merged = defaults();
    for optional in OPTIONAL_SECTIONS {
        let present =
            optional.split('.').try_fold(&file, |t, part| t.get(part).and_then(toml::Value::as_table)).is_some();
        if !present {
            let (parent, last) = optional.rsplit_once('.').unwrap_or(("", optional));
            let holder = if parent.is_empty() { Some(&mut merged) } else { table_if_present(&mut merged, parent) };
            if let Some(holder) = holder {
                holder.remove(last);
            }
        }
    }
    merge(&mut merged, file);
    merged
}

fn table_if_present<'t>(root: &'t mut toml::Table, path: &str) -> Option<&'t mut toml::Table> {
    path.split('.').try_fold(root, |t, part| t.get_mut(part).and_then(toml::Value::as_table_mut))
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(inner)), toml::Value::Table(value)) => merge(inner, value),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_parse_and_every_optional_section_is_in_them() {
        let parsed: toml::Table = toml::from_str(DEFAULTS).expect("server/default.toml is TOML");
        for optional in OPTIONAL_SECTIONS {
            let found = optional.split('.').try_fold(&parsed, |t, p| t.get(p).and_then(toml::Value::as_table));
            assert!(found.is_some(), "{optional} is not in server/default.toml");
        }
    }

    #[test]
    fn old_keys_move_and_a_key_given_both_ways_is_refused() {
        let mut file: toml::Table =
            toml::from_str("[server]\nbookkeeping_flush_ms = 5\nlisten = \"127.0.0.1:1\"\n").unwrap();
        let warnings = move_old_keys(&mut file, "t.toml").unwrap();
        assert_eq!(file["bookkeeping"]["flush_ms"].as_integer(), Some(5));
        assert!(file["server"].get("bookkeeping_flush_ms").is_none());
        assert!(warnings[0].contains("server.bookkeeping_flush_ms is now bookkeeping.flush_ms"), "{warnings:?}");
        let mut both: toml::Table =
            toml::from_str("[server]\ndatabase_url = \"a\"\n[database]\nurl = \"b\"\n").unwrap();
        let refused = move_old_keys(&mut both, "t.toml").unwrap_err();
        assert_eq!(refused.field(), Some("database.url"));
        assert!(refused.message().contains("server.database_url"), "{}", refused.message());
    }

    #[test]
    fn the_environment_wins_over_the_file_and_reads_its_types() {
        let mut file: toml::Table = toml::from_str("[database]\nmax_connections = 3\n").unwrap();
        let vars: Vec<(String, String)> = [
            ("AGENTKIT_DATABASE__MAX_CONNECTIONS", "20"),
            ("AGENTKIT_BOOKKEEPING__DURABLE_EXECUTION_RECORDS", "true"),
            ("AGENTKIT_SERVER__PUBLIC_URL", "https://a.example.com"),
            ("AGENTKIT_CONSOLE__OIDC__ISSUER", "https://idp.example.com"),
            ("AGENTKIT_DATABASE_URL", "postgres://h/db"),
            ("AGENTKIT_LOG_FORMAT", ""),
            ("AGENTKIT_SIGNING_KEY", "not a setting"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        apply_environment(&mut file, &vars).unwrap();
        assert_eq!(file["database"]["max_connections"].as_integer(), Some(20));
        assert_eq!(file["bookkeeping"]["durable_execution_records"].as_bool(), Some(true));
        assert_eq!(file["server"]["public_url"].as_str(), Some("https://a.example.com"));
        assert_eq!(file["console"]["oidc"]["issuer"].as_str(), Some("https://idp.example.com"));
        assert_eq!(file["database"]["url"].as_str(), Some("postgres://h/db"));
        assert!(file.get("logging").is_none(), "an empty variable is unset");
        assert!(file.get("signing_key").is_none() && file["server"].get("signing_key").is_none());
        let bad = apply_environment(&mut file, &[("AGENTKIT_SERVER__".into(), "x".into())]).unwrap_err();
        assert!(bad.message().contains("AGENTKIT_SERVER__"), "{}", bad.message());
    }

    #[test]
    fn optional_sections_apply_only_when_present() {
        let plain = over_defaults(toml::Table::new());
        assert!(plain.get("mcp_oauth").is_none() && plain["console"].get("oidc").is_none());
        assert_eq!(plain["console"]["enabled"].as_bool(), Some(true));
        let on = over_defaults(toml::from_str("[mcp_oauth]\nlogin_url = \"https://app/login\"\n").unwrap());
        assert_eq!(on["mcp_oauth"]["access_token_ttl_secs"].as_integer(), Some(3600));
        assert!(on["mcp_oauth"].get("oidc").is_none());
        assert_eq!(on["server"]["listen"].as_str(), Some("127.0.0.1:8080"));
    }
}
