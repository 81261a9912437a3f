//! Output formats for a [`Report`]: text, JSON, JUnit XML, GitHub Actions
//! annotations and Markdown.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::str::FromStr;

use crate::error::Error;
use crate::finding::{Finding, Report, Severity};

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Plain text for a terminal.
    Text,
    /// The report as pretty JSON (`{"findings": [...]}`).
    Json,
    /// JUnit XML: one testcase per finding (breaking ones fail), or one
    /// passing testcase when there is none.
    Junit,
    /// GitHub Actions workflow commands (`::error title=...::...`).
    Github,
    /// A Markdown table for a pull-request comment.
    Markdown,
}

impl FromStr for Format {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s.to_ascii_lowercase().as_str() {
            "text" | "human" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            "junit" | "xml" => Ok(Format::Junit),
            "github" | "gha" => Ok(Format::Github),
            "markdown" | "md" => Ok(Format::Markdown),
            _ => Err(Error::UnknownFormat(s.to_owned())),
        }
    }
}

impl Report {
    /// Renders the report; `title` names it (the JUnit suite, the Markdown
    /// heading, the annotation titles), e.g. `spec drift` or `spec lint`.
    pub fn render(&self, format: Format, title: &str) -> String {
        match format {
            Format::Text => self.to_text(),
            Format::Json => self
                .to_json()
                .unwrap_or_else(|e| format!("{{\"error\": {:?}}}\n", e.to_string())),
            Format::Junit => self.to_junit(title),
            Format::Github => self.to_github(title),
            Format::Markdown => self.to_markdown(title),
        }
    }

    /// `1 breaking, 2 warnings, 0 info` (and `, 3 ignored` when a config
    /// hid some).
    pub fn summary(&self) -> String {
        let w = self.count(Severity::Warning);
        let mut s = format!(
            "{} breaking, {} warning{}, {} info",
            self.count(Severity::Breaking),
            w,
            if w == 1 { "" } else { "s" },
            self.count(Severity::Info)
        );
        if !self.ignored.is_empty() {
            let _ = write!(s, ", {} ignored", self.ignored.len());
        }
        s
    }

    /// Human text, one finding per block; a change to a shared component
    /// is one block under the component, listing every operation it
    /// reaches.
    pub fn to_text(&self) -> String {
        if self.is_empty() && self.ignored.is_empty() {
            return "no findings\n".to_owned();
        }
        let mut s = String::new();
        for entry in self.entries() {
            match entry {
                Entry::One(f) => text_block(&mut s, f, "", f.operation.as_deref().into_iter()),
                Entry::Shared(component, changes) => {
                    let ops = changes.iter().flat_map(|c| c.operations.iter()).count();
                    let _ = writeln!(
                        s,
                        "shared component {component}: {} change{}, {ops} findings",
                        changes.len(),
                        plural(changes.len())
                    );
                    for c in &changes {
                        text_block(&mut s, c.first, "  ", c.operations.iter().copied());
                    }
                }
            }
        }
        if !self.ignored.is_empty() {
            if !s.is_empty() {
                s.push('\n');
            }
            let _ = writeln!(s, "ignored by the config ({}):", self.ignored.len());
            for i in &self.ignored {
                let f = &i.finding;
                let _ = writeln!(s, "  {}: {}", f.rule, f.message);
                if let Some(op) = &f.operation {
                    let _ = writeln!(s, "           operation: {op}");
                }
                let _ = writeln!(s, "           until {}: {}", i.expires, i.reason);
            }
        }
        let _ = writeln!(
            s,
            "\n{} finding{}: {}",
            self.findings.len(),
            plural(self.findings.len()),
            self.summary()
        );
        s
    }

    /// The findings as the text and Markdown renderers show them: each on
    /// its own, except the changes to a shared component that reach
    /// several operations, gathered under the component. In the order of
    /// the findings (most severe first); a component stands where its most
    /// severe change is.
    fn entries(&self) -> Vec<Entry<'_>> {
        let mut changes: HashMap<ChangeKey<'_>, Change<'_>> = HashMap::new();
        for f in &self.findings {
            if let Some((_, k)) = change_key(f) {
                let change = changes.entry(k).or_insert(Change {
                    first: f,
                    operations: Vec::new(),
                });
                if let Some(op) = f.operation.as_deref() {
                    if !change.operations.contains(&op) {
                        change.operations.push(op);
                    }
                }
            }
        }
        changes.retain(|_, c| c.operations.len() > 1);
        let mut out: Vec<Entry<'_>> = Vec::new();
        let mut placed: HashMap<String, usize> = HashMap::new();
        let mut done: HashSet<ChangeKey<'_>> = HashSet::new();
        for f in &self.findings {
            let shared = change_key(f).filter(|(_, k)| done.contains(k) || changes.contains_key(k));
            let Some((component, k)) = shared else {
                out.push(Entry::One(f));
                continue;
            };
            let Some(change) = changes.remove(&k) else {
                continue; // placed with its first finding
            };
            done.insert(k);
            match placed.get(&component) {
                Some(&i) => {
                    if let Entry::Shared(_, list) = &mut out[i] {
                        list.push(change);
                    }
                }
                None => {
                    placed.insert(component.clone(), out.len());
                    out.push(Entry::Shared(component, vec![change]));
                }
            }
        }
        out
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> Result<String, Error> {
        let mut s = serde_json::to_string_pretty(self)?;
        s.push('\n');
        Ok(s)
    }

