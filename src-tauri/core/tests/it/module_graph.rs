//! The core's modules form a graph without cycles: among the modules of one parent (the crate's
//! top-level modules, or `scim`'s, or `tunnel`'s), none reaches back to one that reaches it.
//! A cycle is how a god object starts (`desk` needing `directory` needing `desk`), so a new one
//! fails the test command, naming the modules and the references that close it.
//!
//! The graph is read from the source: every `crate::…` and `super::…` path outside a file's
//! `#[cfg(test)]` tests, including the lists of a `use` (`use crate::{a, b::c}`), and the
//! names the crate root re-exports (`pub use desk::{Desk, …}`). A reference of a module to its
//! own parent or child (a `mod.rs` and its files) is how Rust nests code, not a cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Module = Vec<String>;

#[test]
fn the_core_has_no_cycles_between_modules() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = Graph::read(&src);
    assert!(
        graph.modules.len() > 20,
        "the source was read: {:?}",
        graph.modules.keys().collect::<Vec<_>>()
    );
    let cycles = graph.cycles();
    assert!(
        cycles.is_empty(),
        "modules that reach each other (break the cycle: move what both need into a module \
         below them):\n{}",
        cycles.join("\n")
    );
}

/// The check can fail: a cycle written into a copy of the source is found and named.
#[test]
fn a_cycle_is_found_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "lib.rs",
        "pub mod a;\npub mod b;\npub mod c;\npub use a::Thing;\n",
    );
    write(
        "a/mod.rs",
        "mod inner;\nuse crate::c::Leaf;\npub struct Thing;\n",
    );
    // A child naming its parent is nesting, not a cycle.
    write(
        "a/inner.rs",
        "use super::Thing;\nuse crate::{b::Other, c};\n",
    );
    write(
        "b.rs",
        "// crate::c::NotARealReference in a comment\npub struct Other(crate::Thing);\n",
    );
    write(
        "c.rs",
        "pub struct Leaf;\n#[cfg(test)]\nmod tests {\n    use crate::a::Thing;\n}\n",
    );
    let graph = Graph::read(dir.path());
    let cycles = graph.cycles();
    assert_eq!(cycles.len(), 1, "{cycles:?}");
    assert!(
        cycles[0].contains("a -> b") && cycles[0].contains("b -> a"),
        "{}",
        cycles[0]
    );

    // Without the reference through the re-export, the graph is a tree.
    write("b.rs", "pub struct Other;\n");
    assert_eq!(Graph::read(dir.path()).cycles(), Vec::<String>::new());
}

struct Graph {
    /// Every module, by path, with the modules its code refers to.
    modules: BTreeMap<Module, BTreeSet<Module>>,
}

impl Graph {
    fn read(src: &Path) -> Graph {
        let mut files = BTreeMap::new();
        collect(src, src, &mut files);
        let reexports = reexports(files.get(&Vec::new()).map_or("", String::as_str));
        let known: BTreeSet<Module> = files.keys().cloned().collect();
        let mut modules = BTreeMap::new();
        for (module, text) in &files {
            let mut targets = BTreeSet::new();
            for path in references(&without_tests(&strip_comments(text))) {
                let absolute = match path.first().map(String::as_str) {
                    Some("crate") => path[1..].to_vec(),
                    Some("super") => {
                        let ups = path.iter().take_while(|s| *s == "super").count();
                        let mut up = module[..module.len().saturating_sub(ups)].to_vec();
                        up.extend_from_slice(&path[ups..]);
                        up
                    }
                    _ => continue,
                };
                let absolute = match absolute.first().and_then(|n| reexports.get(n)) {
                    Some(home) => home.clone(),
                    None => absolute,
                };
                let target = (0..=absolute.len())
                    .rev()
                    .map(|n| absolute[..n].to_vec())
                    .find(|m| known.contains(m))
                    .unwrap_or_default();
                if &target != module {
                    targets.insert(target);
                }
            }
            modules.insert(module.clone(), targets);
        }
        Graph { modules }
    }

    /// Each cycle among the children of one module, as "parent: a -> b, b -> a".
    fn cycles(&self) -> Vec<String> {
        // Edges between siblings: a reference from anywhere under `parent::a` to anywhere under
        // `parent::b` is an edge a -> b among `parent`'s children.
        let mut siblings: BTreeMap<Module, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
        for (from, targets) in &self.modules {
            for to in targets {
                let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
                if common < from.len() && common < to.len() {
                    siblings
                        .entry(from[..common].to_vec())
                        .or_default()
                        .entry(from[common].clone())
                        .or_default()
                        .insert(to[common].clone());
                }
            }
        }
        let mut found = Vec::new();
        for (parent, edges) in &siblings {
            for component in strongly_connected(edges) {
                let inside: Vec<String> = component
                    .iter()
                    .flat_map(|a| {
                        edges[a]
                            .iter()
                            .filter(|b| component.contains(*b))
                            .map(move |b| format!("{a} -> {b}"))
                    })
                    .collect();
                let parent = match parent.is_empty() {
                    true => "crate".to_owned(),
                    false => parent.join("::"),
                };
                found.push(format!("{parent}: {}", inside.join(", ")));
            }
        }
        found
    }
}

