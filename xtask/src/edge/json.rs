//! Deterministic JSON: generated files must be byte-identical on every machine and build, so
//! objects are written with sorted keys whatever serde_json's map type (`preserve_order` may be
//! switched on by another crate of the build).

use anyhow::Result;
use serde_json::{Map, Value};

/// `value` with the keys of every object in sorted order.
pub(crate) fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(object) => {
            let mut entries: Vec<(&String, &Value)> = object.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let mut sorted_object = Map::new();
            for (key, value) in entries {
                sorted_object.insert(key.clone(), sorted(value));
            }
            Value::Object(sorted_object)
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Pretty-printed (two-space indentation), sorted keys, ending with a newline.
pub(crate) fn to_file_text(value: &Value) -> Result<String> {
    let mut text = serde_json::to_string_pretty(&sorted(value))?;
    text.push('\n');
    Ok(text)
}