    /// JUnit XML.
    pub fn to_junit(&self, title: &str) -> String {
        let failures = self.count(Severity::Breaking);
        let skipped = self.ignored.len();
        let tests = (self.findings.len() + skipped).max(1);
        let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let name = xml(title);
        let _ = writeln!(
            s,
            "<testsuites name=\"{name}\" tests=\"{tests}\" failures=\"{failures}\">"
        );
        let _ = writeln!(s, "  <testsuite name=\"{name}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">");
        if self.is_empty() && self.ignored.is_empty() {
            let _ = writeln!(
                s,
                "    <testcase classname=\"{name}\" name=\"no findings\"/>"
            );
        }
        for f in &self.findings {
            let _ = writeln!(
                s,
                "    <testcase classname=\"{name}.{}\" name=\"{}\">",
                xml(&f.rule),
                xml(&junit_case(f))
            );
            if f.severity == Severity::Breaking {
                let _ = writeln!(
                    s,
                    "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                    f.severity,
                    xml(&f.message),
                    xml(&details(f))
                );
            } else {
                let _ = writeln!(
                    s,
                    "      <system-out>{}: {}</system-out>",
                    f.severity,
                    xml(&details(f))
                );
            }
            s.push_str("    </testcase>\n");
        }
        for i in &self.ignored {
            let f = &i.finding;
            let _ = writeln!(
                s,
                "    <testcase classname=\"{name}.{}\" name=\"{}\">\n      <skipped message=\"ignored until {}: {}\"/>\n    </testcase>",
                xml(&f.rule),
                xml(&junit_case(f)),
                xml(&i.expires),
                xml(&i.reason)
            );
        }
        s.push_str("  </testsuite>\n</testsuites>\n");
        s
    }

    /// GitHub Actions annotations: breaking as `::error`, warnings as
    /// `::warning`, info as `::notice`; one per finding, so a change to a
    /// shared component is annotated once per operation it reaches.
    pub fn to_github(&self, title: &str) -> String {
        let mut s = String::new();
        for f in &self.findings {
            let level = match f.severity {
                Severity::Breaking => "error",
                Severity::Warning => "warning",
                Severity::Info => "notice",
            };
            let t = gh_property(&format!("{title}: {}", f.rule));
            let mut msg = f.message.clone();
            match (f.operation.as_deref(), f.pointer()) {
                (Some(op), Some(p)) => {
                    let _ = write!(msg, " ({op}; {p})");
                }
                (Some(x), None) | (None, Some(x)) => {
                    let _ = write!(msg, " ({x})");
                }
                (None, None) => {}
            }
            let _ = writeln!(s, "::{level} title={t}::{}", gh_data(&msg));
        }
        s
    }

    /// A Markdown section for a pull-request comment: a table of the
    /// findings, then one table per shared component whose changes reach
    /// several operations (each change once, with the operations it
    /// reaches).
    pub fn to_markdown(&self, title: &str) -> String {
        let mut s = format!("### {title}: {}\n\n", self.summary());
        if self.is_empty() {
            s.push_str("No findings.\n");
        }
        let entries = self.entries();
        let ones: Vec<&Finding> = entries
            .iter()
            .filter_map(|e| match e {
                Entry::One(f) => Some(*f),
                Entry::Shared(..) => None,
            })
            .collect();
        if !ones.is_empty() {
            s.push_str(
                "| Severity | Rule | Operation | Finding | Where |\n|---|---|---|---|---|\n",
            );
        }
        for f in ones {
            let op = f
                .operation
                .as_deref()
                .map_or_else(String::new, |o| format!("`{}`", md(o)));
            let _ = writeln!(
                s,
                "| {} | `{}` | {op} | {} | {} |",
                md_severity(f.severity),
                f.rule,
                md(&f.message),
                md_pointer(f)
            );
        }
        for entry in &entries {
            let Entry::Shared(component, changes) = entry else {
                continue;
            };
            if !s.ends_with("\n\n") {
                s.push('\n');
            }
            let _ = write!(
                s,
                "#### Shared component `{}`\n\n| Severity | Rule | Finding | Operations | Where |\n|---|---|---|---|---|\n",
                md(component)
            );
            for c in changes {
                let ops: Vec<String> = c
                    .operations
                    .iter()
                    .map(|o| format!("`{}`", md(o)))
                    .collect();
                let ops = if ops.len() <= MD_OPERATIONS_INLINE {
                    ops.join("<br>")
                } else {
                    format!(
                        "<details><summary>{} operations</summary>{}</details>",
                        ops.len(),
                        ops.join("<br>")
                    )
                };
                let f = c.first;
                let _ = writeln!(
                    s,
                    "| {} | `{}` | {} | {ops} | {} |",
                    md_severity(f.severity),
                    f.rule,
                    md(&f.message),
                    md_pointer(f)
                );
            }
        }
        if !self.ignored.is_empty() {
            let _ = write!(
                s,
                "\n<details><summary>{} ignored by the config</summary>\n\n| Rule | Operation | Finding | Until | Reason |\n|---|---|---|---|---|\n",
                self.ignored.len()
            );
            for i in &self.ignored {
                let f = &i.finding;
                let op = f
                    .operation
                    .as_deref()
                    .map_or_else(String::new, |o| format!("`{}`", md(o)));
                let _ = writeln!(
                    s,
                    "| `{}` | {op} | {} | {} | {} |",
                    f.rule,
                    md(&f.message),
                    i.expires,
                    md(&i.reason)
                );
            }
            s.push_str("\n</details>\n");
        }
        s
    }
}

/// Up to this many operations of a shared change are listed in its
/// Markdown cell as they are; more fold into a `<details>`.
const MD_OPERATIONS_INLINE: usize = 3;

/// What makes findings of several operations one change: rule, severity,
/// message and pointers.
type ChangeKey<'k> = (&'k str, Severity, &'k str, Option<&'k str>, Option<&'k str>);

/// The component of a finding about an operation, and its change's key.
fn change_key(f: &Finding) -> Option<(String, ChangeKey<'_>)> {
    let c = f.component.as_ref()?;
    f.operation.as_ref()?;
    let key = (
        f.rule.as_str(),
        f.severity,
        f.message.as_str(),
        f.old.as_deref(),
        f.new.as_deref(),
    );
    Some((c.clone(), key))
}

/// One finding, or the changes to one shared component.
enum Entry<'a> {
    One(&'a Finding),
    Shared(String, Vec<Change<'a>>),
}

/// One change to a shared component: its first finding, and every
/// operation it reaches.
struct Change<'a> {
    first: &'a Finding,
    operations: Vec<&'a str>,
}

fn text_block<'a>(
    s: &mut String,
    f: &Finding,
    indent: &str,
    mut operations: impl ExactSizeIterator<Item = &'a str>,
) {
    let _ = writeln!(
        s,
        "{indent}{:<8} {}: {}",
        f.severity.as_str().to_ascii_uppercase(),
        f.rule,
        f.message
    );
    match operations.len() {
        0 => {}
        1 => {
            let op = operations.next().unwrap_or_default();
            let _ = writeln!(s, "{indent}         operation: {op}");
        }
        n => {
            let _ = writeln!(s, "{indent}         operations ({n}):");
            for op in operations {
                let _ = writeln!(s, "{indent}           {op}");
            }
        }
    }
    if let Some(p) = &f.old {
        let _ = writeln!(s, "{indent}         old: {p}");
    }
    if let Some(p) = &f.new {
        let _ = writeln!(s, "{indent}         new: {p}");
    }
}

/// A JUnit testcase's name: rule, operation and pointer.
fn junit_case(f: &Finding) -> String {
    [Some(f.rule.as_str()), f.operation.as_deref(), f.pointer()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
}

fn md_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Breaking => "**breaking**",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

fn md_pointer(f: &Finding) -> String {
    f.pointer()
        .map_or_else(String::new, |p| format!("`{}`", md(p)))
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn details(f: &Finding) -> String {
    let mut d = f.message.clone();
    if let Some(op) = &f.operation {
        let _ = write!(d, "\noperation: {op}");
    }
    if let Some(p) = &f.old {
        let _ = write!(d, "\nold: {p}");
    }
    if let Some(p) = &f.new {
        let _ = write!(d, "\nnew: {p}");
    }
    d
}

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

fn gh_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn gh_property(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn md(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}
