//! The contract as the edge sees it: the services of the `pos.<module>.v1` packages with their
//! REST bindings, and every message and enum of the descriptor set, with their comments.
//!
//! prost-types decodes the descriptor set but drops extensions (prost keeps no unknown fields),
//! so the `google.api.http` method option (field 72295728) and the `google.api.field_behavior`
//! field option (1052) are read in a second pass over the same bytes, with small prost messages
//! that mirror only the path to those options (module [`raw`]). Both passes see the same files,
//! messages, fields, services and methods in the same order, so they are zipped together.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, Result, bail};
use prost::Message as _;
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, EnumDescriptorProto, FileDescriptorProto, FileDescriptorSet};

/// `google.api.field_behavior` values the edge cares about.
const REQUIRED: i32 = 2;
const OUTPUT_ONLY: i32 = 3;

/// The decoded descriptor set.
pub(crate) struct Contract {
    /// The descriptor set as prost-types decodes it (without extensions).
    pub(crate) set: FileDescriptorSet,
    /// The services of the `pos.<module>.v1` packages, in descriptor order (files sorted by name).
    pub(crate) services: Vec<Service>,
    /// Every message of the set by full name (no leading dot), map entries included.
    pub(crate) messages: BTreeMap<String, Message>,
    /// Every enum of the set by full name.
    pub(crate) enums: BTreeMap<String, Enum>,
}

/// A gRPC service of one module.
pub(crate) struct Service {
    /// The module: `<module>` of the package `pos.<module>.v1`.
    pub(crate) module: String,
    /// Short name, e.g. `CategoryService`.
    pub(crate) name: String,
    /// Full name, e.g. `pos.category.v1.CategoryService`.
    pub(crate) full_name: String,
    pub(crate) comment: String,
    pub(crate) methods: Vec<Method>,
}

/// An RPC and its REST bindings.
pub(crate) struct Method {
    pub(crate) name: String,
    /// Full name of the request message.
    pub(crate) input: String,
    /// Full name of the response message.
    pub(crate) output: String,
    pub(crate) comment: String,
    /// The `google.api.http` rule followed by its additional bindings; empty when the RPC has no
    /// REST binding.
    pub(crate) bindings: Vec<Binding>,
}

/// One REST binding of an RPC (a `google.api.http` rule or one of its additional bindings).
#[derive(Clone, Debug)]
pub(crate) struct Binding {
    /// Lower-case HTTP method (`get`, `post`, …; a custom pattern's kind, lower-cased).
    pub(crate) method: String,
    /// The path template as written, e.g. `/api/v1/categories/{category_id}:restore`.
    pub(crate) template: String,
    /// `""` (no body), `"*"` (the whole request) or the name of the request field in the body.
    pub(crate) body: String,
    /// `""` (the whole response) or the name of the response field that is the body.
    pub(crate) response_body: String,
}

/// A message and its fields.
pub(crate) struct Message {
    pub(crate) full_name: String,
    pub(crate) comment: String,
    pub(crate) fields: Vec<Field>,
    /// Whether this is the synthetic entry message of a `map<K, V>` field.
    pub(crate) map_entry: bool,
}

/// A field of a message.
pub(crate) struct Field {
    /// Proto name (`create_time`).
    pub(crate) name: String,
    /// proto3 JSON name (`createTime`).
    pub(crate) json_name: String,
    pub(crate) kind: Kind,
    pub(crate) repeated: bool,
    pub(crate) comment: String,
    /// Marked `(google.api.field_behavior) = REQUIRED`.
    pub(crate) required: bool,
    /// Marked `(google.api.field_behavior) = OUTPUT_ONLY`.
    pub(crate) output_only: bool,
    /// The (non-synthetic) oneof the field belongs to.
    pub(crate) oneof: Option<String>,
}

/// What a field holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Scalar(Type),
    /// Full name of the message type.
    Message(String),
    /// Full name of the enum type.
    Enum(String),
}

/// An enum and its values.
pub(crate) struct Enum {
    pub(crate) comment: String,
    /// (name, number, comment) in declaration order.
    pub(crate) values: Vec<(String, i32, String)>,
}

