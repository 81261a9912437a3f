//! The HTML report: one self-contained page (inline style, no script, no
//! external asset) with the summary by property and, for each failure, its
//! minimal sequence: every request as curl, what was expected, what came
//! back. Every text from the run is escaped, so a body the target sent
//! cannot inject markup.

use std::fmt::Write as _;

use super::{CheckResult, Report, Status};

const STYLE: &str = "
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#1b1f24}
h1{font-size:1.5em;margin-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #d0d7de}
code,pre{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:4px;padding:.6em;white-space:pre-wrap;word-break:break-all}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3em .6em;border-bottom:1px solid #eaeef2;vertical-align:top}
.badge{display:inline-block;padding:0 .5em;border-radius:1em;font-size:.85em;font-weight:600;background:#eaeef2}
.badge.passed{background:#dafbe1;color:#116329}.badge.failed{background:#ffebe9;color:#a40e26}
.badge.not-exercised{background:#fff8c5;color:#7d4e00}
.banner{padding:.7em 1em;border-radius:4px;margin:1em 0;font-weight:600}
.banner.warning{background:#fff8c5;border:1px solid #d4a72c}.banner.stop{background:#ffebe9;border:1px solid #cf222e}
.failure{border-left:4px solid #cf222e;padding-left:1em;margin:1.5em 0}.muted{color:#57606a}
";

/// HTML-escaped: the XML escape serves (every attribute here is
/// double-quoted).
fn esc(s: &str) -> String {
    super::xml(s)
}

fn badge(status: Status) -> String {
    format!(
        "<span class=\"badge {}\">{}</span>",
        status.key(),
        esc(status.label())
    )
}

impl Report {
    /// One self-contained HTML page.
    pub fn to_html(&self) -> String {
        let mut out = String::new();
        let title = format!("Conformance of {} against “{}”", self.target, self.spec);
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
            esc(&title)
        );
        let _ = writeln!(
            out,
            "<h1>Conformance of <code>{}</code></h1>\n<p class=\"muted\">against “{}”, {} \
             ({} requests, {} sequences, {:.1} s)</p>",
            esc(&self.target),
            esc(&self.spec),
            esc(&self.origin()),
            self.requests,
            self.sequences,
            self.seconds
        );
        if let Some(line) = &self.could_not_log_in {
            let _ = writeln!(
                out,
                "<div class=\"banner stop\">could not log in: {}</div>",
                esc(line)
            );
        }
        for w in &self.warnings {
            let _ = writeln!(
                out,
                "<div class=\"banner warning\">WARNING: {}</div>",
                esc(w)
            );
        }
        if let Some(line) = self.stop_line() {
            let _ = writeln!(out, "<div class=\"banner stop\">{}</div>", esc(&line));
        }
        if let Some(line) = self.unexercised_line() {
            let _ = writeln!(out, "<div class=\"banner warning\">{}</div>", esc(&line));
        }
        let tally: Vec<String> = self
            .tally()
            .iter()
            .map(|(s, n)| format!("{n} {}", badge(*s)))
            .collect();
        let _ = writeln!(out, "<p>{}</p>", tally.join(" "));
        self.summary(&mut out);
        let failures: Vec<(usize, &CheckResult)> = self
            .checks
            .iter()
            .enumerate()
            .filter(|(_, c)| c.status == Status::Failed)
            .collect();
        if !failures.is_empty() {
            out.push_str("<h2>Failures</h2>\n");
        }
        for (i, c) in failures {
            self.failure(&mut out, i, c);
        }
        out.push_str("</body>\n</html>\n");
        out
    }

    /// The table of every check, by group.
    fn summary(&self, out: &mut String) {
        out.push_str(
            "<h2>Summary by property</h2>\n<table>\n<thead><tr><th>group</th><th>check</th>\
             <th>status</th><th>checked</th><th>detail</th></tr></thead>\n<tbody>\n",
        );
        for (i, c) in self.checks.iter().enumerate() {
            let name = if c.status == Status::Failed {
                format!("<a href=\"#check-{i}\">{}</a>", esc(&c.name))
            } else {
                esc(&c.name)
            };
            let detail = c.message.as_deref().map(esc).unwrap_or_default();
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{name}</td><td>{}</td><td>{}</td><td>{detail}</td></tr>",
                c.group.as_str(),
                badge(c.status),
                c.checks
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }

    /// One failure with its minimal sequence.
    fn failure(&self, out: &mut String, i: usize, c: &CheckResult) {
        let _ = writeln!(
            out,
            "<section class=\"failure\" id=\"check-{i}\">\n<h3>{} <span class=\"muted\">({})</span></h3>",
            esc(&c.name),
            c.group.as_str()
        );
        if let Some(m) = &c.message {
            let _ = writeln!(out, "<p>{}</p>", esc(m));
        }
        if !c.steps.is_empty() {
            let r = self.reproduce();
            let flag = r
                .flag
                .as_deref()
                .map_or_else(String::new, |f| format!("<code>{}</code>", esc(f)));
            let mut steps = r.steps.to_owned();
            if let Some(first) = steps.get_mut(..1) {
                first.make_ascii_uppercase();
            }
            let _ = writeln!(out, "<p>{} ({}{flag}):</p>\n<ol>", esc(&steps), esc(r.how));
            for s in &c.steps {
                let _ = writeln!(out, "<li><p>{}</p>", esc(&s.step));
                if !s.curl.is_empty() {
                    let _ = writeln!(out, "<pre>{}</pre>", esc(&s.curl));
                }
                if s.status != 0 {
                    let _ = writeln!(
                        out,
                        "<p>expected {}; received <b>{}</b></p>",
                        esc(&s.expected),
                        s.status
                    );
                    if !s.body.is_empty() {
                        let _ = writeln!(out, "<pre>{}</pre>", esc(&s.body));
                    }
                } else if !s.body.is_empty() {
                    let _ = writeln!(out, "<p>{}</p>", esc(&s.body));
                }
                out.push_str("</li>\n");
            }
            out.push_str("</ol>\n");
        }
        out.push_str("</section>\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::Exchange;
    use crate::report::Group;

    #[test]
    fn everything_from_the_run_is_escaped() {
        let mut r = Report::new("<spec>", "http://x/\"><script>", 0);
        r.checks.push(CheckResult::failed(
            Group::Stateless,
            "op: <b>",
            1,
            "got <script>alert(1)</script>",
            vec![Exchange {
                step: "a & b".into(),
                curl: "curl -d '<x>'".into(),
                expected: "a 4xx".into(),
                status: 500,
                body: "</pre><img src=x onerror=alert(1)>".into(),
            }],
        ));
        let html = r.to_html();
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;/pre&gt;&lt;img src=x"), "{html}");
        assert!(!html.contains("src=\"http"), "no external asset: {html}");
        assert!(!html.contains("href=\"http"), "no external link: {html}");
    }
}
