//! The proxy's own paths under `/__mock/`: the dashboard (`ui`), the
//! journal of exchanges with violations (`journal`, JSON) and
//! `POST report`, which writes the reports and answers the JSON one.

use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;

use super::{problem, report_of, Shared};

/// The dashboard: the journal, refreshed every two seconds.
const UI: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>conformance proxy</title>
<style>body{font-family:sans-serif;margin:2em}td,th{padding:.3em .6em;text-align:left;vertical-align:top}
tr:nth-child(even){background:#f4f4f4}.p{color:#b00020;font-weight:bold}</style></head>
<body><h1>conformance proxy: violations</h1><p id="n">loading…</p>
<table><thead><tr><th>#</th><th>request</th><th>status</th><th>violations</th></tr></thead><tbody id="j"></tbody></table>
<script>
function esc(s){return String(s).replace(/[&<>"]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]))}
async function load(){const r=await fetch('/__mock/journal');const j=await r.json();
document.getElementById('n').textContent=j.length+' exchange(s) with violations';
document.getElementById('j').innerHTML=j.map(e=>'<tr><td>'+e.exchange+'</td><td>'+esc(e.method+' '+e.path)+'</td><td>'+e.status+'</td><td>'+
e.violations.map(v=>'<span class="p">'+esc(v[0])+'</span>: '+esc(v[1])).join('<br>')+'</td></tr>').join('')}
load();setInterval(load,2000);
</script></body></html>"#;

fn reply(content_type: &str, body: String) -> Response<Full<Bytes>> {
    Response::builder()
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(body)))
        .expect("a response")
}

/// Answer `method /__mock/{path}`.
pub(super) fn admin(shared: &Shared, method: &str, path: &str) -> Response<Full<Bytes>> {
    match (method, path) {
        ("GET", "ui") => reply("text/html; charset=utf-8", UI.to_owned()),
        ("GET", "journal") => {
            let journal = shared.journal.lock().expect("journal");
            let entries: Vec<_> = journal.iter().collect();
            reply(
                "application/json",
                serde_json::to_string(&entries).unwrap_or_default(),
            )
        }
        ("POST", "report") => {
            let report = report_of(shared);
            match shared.reports.write(&report) {
                Ok(()) => reply("application/json", report.to_json()),
                Err(e) => problem(
                    500,
                    &format!("cannot write the reports: {e}"),
                    Default::default(),
                ),
            }
        }
        _ => problem(
            404,
            &format!("the proxy has no {method} /__mock/{path}: GET ui, GET journal, POST report"),
            Default::default(),
        ),
    }
}
