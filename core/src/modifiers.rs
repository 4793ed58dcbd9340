//! Pre- and post-modifiers: user hooks that rewrite a tool's input before execution and its output
//! after. Matching is by exact tool name; modifiers of one kind chain in registration order, each
//! receiving the previous one's result. Bindings implement [`ToolModifier`] over their callables.

use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use serde_json::Value;

use crate::error::Result;

/// A hook over a tool's input (pre) or output (post) data.
#[async_trait]
pub trait ToolModifier: Send + Sync {
    /// Returns the replacement data. `Value::Null` from a pre-modifier means "send no params".
    async fn apply(&self, tool_name: &str, data: Value) -> Result<Value>;
}

/// When a modifier runs; parsed from `"pre"` or `"post"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModifierKind {
    /// Before execution, over the tool's input.
    Pre,
    /// After execution, over the tool's output (`data`).
    Post,
}

impl std::str::FromStr for ModifierKind {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "pre" => Ok(ModifierKind::Pre),
            "post" => Ok(ModifierKind::Post),
            other => Err(crate::Error::invalid_field(
                "modifier_type",
                format!("modifier_type must be \"pre\" or \"post\", got {other:?}"),
            )),
        }
    }
}

struct Registered {
    kind: ModifierKind,
    tool_names: Vec<String>,
    modifier: Arc<dyn ToolModifier>,
}

/// The ordered registry of one `actions` instance. Clones share the registry.
#[derive(Clone, Default)]
pub struct Modifiers {
    registered: Arc<RwLock<Vec<Registered>>>,
}

impl Modifiers {
    /// Registers `modifier` of `kind` for each of `tool_names` (exact names); it runs after those
    /// registered before it.
    pub fn add(&self, kind: ModifierKind, tool_names: Vec<String>, modifier: Arc<dyn ToolModifier>) {
        self.registered.write().unwrap_or_else(|p| p.into_inner()).push(Registered { kind, tool_names, modifier });
    }

    /// Number of modifiers of `kind` that apply to `tool_name`.
    pub fn count(&self, kind: ModifierKind, tool_name: &str) -> usize {
        self.matching(kind, tool_name).len()
    }

    fn matching(&self, kind: ModifierKind, tool_name: &str) -> Vec<Arc<dyn ToolModifier>> {
        self.registered
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|r| r.kind == kind && r.tool_names.iter().any(|n| n == tool_name))
            .map(|r| r.modifier.clone())
            .collect()
    }

    /// Runs the chain of `kind` for `tool_name` over `data`.
    pub async fn run(&self, kind: ModifierKind, tool_name: &str, mut data: Value) -> Result<Value> {
        for modifier in self.matching(kind, tool_name) {
            data = modifier.apply(tool_name, data).await?;
        }
        Ok(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct AddKey(&'static str);

    #[async_trait]
    impl ToolModifier for AddKey {
        async fn apply(&self, _tool: &str, mut data: Value) -> Result<Value> {
            let order = data["order"].as_str().unwrap_or_default().to_string() + self.0;
            data["order"] = json!(order);
            Ok(data)
        }
    }

    #[tokio::test]
    async fn chains_in_registration_order_and_matches_exact_names() {
        let m = Modifiers::default();
        m.add(ModifierKind::Pre, vec!["a".into()], Arc::new(AddKey("1")));
        m.add(ModifierKind::Pre, vec!["b".into()], Arc::new(AddKey("x")));
        m.add(ModifierKind::Pre, vec!["a".into(), "b".into()], Arc::new(AddKey("2")));
        m.add(ModifierKind::Post, vec!["a".into()], Arc::new(AddKey("p")));
        let out = m.run(ModifierKind::Pre, "a", json!({})).await.unwrap();
        assert_eq!(out["order"], "12");
        assert_eq!(m.count(ModifierKind::Pre, "A"), 0);
    }
}
