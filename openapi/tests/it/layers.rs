//! The crate's modules form layers: no module reaches, directly or through
//! others, back to itself, and the behaviour model imports nothing of the
//! crate (ARCHITECTURE.md claims both).

use std::collections::{BTreeMap, BTreeSet};

/// The text of a module: its file, or every file of its directory.
fn module_text(path: &std::path::Path) -> String {
    if !path.is_dir() {
        return std::fs::read_to_string(path).unwrap();
    }
    let mut files: Vec<_> = std::fs::read_dir(path).unwrap().flatten().collect();
    files.sort_by_key(|e| e.path());
    files.iter().map(|e| module_text(&e.path())).collect()
}

/// Module name -> the crate modules its code (comments aside) names.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut graph = BTreeMap::new();
    for entry in std::fs::read_dir(src).unwrap().flatten() {
        let path = entry.path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" {
            continue;
        }
        let text = module_text(&path);
        let mut deps: BTreeSet<String> = graph.remove(&name).unwrap_or_default();
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for (i, _) in line.match_indices("crate::") {
                let rest = &line[i + "crate::".len()..];
                let dep: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !dep.is_empty() && dep != name {
                    deps.insert(dep);
                }
            }
            // `use crate::{a, b}` forms.
            if let Some(list) = line.trim().strip_prefix("use crate::{") {
                for dep in list.split([',', '}', ' ']).filter(|d| !d.is_empty()) {
                    let dep = dep.split("::").next().unwrap_or(dep);
                    if dep != name && dep.chars().all(|c| c.is_alphanumeric() || c == '_') {
                        deps.insert(dep.to_owned());
                    }
                }
            }
        }
        graph.insert(name, deps);
    }
    graph
}

#[test]
fn the_modules_have_no_cycle() {
    let graph = graph();
    assert!(graph.len() >= 10, "read {} modules", graph.len());
    // Depth-first search for a back edge.
    fn visit<'g>(
        m: &'g str,
        graph: &'g BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<&'g str>,
        done: &mut BTreeSet<&'g str>,
    ) {
        if done.contains(m) {
            return;
        }
        if let Some(i) = path.iter().position(|p| *p == m) {
            panic!("module cycle: {} -> {m}", path[i..].join(" -> "));
        }
        path.push(m);
        for dep in graph.get(m).into_iter().flatten() {
            visit(dep, graph, path, done);
        }
        path.pop();
        done.insert(m);
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        visit(m, &graph, &mut Vec::new(), &mut done);
    }
}

#[test]
fn the_model_imports_nothing_of_the_crate() {
    let graph = graph();
    assert_eq!(graph["model"], BTreeSet::new());
    // The vocabulary's bottom layers too.
    assert_eq!(graph["expr"], BTreeSet::new());
}
