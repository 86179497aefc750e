//! Interop with a Redfish implementation no one here wrote: sushy-tools' fake driver over
//! HTTPS with basic auth (bcrypt cost 4). The client resets its systems and watches PowerState
//! change; chami's discovery walks it into inventory.
//!
//! It needs `sushy-emulator` (PyPI `sushy-tools`) and Python's `bcrypt`, so `cargo test` skips
//! it (ignored); `.ci/run` installs both into a venv and runs it with `--ignored`, pointing
//! `CHAMI_SUSHY_VENV` at the venv. Asked for without them, it fails and says why.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use chami::redfish::client::{Endpoint, PowerState, RedfishClient};
use common::TestServer;
use reqwest::StatusCode;
use serde_json::json;

struct Sushy {
    child: Child,
    port: u16,
    /// The CA that signed its certificate.
    cert: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Sushy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn venv() -> PathBuf {
    let v = std::env::var("CHAMI_SUSHY_VENV").unwrap_or_else(|_| {
        panic!("CHAMI_SUSHY_VENV is not set: point it at a venv with sushy-tools and bcrypt (see .ci/run)")
    });
    let v = PathBuf::from(v);
    assert!(
        v.join("bin/sushy-emulator").exists(),
        "{} has no bin/sushy-emulator: pip install sushy-tools bcrypt into it",
        v.display()
    );
    v
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_sushy() -> Sushy {
    let venv = venv();
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name);
    // A CA, and a certificate for 127.0.0.1 signed by it (the BMC's).
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    std::fs::write(p("ca.pem"), ca.pem()).unwrap();
    std::fs::write(p("cert.pem"), cert.pem()).unwrap();
    std::fs::write(p("key.pem"), key.serialize_pem()).unwrap();
    let hash = Command::new(venv.join("bin/python"))
        .args([
            "-c",
            "import bcrypt;print('admin:'+bcrypt.hashpw(b'password',bcrypt.gensalt(rounds=4)).decode())",
        ])
        .output()
        .expect("python runs");
    assert!(
        hash.status.success(),
        "bcrypt: {}",
        String::from_utf8_lossy(&hash.stderr)
    );
    std::fs::write(p("htpasswd"), &hash.stdout).unwrap();
    let port = free_port();
    let systems: Vec<String> = (0..2)
        .map(|i| {
            format!(
                "{{'uuid': '27946b59-9e44-4fa7-8e91-00000000000{i}', 'name': 'node{i}', \
                 'power_state': 'Off', 'external_notifier': False, \
                 'nics': [{{'mac': '02:00:00:00:00:0{i}', 'ip': '10.0.0.{i}'}}]}}"
            )
        })
        .collect();
    let conf = format!(
        "SUSHY_EMULATOR_FAKE_DRIVER = True\n\
         SUSHY_EMULATOR_LISTEN_IP = '127.0.0.1'\n\
         SUSHY_EMULATOR_LISTEN_PORT = {port}\n\
         SUSHY_EMULATOR_STATE_DIR = '{state}'\n\
         SUSHY_EMULATOR_AUTH_FILE = '{auth}'\n\
         SUSHY_EMULATOR_FAKE_SYSTEMS = [{systems}]\n",
        state = p("state").display(),
        auth = p("htpasswd").display(),
        systems = systems.join(", "),
    );
    std::fs::write(p("sushy.conf"), conf).unwrap();
    let log = std::fs::File::create(p("sushy.log")).unwrap();
    let child = Command::new(venv.join("bin/sushy-emulator"))
        .arg("--config")
        .arg(p("sushy.conf"))
        .args(["-i", "127.0.0.1", "-p", &port.to_string()])
        .arg("--ssl-certificate")
        .arg(p("cert.pem"))
        .arg("--ssl-key")
        .arg(p("key.pem"))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("sushy-emulator starts");
    let sushy = Sushy {
        child,
        port,
        cert: p("ca.pem"),
        _dir: dir,
    };
    // Wait (at most 30 s) for the service root.
    let c = RedfishClient::new();
    let ep = endpoint(&sushy);
    for _ in 0..300 {
        if c.service_root(&ep).await.is_ok() {
            return sushy;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = std::fs::read_to_string(sushy._dir.path().join("sushy.log")).unwrap_or_default();
    panic!("sushy-emulator did not answer within 30 s; its log:\n{log}");
}

fn endpoint(s: &Sushy) -> Endpoint {
    let mut ep = Endpoint::new(
        &format!("https://127.0.0.1:{}", s.port),
        "admin",
        "password",
    );
    ep.ca_pem = Some(Arc::new(std::fs::read(&s.cert).unwrap()));
    ep.timeout = Duration::from_secs(10);
    ep
}

#[tokio::test]
#[ignore = "needs sushy-tools in a venv (CHAMI_SUSHY_VENV); .ci/run installs it and runs --ignored"]
async fn client_resets_sushy_systems() {
    let s = start_sushy().await;
    let c = RedfishClient::new();
    let ep = endpoint(&s);
    let systems = c.members(&ep, "/redfish/v1/Systems").await.unwrap();
    assert_eq!(systems.len(), 2, "{systems:?}");
    let sys = c.get(&ep, &systems[0]).await.unwrap();
    let target = sys["Actions"]["#ComputerSystem.Reset"]["target"]
        .as_str()
        .unwrap()
        .to_string();
    let every = Duration::from_millis(250);
    let within = Duration::from_secs(20);
    c.reset(&ep, &target, "On").await.unwrap();
    c.wait_for_power(&ep, &systems[0], PowerState::On, every, within)
        .await
        .unwrap();
    c.reset(&ep, &target, "ForceOff").await.unwrap();
    c.wait_for_power(&ep, &systems[0], PowerState::Off, every, within)
        .await
        .unwrap();
    c.reset(&ep, &target, "On").await.unwrap();
    c.wait_for_power(&ep, &systems[0], PowerState::On, every, within)
        .await
        .unwrap();
    // A restart drops power at once, then comes back.
    c.reset(&ep, &target, "ForceRestart").await.unwrap();
    c.wait_for_power(&ep, &systems[0], PowerState::On, every, within)
        .await
        .unwrap();
    // Wrong credentials are named.
    let mut bad = endpoint(&s);
    bad.password = "nope".into();
    let err = c.members(&bad, "/redfish/v1/Systems").await.unwrap_err();
    assert!(
        err.message
            .contains("refused the credentials of user 'admin'"),
        "{err}"
    );
}

#[tokio::test]
#[ignore = "needs sushy-tools in a venv (CHAMI_SUSHY_VENV); .ci/run installs it and runs --ignored"]
async fn discovery_walks_sushy() {
    let s = start_sushy().await;
    let port = s.port;
    let cert: &Path = &s.cert;
    let cert = cert.to_path_buf();
    let t = TestServer::start_with(move |a| {
        a.redfish_ca_cert = Some(cert);
        a.redfish_port = port;
    })
    .await;
    let (status, body) = t
        .post(
            "/hsm/v2/Inventory/RedfishEndpoints",
            json!({"ID": "x3000c0s1b0", "FQDN": "127.0.0.1", "User": "admin", "Password": "password"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = t
        .post(
            "/hsm/v2/Inventory/Discover",
            json!({"xnames": ["x3000c0s1b0"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut done = serde_json::Value::Null;
    for _ in 0..300 {
        let (_, st) = t.get("/hsm/v2/Inventory/DiscoveryStatus/0").await;
        if st["Status"] == "Complete" {
            done = st;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        done["Details"]["x3000c0s1b0"]["LastDiscoveryStatus"], "DiscoverOK",
        "{done}"
    );
    let ids = t.ids("/hsm/v2/State/Components?type=Node").await;
    assert_eq!(ids, ["x3000c0s1b0n0", "x3000c0s1b0n1"]);
    let (_, ce) = t
        .get("/hsm/v2/Inventory/ComponentEndpoints/x3000c0s1b0n0")
        .await;
    let resets = &ce["RedfishSystemInfo"]["Actions"]["#ComputerSystem.Reset"]
        ["ResetType@Redfish.AllowableValues"];
    assert!(
        resets.as_array().unwrap().iter().any(|v| v == "ForceOff"),
        "{ce}"
    );
    let (_, nics) = t.get("/hsm/v2/Inventory/EthernetInterfaces").await;
    let macs: Vec<&str> = nics
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["MACAddress"].as_str().unwrap())
        .collect();
    assert!(
        macs.contains(&"02:00:00:00:00:00") && macs.contains(&"02:00:00:00:00:01"),
        "{nics}"
    );
}