impl Contract {
    /// Reads and decodes the descriptor set file at `path`.
    pub(crate) fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        Self::decode(&bytes).with_context(|| format!("decoding {}", path.display()))
    }

    /// Decodes a serialized `FileDescriptorSet` (with source info for the comments).
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self> {
        let set = FileDescriptorSet::decode(bytes)?;
        let raw = raw::Set::decode(bytes)?;
        if raw.file.len() != set.file.len() {
            bail!("the two decodings of the descriptor set disagree");
        }
        let mut contract = Contract {
            set: FileDescriptorSet::default(),
            services: Vec::new(),
            messages: BTreeMap::new(),
            enums: BTreeMap::new(),
        };
        for (file, raw_file) in set.file.iter().zip(&raw.file) {
            contract.add_file(file, raw_file)?;
        }
        contract.set = set;
        Ok(contract)
    }

    /// The modules that have services, sorted.
    pub(crate) fn modules(&self) -> Vec<String> {
        let modules: BTreeSet<&str> = self.services.iter().map(|s| s.module.as_str()).collect();
        modules.into_iter().map(str::to_owned).collect()
    }

    /// The message named `full_name` (no leading dot).
    pub(crate) fn message(&self, full_name: &str) -> Result<&Message> {
        self.messages
            .get(full_name)
            .with_context(|| format!("message {full_name} is not in the descriptor set"))
    }

    /// The `(key, value)` fields when `field` is a `map<K, V>`.
    pub(crate) fn map_entry(&self, field: &Field) -> Option<(&Field, &Field)> {
        let Kind::Message(name) = &field.kind else {
            return None;
        };
        let entry = self.messages.get(name).filter(|m| m.map_entry)?;
        Some((entry.fields.first()?, entry.fields.get(1)?))
    }

    fn add_file(&mut self, file: &FileDescriptorProto, raw: &raw::File) -> Result<()> {
        let comments = Comments::of(file);
        let package = file.package();
        let prefix = if package.is_empty() {
            String::new()
        } else {
            format!("{package}.")
        };
        for (i, (message, raw_message)) in file.message_type.iter().zip(&raw.message_type).enumerate() {
            self.add_message(&prefix, message, raw_message, &comments, &[4, index(i)]);
        }
        for (i, enumeration) in file.enum_type.iter().enumerate() {
            self.add_enum(&prefix, enumeration, &comments, &[5, index(i)]);
        }
        let Some(module) = module_of(package) else {
            return Ok(());
        };
        for (i, (service, raw_service)) in file.service.iter().zip(&raw.service).enumerate() {
            if !service.name().ends_with("Service") {
                continue;
            }
            let mut methods = Vec::new();
            for (j, (method, raw_method)) in service.method.iter().zip(&raw_service.method).enumerate() {
                let rule = raw_method.options.as_ref().and_then(|o| o.http.as_ref());
                methods.push(Method {
                    name: method.name().to_owned(),
                    input: method.input_type().trim_start_matches('.').to_owned(),
                    output: method.output_type().trim_start_matches('.').to_owned(),
                    comment: comments.get(&[6, index(i), 2, index(j)]),
                    bindings: rule.map(bindings).transpose()?.unwrap_or_default(),
                });
            }
            self.services.push(Service {
                module: module.to_owned(),
                name: service.name().to_owned(),
                full_name: format!("{prefix}{}", service.name()),
                comment: comments.get(&[6, index(i)]),
                methods,
            });
        }
        Ok(())
    }

    fn add_message(
        &mut self,
        prefix: &str,
        message: &DescriptorProto,
        raw: &raw::Message,
        comments: &Comments,
        path: &[i32],
    ) {
        let full_name = format!("{prefix}{}", message.name());
        let nested_prefix = format!("{full_name}.");
        for (i, (nested, raw_nested)) in message.nested_type.iter().zip(&raw.nested_type).enumerate() {
            self.add_message(&nested_prefix, nested, raw_nested, comments, &child(path, 3, i));
        }
        for (i, enumeration) in message.enum_type.iter().enumerate() {
            self.add_enum(&nested_prefix, enumeration, comments, &child(path, 4, i));
        }
        let fields = message
            .field
            .iter()
            .enumerate()
            .map(|(i, field)| {
                let behaviors = raw
                    .field
                    .get(i)
                    .and_then(|f| f.options.as_ref())
                    .map(|o| o.field_behavior.clone())
                    .unwrap_or_default();
                let type_name = field.type_name().trim_start_matches('.').to_owned();
                let kind = match field.r#type() {
                    Type::Message | Type::Group => Kind::Message(type_name),
                    Type::Enum => Kind::Enum(type_name),
                    scalar => Kind::Scalar(scalar),
                };
                let oneof = field
                    .oneof_index
                    .filter(|_| !field.proto3_optional())
                    .and_then(|i| message.oneof_decl.get(usize::try_from(i).ok()?))
                    .map(|oneof| oneof.name().to_owned());
                Field {
                    name: field.name().to_owned(),
                    json_name: field
                        .json_name
                        .clone()
                        .unwrap_or_else(|| lower_camel(field.name())),
                    kind,
                    repeated: field.label() == Label::Repeated,
                    comment: comments.get(&child(path, 2, i)),
                    required: behaviors.contains(&REQUIRED),
                    output_only: behaviors.contains(&OUTPUT_ONLY),
                    oneof,
                }
            })
            .collect();
        let map_entry = message.options.as_ref().is_some_and(|o| o.map_entry());
        self.messages.insert(
            full_name.clone(),
            Message {
                full_name,
                comment: comments.get(path),
                fields,
                map_entry,
            },
        );
    }

    fn add_enum(
        &mut self,
        prefix: &str,
        enumeration: &EnumDescriptorProto,
        comments: &Comments,
        path: &[i32],
    ) {
        let full_name = format!("{prefix}{}", enumeration.name());
        let values = enumeration
            .value
            .iter()
            .enumerate()
            .map(|(i, value)| {
                (
                    value.name().to_owned(),
                    value.number(),
                    comments.get(&child(path, 2, i)),
                )
            })
            .collect();
        self.enums.insert(
            full_name,
            Enum {
                comment: comments.get(path),
                values,
            },
        );
    }
}

