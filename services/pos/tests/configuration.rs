//! The configuration of `pos serve` and its documentation, `docs/configuration.md`, stay in step,
//! and a bad value stops the binary with a message naming the variable.

use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::Duration;

use pos_platform::Config;

/// Every environment variable `pos serve` reads is documented in docs/configuration.md.
#[test]
fn every_variable_serve_reads_is_documented() {
    let documented = documented_variables(&configuration_doc());
    let read = variables_serve_reads();
    assert!(
        read.contains("POS_MODULES"),
        "the configuration reads POS_MODULES: {read:?}"
    );

    let undocumented: Vec<&String> = read.difference(&documented).collect();

    assert!(
        undocumented.is_empty(),
        "docs/configuration.md does not document {undocumented:?}"
    );
}

/// The `pos serve` table of docs/configuration.md lists no variable that `pos serve` does not read.
#[test]
fn the_serve_table_documents_only_variables_serve_reads() {
    let doc = configuration_doc();
    let serve_table = doc
        .split("\n\n")
        .find(|block| block.trim_start().starts_with("| Variable"))
        .expect("docs/configuration.md has a variable table");
    let listed = documented_variables(serve_table);
    let read = variables_serve_reads();

    let stale: Vec<&String> = listed.difference(&read).collect();

    assert!(stale.is_empty(), "`pos serve` does not read {stale:?}");
}

/// A bad value stops `pos serve` with a non-zero exit and a message naming the variable.
#[tokio::test]
async fn a_bad_value_stops_serve_naming_the_variable() {
    let cases = [
        ("POS_MODULES", "inventory", "inventory"),
        ("POS_GRPC_ADDR", "nowhere", "nowhere"),
        ("POS_UPSTREAMS", "order=tcp://order:50051", "http://"),
        ("POS_LOG_FORMAT", "xml", "xml"),
        ("POS_SHUTDOWN_GRACE_SECONDS", "soon", "soon"),
    ];
    for (variable, value, detail) in cases {
        let output = tokio::time::timeout(
            Duration::from_secs(20),
            tokio::process::Command::new(env!("CARGO_BIN_EXE_pos"))
                .arg("serve")
                // Free ports, so a wrongly accepted value is seen as a running server, not a bind error.
                .env("POS_GRPC_ADDR", "127.0.0.1:0")
                .env("POS_ADMIN_ADDR", "127.0.0.1:0")
                .env(variable, value)
                .stdin(Stdio::null())
                .kill_on_drop(true)
                .output(),
        )
        .await
        .unwrap_or_else(|_| panic!("pos serve with {variable}={value:?} kept running"))
        .unwrap();

        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !output.status.success(),
            "{variable}={value:?} was accepted: {stderr}"
        );
        assert!(
            stderr.contains(variable),
            "{variable}={value:?}: the message does not name {variable}: {stderr}"
        );
        assert!(
            stderr.contains(detail),
            "{variable}={value:?}: the message does not say `{detail}`: {stderr}"
        );
    }
}

/// The environment variables of every argument of [`Config`].
fn variables_serve_reads() -> BTreeSet<String> {
    let command = <Config as clap::Args>::augment_args(clap::Command::new("x"));
    let mut variables = BTreeSet::new();
    for argument in command.get_arguments() {
        let variable = argument
            .get_env()
            .unwrap_or_else(|| panic!("argument `{}` has no environment variable", argument.get_id()));
        variables.insert(variable.to_str().unwrap().to_owned());
    }
    variables
}

fn configuration_doc() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/configuration.md"
    ))
    .expect("docs/configuration.md exists")
}

/// Variables named in the first cell of table rows (`` | `NAME` | ``) of `markdown`.
fn documented_variables(markdown: &str) -> BTreeSet<String> {
    markdown
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`'))
        .map(|(name, _)| name.to_owned())
        .collect()
}