/// The library's `.rs` files under `dir`, by module path (`tunnel/mod.rs` is `tunnel`, `lib.rs`
/// the root); the binary's `main.rs` is a crate of its own.
fn collect(root: &Path, dir: &Path, out: &mut BTreeMap<Module, String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if dir == root
            && path
                .file_name()
                .is_some_and(|n| n == "main.rs" || n == "bin")
        {
            continue;
        }
        if path.is_dir() {
            collect(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(root).unwrap().with_extension("");
            let mut module: Module = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(
                module.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                module.pop();
            }
            out.insert(module, std::fs::read_to_string(&path).unwrap());
        }
    }
}

/// What the crate root re-exports: `pub use desk::{Desk, DeskError};` maps both names to `desk`.
fn reexports(root: &str) -> BTreeMap<String, Module> {
    let mut names = BTreeMap::new();
    for line in root.lines() {
        let Some(rest) = line.trim().strip_prefix("pub use ") else {
            continue;
        };
        let rest = rest.trim_end_matches(';');
        let Some((module, items)) = rest.split_once("::") else {
            continue;
        };
        let module = module.trim_start_matches("crate::").to_owned();
        for item in items.trim_matches(|c| c == '{' || c == '}').split(',') {
            let name = item.split(" as ").last().unwrap_or(item).trim();
            let name = name.rsplit("::").next().unwrap_or(name);
            if !name.is_empty() {
                names.insert(name.to_owned(), vec![module.clone()]);
            }
        }
    }
    names
}

/// The text without `//` comments (doc comments name modules in prose).
fn strip_comments(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            // `"https://…"` in a string is not a comment.
            Some(at) if line[..at].matches('"').count() % 2 == 0 => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text before its `#[cfg(test)]` module of tests: tests may reach anywhere.
fn without_tests(text: &str) -> String {
    let mut rest = text;
    while let Some(at) = rest.find("#[cfg(test)]") {
        let after = rest[at + "#[cfg(test)]".len()..].trim_start();
        let after = after
            .strip_prefix("pub(in crate::scim::schema) ")
            .or_else(|| after.strip_prefix("pub(crate) "))
            .unwrap_or(after);
        if after.starts_with("mod tests") {
            return text[..text.len() - rest.len() + at].to_owned();
        }
        rest = &rest[at + 1..];
    }
    text.to_owned()
}

/// Every `crate::…` and `super::…` path in the text, with the items of `{…}` lists expanded.
fn references(text: &str) -> Vec<Vec<String>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    for start in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(at) = text[from..].find(start) {
            let at = from + at;
            from = at + start.len();
            let boundary =
                at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
            if boundary {
                let head = start.trim_end_matches("::").to_owned();
                path_at(text, at + start.len(), vec![head], &mut out);
            }
        }
    }
    out
}

/// The path continuing at `at` after `prefix`: segments joined by `::`, possibly ending in a
/// `{…}` list whose items are paths of their own.
fn path_at(text: &str, mut at: usize, mut prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    loop {
        let rest = &text[at..];
        if let Some(list) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item_start = 0;
            for (i, c) in list.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth > 0 => depth -= 1,
                    ',' | '}' if depth == 0 => {
                        let item_at = at + 1 + item_start;
                        let item = &text[item_at..at + 1 + i];
                        let skipped = item.len() - item.trim_start().len();
                        if !item.trim().is_empty() {
                            path_at(text, item_at + skipped, prefix.clone(), out);
                        }
                        item_start = i + 1;
                        if c == '}' {
                            return;
                        }
                    }
                    _ => {}
                }
            }
            return;
        }
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if len == 0 {
            out.push(prefix);
            return;
        }
        let segment = &rest[..len];
        if segment != "self" {
            prefix.push(segment.to_owned());
        }
        at += len;
        match text[at..].strip_prefix("::") {
            Some(_) => at += 2,
            None => {
                out.push(prefix);
                return;
            }
        }
    }
}

/// The strongly connected components of more than one node (Tarjan's algorithm).
fn strongly_connected(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    struct State<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<BTreeSet<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        for w in s.edges.get(v).into_iter().flatten() {
            if !s.index.contains_key(w.as_str()) {
                visit(s, w);
                let low = s.low[v].min(s.low[w.as_str()]);
                s.low.insert(v, low);
            } else if s.stack.contains(&w.as_str()) {
                let low = s.low[v].min(s.index[w.as_str()]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = BTreeSet::new();
            while let Some(w) = s.stack.pop() {
                component.insert(w.to_owned());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                s.found.push(component);
            }
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.found
}
