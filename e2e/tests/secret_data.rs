//! Whether Secret values ever reach the operator process: every byte between it and the API
//! server passes through a recording relay (operator → relay → `kubectl proxy` → API server, the
//! proxy authenticating as the chart's ServiceAccount). Without content checks, no request for
//! Secrets asks for more than metadata and no received byte holds a planted value; with them,
//! the values do arrive (so the relay would have seen them) and still never leave the process.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use palisade_e2e::{Operator, apply, get_json, kubectl_ok, operator_kubeconfig, port, wait_for};

const NAMESPACE: &str = "e2e-secret-data";
/// Planted in a Secret; base64 of it is what a full Secret read would carry.
const VALUE: &str = "relay-planted-value-7f3e9c1d";

fn base64(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let group = chunk
            .iter()
            .enumerate()
            .fold(0u32, |group, (at, byte)| group | (u32::from(*byte) << (16 - 8 * at)));
        for at in 0..4 {
            if at <= chunk.len() {
                out.push(char::from(ALPHABET[((group >> (18 - 6 * at)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// What crossed the relay: the requests' bytes and the responses' bytes, whole.
#[derive(Default)]
struct Recorded {
    requests: Vec<u8>,
    responses: Vec<u8>,
}

impl Recorded {
    fn received(&self, needle: &str) -> bool {
        self.responses
            .windows(needle.len())
            .any(|window| window == needle.as_bytes())
    }

    /// The head (request line and headers) of every request for Secrets.
    fn secret_requests(&self) -> Vec<String> {
        let text = String::from_utf8_lossy(&self.requests);
        text.split("\r\n\r\n")
            .filter_map(|part| {
                let start = ["GET ", "PATCH ", "POST ", "PUT ", "DELETE "]
                    .iter()
                    .filter_map(|method| part.find(method))
                    .min()?;
                let head = &part[start..];
                let request_line = head.lines().next()?;
                request_line.contains("/secrets").then(|| head.to_string())
            })
            .collect()
    }
}

/// Relays loopback connections to `upstream`, recording both directions.
fn relay(upstream: u16) -> (u16, Arc<Mutex<Recorded>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a relay port");
    let relay_port = listener.local_addr().expect("an address").port();
    let recorded = Arc::new(Mutex::new(Recorded::default()));
    let shared = Arc::clone(&recorded);
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                continue;
            };
            for (from, to, requests) in [
                (client.try_clone(), server.try_clone(), true),
                (server.try_clone(), client.try_clone(), false),
            ] {
                let (Ok(mut from), Ok(mut to)) = (from, to) else {
                    continue;
                };
                let recorded = Arc::clone(&shared);
                std::thread::spawn(move || {
                    let mut buffer = [0u8; 16384];
                    while let Ok(read) = from.read(&mut buffer) {
                        if read == 0 || to.write_all(&buffer[..read]).is_err() {
                            break;
                        }
                        let mut recorded = recorded.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                        let side = if requests {
                            &mut recorded.requests
                        } else {
                            &mut recorded.responses
                        };
                        side.extend_from_slice(&buffer[..read]);
                    }
                    let _ = to.shutdown(Shutdown::Write);
                });
            }
        }
    });
    (relay_port, recorded)
}

/// `kubectl proxy` authenticating as the chart's ServiceAccount, killed when dropped.
struct Proxy(Child);

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn proxy(kubeconfig: &std::path::Path, listen: u16) -> Proxy {
    let child = Command::new("kubectl")
        .args(["proxy", "--port", &listen.to_string(), "--address", "127.0.0.1"])
        .env("KUBECONFIG", kubeconfig)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl proxy starts");
    wait_for(30, "kubectl proxy to serve", || {
        TcpStream::connect(("127.0.0.1", listen))
            .map(|_| ())
            .map_err(|error| error.to_string())
    });
    Proxy(child)
}

/// Runs the operator through a fresh relay until it holds the planted Secret; returns what it
/// received and the operator (still running).
fn observe(extra: &[&str], offset: u16) -> (Arc<Mutex<Recorded>>, Operator, Proxy) {
    let proxy_port = port(offset);
    let proxy = proxy(&operator_kubeconfig(), proxy_port);
    let (relay_port, recorded) = relay(proxy_port);
    let kubeconfig = std::env::temp_dir().join(format!("palisade-e2e-relay-{offset}.kubeconfig"));
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: relay\n  cluster: {{server: \"http://127.0.0.1:{relay_port}\"}}\n\
             contexts:\n- name: relay\n  context: {{cluster: relay, user: relay}}\ncurrent-context: relay\nusers:\n- name: relay\n  user: {{}}\n"
        ),
    )
    .expect("kubeconfig written");
    let operator = Operator::start(&kubeconfig, &format!("e2e-relay-{offset}"), port(offset + 1), extra);
    operator.wait_leading(60);
    wait_for(60, "the planted Secret in the operator's cache", || {
        match operator.metric("palisade_cache_objects{kind=\"Secret\"} ") {
            Some(count) if count >= 1.0 => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
    wait_for(60, "a report of the namespace", || {
        get_json(&["posturereport", "posture", "-n", NAMESPACE])
            .map(|_| ())
            .ok_or_else(|| "no report".to_string())
    });
    std::thread::sleep(Duration::from_secs(2));
    (recorded, operator, proxy)
}

#[test]
fn secret_values_never_reach_the_operator_unless_content_checks_ask_and_never_leave_it() {
    apply(&format!(
        r#"{{"apiVersion": "v1", "kind": "List", "items": [
  {{"apiVersion": "v1", "kind": "Namespace", "metadata": {{"name": "{NAMESPACE}"}}}},
  {{"apiVersion": "v1", "kind": "Secret", "metadata": {{"name": "planted", "namespace": "{NAMESPACE}"}},
    "stringData": {{"password": "{VALUE}"}}}}]}}"#
    ));
    let encoded = base64(VALUE);

    let (recorded, operator, proxy) = observe(&[], 90);
    {
        let recorded = recorded.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let requests = recorded.secret_requests();
        assert!(!requests.is_empty(), "no request for Secrets crossed the relay");
        for request in &requests {
            assert!(
                request.to_ascii_lowercase().contains("as=partialobjectmetadata"),
                "a request for Secrets asks for more than metadata:\n{request}"
            );
        }
        assert!(
            !recorded.received(VALUE) && !recorded.received(&encoded),
            "a Secret's value reached the operator without content checks"
        );
    }
    assert!(operator.stop().success());
    drop(proxy);

    let (recorded, operator, proxy) = observe(&["--content-checks"], 92);
    {
        let recorded = recorded.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        assert!(
            recorded.received(&encoded),
            "with content checks the value must arrive, or this relay sees nothing"
        );
    }
    let outputs = [
        kubectl_ok(&["get", "posturereports", "-A", "-o", "json"]),
        kubectl_ok(&["get", "clusterposturereports", "-o", "json"]),
        kubectl_ok(&["get", "events", "-A", "-o", "json"]),
        operator.metrics(),
        operator.log_text(),
    ];
    for output in outputs {
        assert!(
            !output.contains(VALUE) && !output.contains(&encoded),
            "a Secret's value left the operator:\n{output}"
        );
    }
    assert!(operator.stop().success());
    drop(proxy);
    kubectl_ok(&["delete", "namespace", NAMESPACE, "--wait=false"]);
}
