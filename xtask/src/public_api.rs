//! `cargo xtask public-api [--check]`: the public API of every publishable crate, as listed by
//! `cargo public-api`, kept in `api/<crate>.txt` so that a change to it is a reviewed diff.
//!
//! The crates are the workspace members that may be published; each is listed with the features
//! its `[package.metadata.docs.rs]` names (what docs.rs will show), and with blanket impls
//! (`impl<T> From<T> for T`, …) left out. Auto traits (`Send`, `Sync`, `Unpin`) and derived
//! impls stay: losing one breaks users as surely as removing a method.
//!
//! `cargo public-api` reads rustdoc's JSON output, which only a nightly toolchain writes; its
//! format changes between nightlies, so the tool's version is pinned here and in `.ci/run`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// The `cargo-public-api` release the snapshots are written with.
pub const TOOL_VERSION: &str = "0.52.0";

/// One publishable crate and the features its API is listed with.
struct Package {
    name: String,
    features: Vec<String>,
    all_features: bool,
}

pub fn run(root: &Path, check: bool) -> Result<(), String> {
    check_tool()?;
    let dir = root.join("api");
    // A check only reads: a missing `api/` is a snapshot that differs, not one to make.
    if !check {
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut changed = Vec::new();
    for package in publishable(root)? {
        let listing = list(root, &package)?;
        let path = dir.join(format!("{}.txt", package.name));
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed == listing {
            println!(
                "{}: unchanged ({} lines)",
                package.name,
                listing.lines().count()
            );
            continue;
        }
        if check {
            changed.push(format!(
                "api/{}.txt:\n{}",
                package.name,
                difference(&committed, &listing)
            ));
        } else {
            std::fs::write(&path, &listing)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!(
                "api/{}.txt: written ({} lines)",
                package.name,
                listing.lines().count()
            );
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    Err(format!(
        "the public API differs from the snapshot (- only in the snapshot, + only in the code):\n\n{}\n\
         If the change is intended, run `cargo xtask public-api` and commit `api/`.",
        changed.join("\n")
    ))
}

fn check_tool() -> Result<(), String> {
    let install = format!(
        "install it with `cargo install cargo-public-api --version {TOOL_VERSION} --locked`; \
         it also needs a nightly toolchain (`rustup toolchain install nightly --profile minimal`)"
    );
    let out = Command::new("cargo")
        .args(["public-api", "--version"])
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let version = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!("cargo-public-api is not installed: {install}"));
    }
    if version.split_whitespace().nth(1) != Some(TOOL_VERSION) {
        return Err(format!(
            "found {}, the snapshots are written with cargo-public-api {TOOL_VERSION}: {install}",
            version.trim()
        ));
    }
    Ok(())
}

/// The workspace members that may be published, with their docs.rs features.
fn publishable(root: &Path) -> Result<Vec<Package>, String> {
    let out = Command::new("cargo")
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--manifest-path",
        ])
        .arg(root.join("Cargo.toml"))
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let metadata: Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("cargo metadata: {e}"))?;
    let mut packages = Vec::new();
    for p in metadata["packages"].as_array().into_iter().flatten() {
        // `publish = false` reads as an empty list of registries.
        if p["publish"].as_array().is_some_and(Vec::is_empty) {
            continue;
        }
        let docs_rs = &p["metadata"]["docs"]["rs"];
        packages.push(Package {
            name: p["name"].as_str().unwrap_or_default().to_owned(),
            features: docs_rs["features"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str().map(str::to_owned))
                .collect(),
            all_features: docs_rs["all-features"].as_bool() == Some(true),
        });
    }
    packages.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(packages)
}

fn list(root: &Path, package: &Package) -> Result<String, String> {
    let mut cmd = Command::new("cargo");
    cmd.args(["public-api", "--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .args([
            "-p",
            &package.name,
            "--omit",
            "blanket-impls",
            "--color",
            "never",
        ]);
    if package.all_features {
        cmd.arg("--all-features");
    } else if !package.features.is_empty() {
        cmd.args(["--features", &package.features.join(",")]);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run cargo public-api: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo public-api -p {} failed:\n{}",
            package.name,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| format!("{}: {e}", package.name))
}

/// The lines only in `old` (`-`) and only in `new` (`+`), each in its file's order.
fn difference(old: &str, new: &str) -> String {
    let (mut in_new, mut in_old) = (line_counts(new), line_counts(old));
    let mut out = String::new();
    for line in old.lines() {
        let n = in_new.entry(line).or_default();
        if *n > 0 {
            *n -= 1;
        } else {
            let _ = writeln!(out, "- {line}");
        }
    }
    for line in new.lines() {
        let n = in_old.entry(line).or_default();
        if *n > 0 {
            *n -= 1;
        } else {
            let _ = writeln!(out, "+ {line}");
        }
    }
    out
}

fn line_counts(text: &str) -> std::collections::HashMap<&str, usize> {
    let mut counts = std::collections::HashMap::new();
    for line in text.lines() {
        *counts.entry(line).or_default() += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::difference;

    #[test]
    fn difference_lists_removed_then_added_lines_once_each() {
        let old = "pub fn a()\npub fn b()\npub fn b()\n";
        let new = "pub fn b()\npub fn c()\n";
        assert_eq!(
            difference(old, new),
            "- pub fn a()\n- pub fn b()\n+ pub fn c()\n"
        );
        assert_eq!(difference(new, new), "");
    }
}
