//! The REST surface the transcoder exposes: one operation per HTTP binding, with its path and
//! query parameters resolved against the request message, and the proto3 JSON mapping of the
//! well-known types. Shared by the OpenAPI document and the Postman collection.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use super::descriptor::{Binding, Contract, Field, Kind, Message, Method, Service};

/// How deep query parameters reach into nested request messages (`a.b.c`).
const MAX_QUERY_DEPTH: usize = 3;

/// One REST operation: an RPC through one of its bindings.
pub(crate) struct Operation<'a> {
    pub(crate) service: &'a Service,
    pub(crate) method: &'a Method,
    pub(crate) binding: &'a Binding,
    /// 0 for the rule itself, 1… for its additional bindings.
    pub(crate) index: usize,
    /// The path with every variable named canonically (see [`operations`]).
    pub(crate) path: String,
    pub(crate) path_params: Vec<Param<'a>>,
    /// The request fields neither in the path nor in the body (none when the body is `*`).
    pub(crate) query_params: Vec<Param<'a>>,
}

/// A path or query parameter and the request field it fills.
pub(crate) struct Param<'a> {
    /// The name in the path template or the query string.
    pub(crate) name: String,
    /// The request field path in proto names (`category.id`).
    pub(crate) field_path: String,
    pub(crate) field: &'a Field,
}

impl Operation<'_> {
    /// A unique, stable id: `CategoryService_GetCategory` (`…_2` for the second binding).
    pub(crate) fn id(&self) -> String {
        match self.index {
            0 => format!("{}_{}", self.service.name, self.method.name),
            n => format!("{}_{}_{}", self.service.name, self.method.name, n + 1),
        }
    }

    /// The request fields that make up the body: `None` without a body, all top-level fields
    /// outside the path for `*`, or the one body field.
    pub(crate) fn body_fields<'c>(&self, contract: &'c Contract) -> Result<Option<Vec<&'c Field>>> {
        let request = contract.message(&self.method.input)?;
        Ok(match self.binding.body.as_str() {
            "" => None,
            "*" => Some(
                request
                    .fields
                    .iter()
                    .filter(|f| !self.path_params.iter().any(|p| p.field_path == f.name))
                    .collect(),
            ),
            name => Some(vec![field(request, name)?]),
        })
    }
}

/// Every REST operation of the contract, in service, method and binding order.
///
/// Bindings whose templates match the same URLs (`/categories/{category_id}` for Get,
/// `/categories/{category.id}` for Update) share one path, so each variable position gets one
/// name for all of them: the one without a dot, then the alphabetically first.
pub(crate) fn operations(contract: &Contract) -> Result<Vec<Operation<'_>>> {
    let mut names: BTreeMap<String, Vec<BTreeSet<String>>> = BTreeMap::new();
    for service in &contract.services {
        for binding in service.methods.iter().flat_map(|m| &m.bindings) {
            let slots = names.entry(binding.shape()).or_default();
            for (i, variable) in binding.variables().into_iter().enumerate() {
                if slots.len() <= i {
                    slots.push(BTreeSet::new());
                }
                slots[i].insert(variable);
            }
        }
    }
    let canonical = |shape: &str, i: usize| -> String {
        names[shape][i]
            .iter()
            .min_by_key(|name| (name.contains('.'), name.as_str()))
            .cloned()
            .unwrap_or_default()
    };

    let mut seen = BTreeSet::new();
    let mut operations = Vec::new();
    for service in &contract.services {
        for method in &service.methods {
            let request = contract.message(&method.input)?;
            for (index, binding) in method.bindings.iter().enumerate() {
                let shape = binding.shape();
                let mut position = 0;
                let path = binding.path_with(|_| {
                    position += 1;
                    canonical(&shape, position - 1)
                });
                if !seen.insert((binding.method.clone(), path.clone())) {
                    bail!("two RPCs are bound to {} {path}", binding.method.to_uppercase());
                }
                let path_params = binding
                    .variables()
                    .into_iter()
                    .enumerate()
                    .map(|(i, field_path)| {
                        let field = resolve(contract, request, &field_path)
                            .with_context(|| format!("{} {}", service.full_name, method.name))?;
                        Ok(Param {
                            name: canonical(&shape, i),
                            field_path,
                            field,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                let mut query_params = Vec::new();
                if binding.body != "*" {
                    let mut bound: BTreeSet<String> =
                        path_params.iter().map(|p| p.field_path.clone()).collect();
                    if !binding.body.is_empty() {
                        bound.insert(binding.body.clone());
                    }
                    query_leaves(contract, request, ("", ""), &bound, 0, &mut query_params);
                }
                operations.push(Operation {
                    service,
                    method,
                    binding,
                    index,
                    path,
                    path_params,
                    query_params,
                });
            }
        }
    }
    Ok(operations)
}

/// The field of `message` at the dotted proto-name path `field_path`.
pub(crate) fn resolve<'c>(
    contract: &'c Contract,
    message: &'c Message,
    field_path: &str,
) -> Result<&'c Field> {
    let mut message = message;
    let mut segments = field_path.split('.').peekable();
    while let Some(segment) = segments.next() {
        let found = field(message, segment)?;
        if segments.peek().is_none() {
            return Ok(found);
        }
        let Kind::Message(name) = &found.kind else {
            bail!("{field_path}: {segment} is not a message");
        };
        message = contract.message(name)?;
    }
    bail!("empty field path")
}

fn field<'c>(message: &'c Message, name: &str) -> Result<&'c Field> {
    message
        .fields
        .iter()
        .find(|f| f.name == name)
        .with_context(|| format!("{} has no field {name}", message.full_name))
}

