//! Output formats for a [`Report`]: text, JSON, JUnit XML, GitHub Actions
//! annotations and Markdown.

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

    /// `1 breaking, 2 warnings, 0 info`.
    pub fn summary(&self) -> String {
        let w = self.count(Severity::Warning);
        format!(
            "{} breaking, {} warning{}, {} info",
            self.count(Severity::Breaking),
            w,
            if w == 1 { "" } else { "s" },
            self.count(Severity::Info)
        )
    }

    /// Human text, one finding per block.
    pub fn to_text(&self) -> String {
        if self.is_empty() {
            return "no findings\n".to_owned();
        }
        let mut s = String::new();
        for f in &self.findings {
            let _ = writeln!(
                s,
                "{:<8} {}: {}",
                f.severity.as_str().to_ascii_uppercase(),
                f.rule,
                f.message
            );
            if let Some(op) = &f.operation {
                let _ = writeln!(s, "         operation: {op}");
            }
            if let Some(p) = &f.old {
                let _ = writeln!(s, "         old: {p}");
            }
            if let Some(p) = &f.new {
                let _ = writeln!(s, "         new: {p}");
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

    /// Pretty JSON.
    pub fn to_json(&self) -> Result<String, Error> {
        let mut s = serde_json::to_string_pretty(self)?;
        s.push('\n');
        Ok(s)
    }

    /// JUnit XML.
    pub fn to_junit(&self, title: &str) -> String {
        let failures = self.count(Severity::Breaking);
        let tests = self.findings.len().max(1);
        let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let name = xml(title);
        let _ = writeln!(
            s,
            "<testsuites name=\"{name}\" tests=\"{tests}\" failures=\"{failures}\">"
        );
        let _ = writeln!(s, "  <testsuite name=\"{name}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">");
        if self.is_empty() {
            let _ = writeln!(
                s,
                "    <testcase classname=\"{name}\" name=\"no findings\"/>"
            );
        }
        for f in &self.findings {
            let case = format!("{} {}", f.rule, f.pointer().unwrap_or(""));
            let _ = writeln!(
                s,
                "    <testcase classname=\"{name}.{}\" name=\"{}\">",
                xml(&f.rule),
                xml(case.trim_end())
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
        s.push_str("  </testsuite>\n</testsuites>\n");
        s
    }

    /// GitHub Actions annotations: breaking as `::error`, warnings as
    /// `::warning`, info as `::notice`.
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
            if let Some(p) = f.pointer() {
                let _ = write!(msg, " ({p})");
            }
            let _ = writeln!(s, "::{level} title={t}::{}", gh_data(&msg));
        }
        s
    }

    /// A Markdown section for a pull-request comment.
    pub fn to_markdown(&self, title: &str) -> String {
        let mut s = format!("### {title}: {}\n\n", self.summary());
        if self.is_empty() {
            s.push_str("No findings.\n");
            return s;
        }
        s.push_str("| Severity | Rule | Operation | Finding | Where |\n|---|---|---|---|---|\n");
        for f in &self.findings {
            let sev = match f.severity {
                Severity::Breaking => "**breaking**",
                Severity::Warning => "warning",
                Severity::Info => "info",
            };
            let op = f
                .operation
                .as_deref()
                .map_or_else(String::new, |o| format!("`{}`", md(o)));
            let at = f
                .pointer()
                .map_or_else(String::new, |p| format!("`{}`", md(p)));
            let _ = writeln!(
                s,
                "| {sev} | `{}` | {op} | {} | {at} |",
                f.rule,
                md(&f.message)
            );
        }
        s
    }
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