impl Method {
    /// Whether the RPC needs no access token: its comment says `Callers: anonymous`.
    pub(crate) fn anonymous(&self) -> bool {
        self.comment
            .lines()
            .any(|line| line.trim_start().starts_with("Callers: anonymous"))
    }
}

impl Binding {
    /// The field paths bound by the path template, in order (`category.id` for `{category.id}`).
    pub(crate) fn variables(&self) -> Vec<String> {
        pieces(&self.template)
            .into_iter()
            .filter_map(|piece| match piece {
                Piece::Variable { field, .. } => Some(field),
                _ => None,
            })
            .collect()
    }

    /// The template with every variable written `{name}` (patterns dropped), `rename` choosing
    /// the name of each variable from its field path.
    pub(crate) fn path_with(&self, mut rename: impl FnMut(&str) -> String) -> String {
        let mut path = String::new();
        for piece in pieces(&self.template) {
            match piece {
                Piece::Literal(text) => path.push_str(&text),
                Piece::Variable { field, .. } => {
                    path.push('{');
                    path.push_str(&rename(&field));
                    path.push('}');
                }
                Piece::Star => path.push('*'),
                Piece::StarStar => path.push_str("**"),
            }
        }
        path
    }

    /// The template with its variables and wildcards replaced by `{}`: two bindings with the same
    /// shape match the same URLs.
    pub(crate) fn shape(&self) -> String {
        self.path_with(|_| String::new())
    }

    /// Whether the template has no variable or wildcard (it matches exactly one path).
    pub(crate) fn is_literal(&self) -> bool {
        pieces(&self.template)
            .iter()
            .all(|piece| matches!(piece, Piece::Literal(_)))
    }

    /// An RE2 regular expression matching exactly the paths of the template (without query).
    pub(crate) fn regex(&self) -> String {
        let mut regex = String::from("^");
        for piece in pieces(&self.template) {
            match piece {
                Piece::Literal(text) => regex.push_str(&escape_regex(&text)),
                Piece::Variable { pattern, .. } => {
                    for (i, segment) in pattern.split('/').enumerate() {
                        if i > 0 {
                            regex.push('/');
                        }
                        regex.push_str(&match segment {
                            "*" => "[^/]+".to_owned(),
                            "**" => ".+".to_owned(),
                            literal => escape_regex(literal),
                        });
                    }
                }
                Piece::Star => regex.push_str("[^/]+"),
                Piece::StarStar => regex.push_str(".*"),
            }
        }
        regex.push('$');
        regex
    }
}

