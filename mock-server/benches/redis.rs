//! `cargo bench -p mock-server --bench redis`: throughput and p99 of a
//! login/me/refresh mix against one in-memory mock, one replica on Redis
//! and two replicas on one Redis (requests alternating), and the bytes a
//! session takes in Redis. Needs redis-server (scripts/redis/install.sh).
//! Figures in docs/performance.md.

#[path = "../tests/it/support_redis.rs"]
#[allow(dead_code)]
mod support_redis;

use std::sync::Arc;
use std::time::{Duration, Instant};

use mock_server::MockServer;
use serde_json::{json, Value};

/// Concurrent clients.
const CLIENTS: usize = 16;
/// Sessions each client starts; each session: login, then `ROUNDS` of
/// `GET /me` and a refresh.
const SESSIONS: usize = 8;
const ROUNDS: usize = 4;

struct Run {
    requests: usize,
    elapsed: Duration,
    p50: Duration,
    p99: Duration,
}

async fn client_loop(client: reqwest::Client, uris: Arc<Vec<String>>, who: usize) -> Vec<Duration> {
    let mut lat = Vec::new();
    let mut n = who;
    let mut next = |lat: &mut Vec<Duration>, t: Instant| {
        lat.push(t.elapsed());
        n += 1;
        uris[n % uris.len()].clone()
    };
    let mut uri = uris[who % uris.len()].clone();
    for _ in 0..SESSIONS {
        let t = Instant::now();
        let body: Value = client
            .post(format!("{uri}/auth/login"))
            .json(&json!({"username": "demo", "password": "demo"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        uri = next(&mut lat, t);
        let mut access = body["accessToken"].as_str().unwrap().to_owned();
        let mut refresh = body["refreshToken"].as_str().unwrap().to_owned();
        for _ in 0..ROUNDS {
            let t = Instant::now();
            let me = client
                .get(format!("{uri}/me"))
                .bearer_auth(&access)
                .send()
                .await
                .unwrap();
            assert_eq!(me.status(), 200);
            uri = next(&mut lat, t);
            let t = Instant::now();
            let body: Value = client
                .post(format!("{uri}/auth/refresh"))
                .json(&json!({"refreshToken": refresh}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            uri = next(&mut lat, t);
            access = body["accessToken"].as_str().unwrap().to_owned();
            refresh = body["refreshToken"].as_str().unwrap().to_owned();
        }
    }
    lat
}

async fn run(servers: &[MockServer]) -> Run {
    let uris = Arc::new(servers.iter().map(MockServer::uri).collect::<Vec<_>>());
    let client = reqwest::Client::new();
    let start = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|i| tokio::spawn(client_loop(client.clone(), uris.clone(), i)))
        .collect();
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    let elapsed = start.elapsed();
    lat.sort();
    let at = |q: f64| lat[((lat.len() as f64 * q) as usize).min(lat.len() - 1)];
    Run {
        requests: lat.len(),
        elapsed,
        p50: at(0.50),
        p99: at(0.99),
    }
}

fn print(name: &str, r: &Run) {
    println!(
        "{name:<28} {:>6} requests  {:>8.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms",
        r.requests,
        r.requests as f64 / r.elapsed.as_secs_f64(),
        r.p50.as_secs_f64() * 1e3,
        r.p99.as_secs_f64() * 1e3,
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() {
    let Some(mut redis) = support_redis::Redis::start() else {
        eprintln!("redis-server is not installed: scripts/redis/install.sh");
        return;
    };
    println!(
        "{CLIENTS} clients x {SESSIONS} sessions x (login + {ROUNDS} x (me + refresh)), \
         whole namespace state in one key"
    );
    let memory = MockServer::start().await;
    print(
        "in memory, one mock",
        &run(std::slice::from_ref(&memory)).await,
    );

    let one = MockServer::builder()
        .state_redis(redis.url())
        .start()
        .await
        .unwrap();
    let r = run(std::slice::from_ref(&one)).await;
    print("redis, one replica", &r);
    let sessions = one.sessions().len();
    let bytes = one.stored_bytes().unwrap().unwrap();
    println!(
        "redis MEMORY USAGE: {bytes} bytes for {sessions} stored sessions: {:.0} bytes a session",
        bytes as f64 / sessions.max(1) as f64
    );
    drop(one);
    redis.restart();

    let replicas = [
        MockServer::builder()
            .state_redis(redis.url())
            .start()
            .await
            .unwrap(),
        MockServer::builder()
            .state_redis(redis.url())
            .start()
            .await
            .unwrap(),
    ];
    print("redis, two replicas", &run(&replicas).await);
}