/// The leaf fields of `message` reachable as query parameters, skipping the `bound` ones (and
/// their children); maps and repeated messages cannot be query parameters. Parameters are named
/// with JSON names (`pageSize`, `filter.merchantId`); the transcoder accepts proto names too.
fn query_leaves<'c>(
    contract: &'c Contract,
    message: &'c Message,
    (proto_prefix, json_prefix): (&str, &str),
    bound: &BTreeSet<String>,
    depth: usize,
    out: &mut Vec<Param<'c>>,
) {
    for field in &message.fields {
        let field_path = format!("{proto_prefix}{}", field.name);
        let name = format!("{json_prefix}{}", field.json_name);
        if bound.contains(&field_path) || contract.map_entry(field).is_some() {
            continue;
        }
        match &field.kind {
            Kind::Message(type_name) if well_known(type_name).is_none() => {
                if field.repeated || depth + 1 >= MAX_QUERY_DEPTH {
                    continue;
                }
                let Ok(nested) = contract.message(type_name) else {
                    continue;
                };
                let prefixes = (format!("{field_path}."), format!("{name}."));
                query_leaves(
                    contract,
                    nested,
                    (&prefixes.0, &prefixes.1),
                    bound,
                    depth + 1,
                    out,
                );
            }
            _ => out.push(Param {
                name,
                field_path,
                field,
            }),
        }
    }
}

/// The proto3 JSON schema of a well-known type (`google.protobuf.*`), which the JSON mapping
/// writes specially (a Timestamp is an RFC 3339 string, an Int64Value a string or null, …).
pub(crate) fn well_known(full_name: &str) -> Option<Value> {
    let name = full_name.strip_prefix("google.protobuf.")?;
    let nullable = |mut schema: Value| {
        schema["nullable"] = json!(true);
        schema
    };
    Some(match name {
        "Timestamp" => json!({"type": "string", "format": "date-time"}),
        "Duration" => json!({"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]{1,9})?s$", "example": "1.5s"}),
        "FieldMask" => json!({
            "type": "string",
            "description": "Comma-separated field paths in lowerCamelCase, e.g. `name,description`."
        }),
        "Empty" => json!({"type": "object"}),
        "Struct" => json!({"type": "object", "additionalProperties": true}),
        "Value" => json!({"nullable": true}),
        "ListValue" => json!({"type": "array", "items": {}}),
        "Any" => json!({
            "type": "object",
            "properties": {"@type": {"type": "string", "description": "The type URL of the value."}},
            "required": ["@type"],
            "additionalProperties": true
        }),
        "DoubleValue" => nullable(json!({"type": "number", "format": "double"})),
        "FloatValue" => nullable(json!({"type": "number", "format": "float"})),
        "Int64Value" => nullable(json!({"type": "string", "format": "int64"})),
        "UInt64Value" => nullable(json!({"type": "string", "format": "uint64"})),
        "Int32Value" => nullable(json!({"type": "integer", "format": "int32"})),
        "UInt32Value" => nullable(json!({"type": "integer", "format": "int64", "minimum": 0})),
        "BoolValue" => nullable(json!({"type": "boolean"})),
        "StringValue" => nullable(json!({"type": "string"})),
        "BytesValue" => nullable(json!({"type": "string", "format": "byte"})),
        _ => return None,
    })
}

/// The first sentence of a comment, on one line.
pub(crate) fn summary(comment: &str) -> String {
    let text = comment
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    match text.find(". ") {
        Some(end) => text[..=end].to_owned(),
        None => text,
    }
}
