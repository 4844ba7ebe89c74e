//! Architecture rules checked on the source tree (run by `cargo test -p xtask`):
//! module crates never depend on each other, and a module's SQL names only its own schema.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, ensure};

/// Every module with the PostgreSQL schema that holds its tables (mirrors `pos_api::Module`).
const MODULES: [(&str, &str); 11] = [
    ("auth", "auth"),
    ("user", "users"),
    ("role", "roles"),
    ("merchant", "merchants"),
    ("cashier", "cashiers"),
    ("category", "categories"),
    ("product", "products"),
    ("order", "orders"),
    ("transaction", "transactions"),
    ("report", "reports"),
    ("notification", "notifications"),
];

/// No module crate (`pos-<module>`) depends on another module crate, in any dependency kind.
#[test]
fn no_module_crate_depends_on_another_module_crate() {
    let metadata = cargo_metadata().unwrap();
    let packages = metadata["packages"]
        .as_array()
        .expect("`packages` in cargo metadata");
    let module_crates: Vec<String> = MODULES
        .iter()
        .map(|(module, _)| format!("pos-{module}"))
        .collect();

    let mut found = Vec::new();
    let mut violations = Vec::new();
    for package in packages {
        let name = package["name"].as_str().unwrap_or_default();
        if !module_crates.iter().any(|crate_name| crate_name == name) {
            continue;
        }
        found.push(name.to_owned());
        for dependency in package["dependencies"].as_array().into_iter().flatten() {
            let dependency = dependency["name"].as_str().unwrap_or_default();
            if dependency != name && module_crates.iter().any(|crate_name| crate_name == dependency) {
                violations.push(format!("{name} depends on {dependency}"));
            }
        }
    }

    found.sort();
    let mut expected = module_crates.clone();
    expected.sort();
    assert_eq!(found, expected, "every module has its crate in the workspace");
    assert!(
        violations.is_empty(),
        "module crates depend on each other: {violations:#?}"
    );
}

/// Each migration names a known module, and the SQL of a module (its migrations and the string
/// literals of `services/<module>/src`) qualifies names with no schema but its own.
#[test]
fn module_sql_names_only_its_own_schema() {
    let root = project_root();
    let mut violations = Vec::new();

    let mut migrations = 0;
    for path in files(&root.join("migrations"), "sql").unwrap() {
        let file_name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(module) = migration_module(&file_name) else {
            violations.push(format!(
                "migrations/{file_name}: not named `<version>_<module>_<description>.sql` with a known module"
            ));
            continue;
        };
        migrations += 1;
        let sql = std::fs::read_to_string(&path).unwrap();
        for (line, name) in foreign_schema_names(&without_sql_comments(&sql), module) {
            violations.push(format!(
                "migrations/{file_name}:{line}: `{name}` is not in {module}'s schema"
            ));
        }
    }
    assert!(
        migrations >= 2 * MODULES.len(),
        "found only {migrations} migrations"
    );

    for (module, _) in MODULES {
        let src = root.join("services").join(module).join("src");
        let sources = files(&src, "rs").unwrap();
        assert!(!sources.is_empty(), "services/{module}/src has no .rs file");
        for path in sources {
            let code = std::fs::read_to_string(&path).unwrap();
            let shown = path.strip_prefix(&root).unwrap_or(&path).display().to_string();
            for (line, name) in foreign_schema_names(&string_literals_only(&code), module) {
                violations.push(format!("{shown}:{line}: `{name}` is not in {module}'s schema"));
            }
        }
    }

    assert!(violations.is_empty(), "{violations:#?}");
}

/// The scanner finds a foreign schema-qualified name in SQL and in Rust string literals, and
/// leaves alone prose, package names, method calls and the module's own schema.
#[test]
fn the_schema_scanner_tells_foreign_names_from_other_text() {
    let sql = "SELECT * FROM orders.orders o JOIN \"products\".stock s ON true;\n-- reads categories.x\n";
    let names = foreign_schema_names(&without_sql_comments(sql), "order");
    assert_eq!(names, vec![(1, "products.stock".to_owned())]);

    let rust = "//! grants of roles to users.\n\
                let auth = ctx.auth; auth.user_id(); let topic = \"pos.auth.v1.events\";\n\
                let c = '\"'; sqlx::query(r#\"SELECT 1 FROM auth.sessions\"#);\n";
    let names = foreign_schema_names(&string_literals_only(rust), "order");
    assert_eq!(names, vec![(3, "auth.sessions".to_owned())]);
    assert!(foreign_schema_names(&string_literals_only(rust), "auth").is_empty());
}

/// The workspace root (the parent of `xtask/`).
fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

fn cargo_metadata() -> Result<serde_json::Value> {
    let manifest = project_root().join("Cargo.toml");
    let output = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--manifest-path",
        ])
        .arg(&manifest)
        .output()
        .context("running cargo metadata")?;
    ensure!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).context("parsing cargo metadata")
}