/// A part of a path template.
#[derive(Debug, PartialEq, Eq)]
enum Piece {
    Literal(String),
    Variable { field: String, pattern: String },
    Star,
    StarStar,
}

fn pieces(template: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut chars = template.chars().peekable();
    let flush = |literal: &mut String, pieces: &mut Vec<Piece>| {
        if !literal.is_empty() {
            pieces.push(Piece::Literal(std::mem::take(literal)));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '{' => {
                flush(&mut literal, &mut pieces);
                let inner: String = chars.by_ref().take_while(|&c| c != '}').collect();
                let (field, pattern) = inner.split_once('=').unwrap_or((&inner, "*"));
                pieces.push(Piece::Variable {
                    field: field.trim().to_owned(),
                    pattern: pattern.trim().to_owned(),
                });
            }
            '*' => {
                flush(&mut literal, &mut pieces);
                if chars.peek() == Some(&'*') {
                    chars.next();
                    pieces.push(Piece::StarStar);
                } else {
                    pieces.push(Piece::Star);
                }
            }
            c => literal.push(c),
        }
    }
    flush(&mut literal, &mut pieces);
    pieces
}

fn escape_regex(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.^$|?*+()[]{}".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// The rule and its additional bindings, flattened.
fn bindings(rule: &raw::HttpRule) -> Result<Vec<Binding>> {
    use raw::Pattern;
    let (method, template) = match &rule.pattern {
        Some(Pattern::Get(path)) => ("get".to_owned(), path.clone()),
        Some(Pattern::Put(path)) => ("put".to_owned(), path.clone()),
        Some(Pattern::Post(path)) => ("post".to_owned(), path.clone()),
        Some(Pattern::Delete(path)) => ("delete".to_owned(), path.clone()),
        Some(Pattern::Patch(path)) => ("patch".to_owned(), path.clone()),
        Some(Pattern::Custom(custom)) => (custom.kind.to_lowercase(), custom.path.clone()),
        None => bail!("a google.api.http rule without a pattern"),
    };
    let mut all = vec![Binding {
        method,
        template,
        body: rule.body.clone(),
        response_body: rule.response_body.clone(),
    }];
    for additional in &rule.additional_bindings {
        all.extend(bindings(additional)?);
    }
    Ok(all)
}

/// `<module>` of a `pos.<module>.v1` package.
pub(crate) fn module_of(package: &str) -> Option<&str> {
    let module = package.strip_prefix("pos.")?.strip_suffix(".v1")?;
    (!module.is_empty() && !module.contains('.') && module != "common").then_some(module)
}

/// proto3's default JSON name: `create_time` → `createTime`.
fn lower_camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn index(i: usize) -> i32 {
    i32::try_from(i).unwrap_or(i32::MAX)
}

fn child(path: &[i32], field: i32, i: usize) -> Vec<i32> {
    let mut path = path.to_vec();
    path.extend([field, index(i)]);
    path
}

/// The leading comments of a file's elements by source-info path.
struct Comments(BTreeMap<Vec<i32>, String>);

impl Comments {
    fn of(file: &FileDescriptorProto) -> Self {
        let mut comments = BTreeMap::new();
        for location in file.source_code_info.iter().flat_map(|info| &info.location) {
            if let Some(text) = &location.leading_comments {
                let text = text
                    .lines()
                    .map(|line| line.strip_prefix(' ').unwrap_or(line).trim_end())
                    .collect::<Vec<_>>()
                    .join("\n");
                comments.insert(location.path.clone(), text.trim().to_owned());
            }
        }
        Comments(comments)
    }

    fn get(&self, path: &[i32]) -> String {
        self.0.get(path).cloned().unwrap_or_default()
    }
}

/// Just enough of `descriptor.proto`, `google/api/http.proto` and `field_behavior.proto` to read
/// the two extensions prost-types drops.
mod raw {
    /// `FileDescriptorSet`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct Set {
        #[prost(message, repeated, tag = "1")]
        pub(super) file: Vec<File>,
    }

    /// `FileDescriptorProto`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct File {
        #[prost(message, repeated, tag = "4")]
        pub(super) message_type: Vec<Message>,
        #[prost(message, repeated, tag = "6")]
        pub(super) service: Vec<Service>,
    }

    /// `DescriptorProto`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct Message {
        #[prost(message, repeated, tag = "2")]
        pub(super) field: Vec<Field>,
        #[prost(message, repeated, tag = "3")]
        pub(super) nested_type: Vec<Message>,
    }

    /// `FieldDescriptorProto`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct Field {
        #[prost(message, optional, tag = "8")]
        pub(super) options: Option<FieldOptions>,
    }

    /// `FieldOptions` with the `google.api.field_behavior` extension.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct FieldOptions {
        #[prost(int32, repeated, packed = "false", tag = "1052")]
        pub(super) field_behavior: Vec<i32>,
    }

    /// `ServiceDescriptorProto`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct Service {
        #[prost(message, repeated, tag = "2")]
        pub(super) method: Vec<Method>,
    }

    /// `MethodDescriptorProto`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct Method {
        #[prost(message, optional, tag = "4")]
        pub(super) options: Option<MethodOptions>,
    }

    /// `MethodOptions` with the `google.api.http` extension.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct MethodOptions {
        #[prost(message, optional, tag = "72295728")]
        pub(super) http: Option<HttpRule>,
    }

    /// `google.api.HttpRule`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct HttpRule {
        #[prost(oneof = "Pattern", tags = "2, 3, 4, 5, 6, 8")]
        pub(super) pattern: Option<Pattern>,
        #[prost(string, tag = "7")]
        pub(super) body: String,
        #[prost(string, tag = "12")]
        pub(super) response_body: String,
        #[prost(message, repeated, tag = "11")]
        pub(super) additional_bindings: Vec<HttpRule>,
    }

    /// `google.api.HttpRule.pattern`.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub(super) enum Pattern {
        #[prost(string, tag = "2")]
        Get(String),
        #[prost(string, tag = "3")]
        Put(String),
        #[prost(string, tag = "4")]
        Post(String),
        #[prost(string, tag = "5")]
        Delete(String),
        #[prost(string, tag = "6")]
        Patch(String),
        #[prost(message, tag = "8")]
        Custom(CustomHttpPattern),
    }

    /// `google.api.CustomHttpPattern`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct CustomHttpPattern {
        #[prost(string, tag = "1")]
        pub(super) kind: String,
        #[prost(string, tag = "2")]
        pub(super) path: String,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(template: &str) -> Binding {
        Binding {
            method: "post".to_owned(),
            template: template.to_owned(),
            body: "*".to_owned(),
            response_body: String::new(),
        }
    }

    #[test]
    fn templates_become_names_shapes_and_regexes() {
        let b = binding("/api/v1/categories/{category.id}:restore");
        assert_eq!(b.variables(), ["category.id"]);
        assert_eq!(b.shape(), "/api/v1/categories/{}:restore");
        assert_eq!(b.regex(), r"^/api/v1/categories/[^/]+:restore$");
        assert!(!b.is_literal());
        let b = binding("/v1/{name=shelves/*/books/**}");
        assert_eq!(b.path_with(str::to_owned), "/v1/{name}");
        assert_eq!(b.regex(), r"^/v1/shelves/[^/]+/books/.+$");
        assert!(binding("/api/v1/auth:login").is_literal());
    }

    #[test]
    fn the_descriptor_set_has_every_module_and_its_bindings() {
        let contract = super::super::tests::contract();
        let modules = contract.modules();
        for module in ["auth", "category", "order", "transaction", "notification"] {
            assert!(
                modules.iter().any(|m| m == module),
                "{module} missing from {modules:?}"
            );
        }
        let category = contract
            .services
            .iter()
            .find(|s| s.full_name == "pos.category.v1.CategoryService")
            .expect("CategoryService");
        let get = category
            .methods
            .iter()
            .find(|m| m.name == "GetCategory")
            .expect("GetCategory");
        assert_eq!(get.bindings[0].method, "get");
        assert_eq!(get.bindings[0].template, "/api/v1/categories/{category_id}");
        assert!(!get.comment.is_empty());
        let field = &contract
            .message("pos.category.v1.Category")
            .expect("Category")
            .fields[0];
        assert_eq!((field.name.as_str(), field.output_only), ("id", true));
        let login = contract
            .services
            .iter()
            .flat_map(|s| &s.methods)
            .find(|m| m.name == "Login");
        assert!(login.is_some_and(Method::anonymous));
    }
}
