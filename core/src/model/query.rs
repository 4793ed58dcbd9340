//! Query strings of GET bindings: nested fields dotted (`filter.provider`), repeated fields repeat the key.
//!
//! The client writes them with [`QueryPairs`]; the gateway reads them with [`QueryMap`], which also
//! accepts lowerCamel keys (`filter.connectionNames`) by normalising every key to snake_case.

use super::casing::to_snake_case;
use crate::error::{Error, Result};

/// Ordered `key=value` pairs, built by the client.
#[derive(Debug, Default, Clone)]
pub struct QueryPairs(pub Vec<(String, String)>);

impl QueryPairs {
    pub fn opt(&mut self, key: &str, value: Option<impl ToString>) -> &mut Self {
        if let Some(v) = value {
            let v = v.to_string();
            if !v.is_empty() {
                self.0.push((key.to_string(), v));
            }
        }
        self
    }

    pub fn all(&mut self, key: &str, values: &[String]) -> &mut Self {
        for v in values.iter().filter(|v| !v.is_empty()) {
            self.0.push((key.to_string(), v.clone()));
        }
        self
    }
}

/// Parsed query string, keyed by snake_case names, read by the gateway.
#[derive(Debug, Default, Clone)]
pub struct QueryMap(Vec<(String, String)>);

impl QueryMap {
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
            .map(|(k, v)| (to_snake_case(&k), v.into_owned()))
            .collect();
        QueryMap(pairs)
    }

    /// Last value of `key`, empty strings treated as absent.
    pub fn get(&self, key: &str) -> Option<String> {
        self.0.iter().rev().find(|(k, v)| k == key && !v.is_empty()).map(|(_, v)| v.clone())
    }

    /// Every value of a repeated key; comma-separated values are split too.
    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| {
                v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect::<Vec<_>>()
            })
            .collect()
    }

    pub fn get_u32(&self, key: &str) -> Result<Option<u32>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .parse::<u32>()
                .map(Some)
                .map_err(|_| Error::invalid_field(key, format!("{key} must be a non-negative integer, got {v:?}"))),
        }
    }

    pub fn get_bool(&self, key: &str) -> Result<Option<bool>> {
        match self.get(key).as_deref() {
            None => Ok(None),
            Some("true") | Some("1") => Ok(Some(true)),
            Some("false") | Some("0") => Ok(Some(false)),
            Some(v) => Err(Error::invalid_field(key, format!("{key} must be true or false, got {v:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_keys_and_repeats() {
        let q = QueryMap::parse(Some("filter.connectionNames=gmail&filter.connection_names=slack&page_size=5"));
        assert_eq!(q.all("filter.connection_names"), vec!["gmail", "slack"]);
        assert_eq!(q.get_u32("page_size").unwrap(), Some(5));
        assert!(QueryMap::parse(Some("page_size=x")).get_u32("page_size").is_err());
    }
}