/// Files under `dir` (recursively) whose extension is `extension`, sorted.
fn files(dir: &Path, extension: &str) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == extension) {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// The module of a migration file `<version>_<module>_<description>.sql`, if it is a known one.
fn migration_module(file_name: &str) -> Option<&'static str> {
    let (version, rest) = file_name.split_once('_')?;
    if version.is_empty() || !version.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let (module, description) = rest.split_once('_')?;
    if description.is_empty() || !file_name.ends_with(".sql") {
        return None;
    }
    MODULES.iter().map(|(name, _)| *name).find(|name| *name == module)
}

fn schema_of(module: &str) -> &'static str {
    MODULES
        .iter()
        .find(|(name, _)| *name == module)
        .map(|(_, schema)| *schema)
        .expect("a known module")
}

fn is_identifier_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// `(line, schema.name)` of every name qualified with a module schema other than `module`'s.
///
/// A qualified name is a schema (optionally double-quoted) right after a character that cannot be
/// part of a name (nor a `.`, which would make it `pos.auth.v1`-style dotted text), followed by a
/// `.` and the start of a name. Prose such as "roles to users." is therefore not a match.
fn foreign_schema_names(text: &str, module: &str) -> Vec<(usize, String)> {
    let own = schema_of(module);
    let chars: Vec<char> = text.chars().collect();
    let mut found = Vec::new();
    let mut line = 1;
    for start in 0..chars.len() {
        if chars[start] == '\n' {
            line += 1;
        }
        let before = start.checked_sub(1).map(|i| chars[i]);
        if before.is_some_and(|c| is_identifier_char(c) || c == '.') {
            continue;
        }
        let quoted = chars[start] == '"';
        let name_start = if quoted { start + 1 } else { start };
        for (_, schema) in MODULES {
            if schema == own {
                continue;
            }
            let schema_chars: Vec<char> = schema.chars().collect();
            let name_end = name_start + schema_chars.len();
            if chars.get(name_start..name_end) != Some(schema_chars.as_slice()) {
                continue;
            }
            let mut dot = name_end;
            if quoted {
                if chars.get(dot) != Some(&'"') {
                    continue;
                }
                dot += 1;
            } else if chars.get(dot).is_some_and(|c| is_identifier_char(*c)) {
                continue;
            }
            if chars.get(dot) != Some(&'.') {
                continue;
            }
            let Some(&next) = chars.get(dot + 1) else { continue };
            if !(next.is_ascii_alphabetic() || next == '_' || next == '"') {
                continue;
            }
            let object: String = chars[dot + 1..]
                .iter()
                .skip_while(|c| **c == '"')
                .take_while(|c| is_identifier_char(**c))
                .collect();
            found.push((line, format!("{schema}.{object}")));
        }
    }
    found
}

/// `sql` with `--` comments blanked (string literals respected); line numbers are kept.
fn without_sql_comments(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut in_string = false;
    let mut in_comment = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' {
            in_comment = false;
            out.push(c);
        } else if in_comment {
            out.push(' ');
        } else if in_string {
            in_string = c != '\'';
            out.push(c);
        } else if c == '\'' {
            in_string = true;
            out.push(c);
        } else if c == '-' && chars.peek() == Some(&'-') {
            in_comment = true;
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// Only the contents of the string literals of Rust `code` (plain, raw and byte strings), where its
/// SQL lives; everything else (code, comments, char literals) is blanked and line numbers are kept.
fn string_literals_only(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    let mut out = String::with_capacity(code.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        // An identifier character before `r` makes it part of a name, except the `b` of `br"…"`.
        let previous_is_identifier = i > 0
            && is_identifier_char(chars[i - 1])
            && !(chars[i - 1] == 'b' && (i < 2 || !is_identifier_char(chars[i - 2])));
        if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r' && !previous_is_identifier && matches!(chars.get(i + 1), Some('#' | '"')) {
            // Raw string r"…", r#"…"#, …
            let mut hashes = 0;
            let mut j = i + 1;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            for _ in i..=j {
                out.push(' ');
            }
            i = j + 1;
            while i < chars.len() {
                let closes = chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#'));
                if closes {
                    for _ in 0..=hashes {
                        out.push(' ');
                    }
                    i += hashes + 1;
                    break;
                }
                out.push(chars[i]);
                i += 1;
            }
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    out.push(' ');
                    out.push(blank(chars[i + 1]));
                    i += 2;
                } else {
                    out.push(chars[i]);
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\'', '"') or a lifetime ('a).
            let literal_end = if chars.get(i + 1) == Some(&'\\') {
                (i + 2..chars.len()).find(|&k| chars[k] == '\'' && k > i + 2)
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            let end = literal_end.unwrap_or(i);
            out.extend(chars[i..=end].iter().map(|c| blank(*c)));
            i = end + 1;
        } else {
            out.push(blank(c));
            i += 1;
        }
    }
    out
}
