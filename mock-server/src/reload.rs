//! `--watch`: the spec file is reloaded when it changes. A change that does
//! not load is logged with the load error (which names where in the
//! document it is wrong) and the last good spec goes on serving; a change
//! that loads replaces the served spec whole, and each namespace keeps its
//! sessions and tokens unless the lifecycle policy changed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use notify::{EventKind, RecursiveMode, Watcher};

use openapi::Spec;

use crate::builder::blank_model;
use crate::events::Change;
use crate::handler::Mock;
use crate::served::Served;

/// Watch `path` for the life of `mock`. The directory is watched, not the
/// file, since editors save by writing a new file and renaming it.
pub(crate) fn watch(mock: &Arc<Mock>, path: &Path) -> notify::Result<()> {
    let weak = Arc::downgrade(mock);
    let file: PathBuf = path.to_path_buf();
    let name = file.file_name().map(ToOwned::to_owned);
    let dir = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        let written = matches!(event.kind, EventKind::Create(_) | EventKind::Modify(_));
        let ours = event.paths.iter().any(|p| p.file_name() == name.as_deref());
        if let (true, true, Some(mock)) = (written, ours, weak.upgrade()) {
            reload(&mock, &file);
        }
    })?;
    watcher.watch(&dir, RecursiveMode::NonRecursive)?;
    *mock.watcher.lock() = Some(watcher);
    Ok(())
}

/// Load `path` again and serve it, or log why not.
pub(crate) fn reload(mock: &Mock, path: &Path) {
    let shown = path.display();
    let spec = match Spec::from_path(path) {
        Ok(spec) => spec,
        Err(e) => {
            let error = format!("{e}");
            tracing::error!(
                target: "mock_server::reload",
                "{shown} does not load, still serving the last good spec: {error}"
            );
            mock.changed(Change::Spec(Err(error)));
            return;
        }
    };
    let old = mock.served();
    if spec.document() == old.spec.document() {
        return;
    }
    let names =
        |s: &Spec| -> BTreeSet<String> { s.operations().iter().map(|o| o.name()).collect() };
    let (before, after) = (names(&old.spec), names(&spec));
    let added = after.difference(&before).count();
    let removed = before.difference(&after).count();
    let blank = blank_model(&spec, &mock.users);
    let title = spec.title().to_owned();
    let count = spec.operations().len();
    let served = match Served::reloaded(spec, &old, mock.spaces.store()) {
        Ok(served) => served,
        Err(e) => {
            let error = format!("{e}: the shared RS256 key could not be read");
            tracing::error!(
                target: "mock_server::reload",
                "{shown} is not served yet, still serving the last spec: {error}"
            );
            mock.changed(Change::Spec(Err(error)));
            return;
        }
    };
    let dropped = mock.spaces.reload(blank, served.signer.clone());
    mock.replace(served);
    tracing::info!(
        target: "mock_server::reload",
        "reloaded {shown}: \"{title}\", {count} operations ({added} new, {removed} gone)"
    );
    if dropped {
        tracing::warn!(
            target: "mock_server::reload",
            "the x-token-lifecycle policy changed: every namespace's sessions and tokens were forgotten"
        );
    }
    mock.changed(Change::Spec(Ok(title)));
}
