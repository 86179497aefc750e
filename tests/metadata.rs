//! Cloud-init data (metadata-service) over HTTPS and the plain boot listener: the admin's
//! defaults, groups and instance info; each node served its own meta-data, vendor-data and
//! group files by the address it asks from (clients bound to 127.0.0.x), a spoofed
//! X-Forwarded-For ignored unless its peer is a trusted proxy, and who may do what.

mod common;

use std::net::IpAddr;

use chami::service::auth::Role;
use common::{assert_problem, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const ADMIN: &str = "/metadata-service/admin";

/// An HTTPS client that trusts `t`'s CA and speaks from `from`.
fn client_from(t: &TestServer, from: &str) -> reqwest::Client {
    let ca = std::fs::read(t.server.ca.as_ref().unwrap()).unwrap();
    reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .local_address(from.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

/// GET `url` from `client` (no token), with an optional X-Forwarded-For: status and text.
async fn fetch(client: &reqwest::Client, url: &str, xff: Option<&str>) -> (StatusCode, String) {
    let mut req = client.get(url);
    if let Some(x) = xff {
        req = req.header("X-Forwarded-For", x);
    }
    let resp = req.send().await.expect("request sent");
    (resp.status(), resp.text().await.unwrap())
}

/// Two nodes with interfaces on 127.0.0.2 and .3; x3000c0s0b0n0 in group `compute`; cluster
/// defaults, the group's file (base64) and the first node's instance info.
async fn seeded(t: &TestServer) {
    let (status, body) = t
        .post(
            "/hsm/v2/State/Components",
            json!({"Components": [
                {"ID": "x3000c0s0b0n0", "State": "Ready", "NID": 42, "Role": "Compute"},
                {"ID": "x3000c0s0b0n1", "State": "Ready", "NID": 43, "Role": "Compute"}]}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    for (mac, ip, id) in [
        ("02:00:00:00:00:02", "127.0.0.2", "x3000c0s0b0n0"),
        ("02:00:00:00:00:03", "127.0.0.3", "x3000c0s0b0n1"),
    ] {
        let (status, body) = t
            .post(
                "/hsm/v2/Inventory/EthernetInterfaces",
                json!({"MACAddress": mac, "ComponentID": id,
                       "IPAddresses": [{"IPAddress": ip}]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, body) = t
        .post(
            "/hsm/v2/groups",
            json!({"label": "compute", "members": {"ids": ["x3000c0s0b0n0"]}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = t
        .post(
            &format!("{ADMIN}/cluster-defaults"),
            json!({"cluster-name": "demo", "short-name": "nid", "nid-length": 6,
                   "public-keys": ["ssh-ed25519 AAAA admin@head"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // "#cloud-config\nruncmd:\n  - echo compute\n", base64.
    let (status, body) = t
        .post(
            &format!("{ADMIN}/groups"),
            json!({"name": "compute", "description": "Compute nodes",
                   "meta-data": {"syslog": "10.0.0.2"},
                   "file": {"content": "I2Nsb3VkLWNvbmZpZwpydW5jbWQ6CiAgLSBlY2hvIGNvbXB1dGUK",
                            "filename": "compute.yaml", "encoding": "base64"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = t
        .put(
            &format!("{ADMIN}/instance-info/x3000c0s0b0n0"),
            json!({"public-keys": ["ssh-ed25519 BBBB alice@laptop"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn each_node_gets_its_own_data_by_its_address() {
    let t = TestServer::start_with(|a| {
        a.boot_http_listen = Some(common::loopback());
        a.trusted_proxies = vec!["127.0.0.5".into()];
    })
    .await;
    seeded(&t).await;
    let base = t.server.url();
    let n0 = client_from(&t, "127.0.0.2");
    let n1 = client_from(&t, "127.0.0.3");

    let (status, text) = fetch(&n0, &format!("{base}/metadata-service/meta-data"), None).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let m: Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(m["local-hostname"], "nid000042");
    assert_eq!(m["cluster-name"], "demo");
    let v1 = &m["instance_data"]["v1"];
    assert_eq!(v1["local_ipv4"], "127.0.0.2");
    assert_eq!(
        v1["public_keys"],
        json!([
            "ssh-ed25519 AAAA admin@head",
            "ssh-ed25519 BBBB alice@laptop"
        ])
    );
    assert_eq!(v1["vendor_data"]["groups"]["compute"]["syslog"], "10.0.0.2");
    assert_eq!(v1["vendor_data"]["nid"], 42);
    // The same node, the same instance ID, every time.
    let (_, again) = fetch(&n0, &format!("{base}/cloud-init/meta-data"), None).await;
    let again: Value = serde_yaml::from_str(&again).unwrap();
    assert_eq!(again["instance-id"], m["instance-id"]);

    // vendor-data includes the node's groups' files, where the request came in.
    let (status, text) = fetch(&n0, &format!("{base}/cloud-init/vendor-data"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text, format!("#include\n{base}/cloud-init/compute.yaml\n"));
    let (status, text) = fetch(&n0, &format!("{base}/cloud-init/compute.yaml"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text, "#cloud-config\nruncmd:\n  - echo compute\n");
    let (_, text) = fetch(&n0, &format!("{base}/metadata-service/user-data"), None).await;
    assert_eq!(text, "#cloud-config");

    // The other node: its own name, no group, and not the group's file.
    let (_, text) = fetch(&n1, &format!("{base}/metadata-service/meta-data"), None).await;
    let m1: Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(m1["local-hostname"], "nid000043");
    assert_ne!(m1["instance-id"], m["instance-id"]);
    assert!(!text.contains("BBBB"), "{text}");
    let (status, text) = fetch(&n1, &format!("{base}/metadata-service/compute.yaml"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{text}");
    assert!(text.contains("not a member of group compute"), "{text}");
    let (_, text) = fetch(&n1, &format!("{base}/metadata-service/vendor-data"), None).await;
    assert_eq!(text, "#include\n");

    // An address no node has: 404 naming it. A spoofed X-Forwarded-For from an untrusted
    // peer changes nothing; from the trusted proxy it names the node.
    let stranger = client_from(&t, "127.0.0.4");
    let url = format!("{base}/metadata-service/meta-data");
    let (status, text) = fetch(&stranger, &url, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(text.contains("no node has address 127.0.0.4"), "{text}");
    let (status, _) = fetch(&stranger, &url, Some("127.0.0.2")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let proxy = client_from(&t, "127.0.0.5");
    let (status, text) = fetch(&proxy, &url, Some("10.9.9.9, 127.0.0.2")).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains("nid000042"), "{text}");

    // The plain boot listener serves the same reads, no token, and names itself in includes.
    let plain = format!("http://{}", t.server.boot_addr.unwrap());
    let n0_plain = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<IpAddr>().unwrap())
        .build()
        .unwrap();
    let (status, text) = fetch(&n0_plain, &format!("{plain}/cloud-init/meta-data"), None).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains("nid000042"), "{text}");
    let (_, text) = fetch(&n0_plain, &format!("{plain}/cloud-init/vendor-data"), None).await;
    assert_eq!(text, format!("#include\n{plain}/cloud-init/compute.yaml\n"));
    // Admin paths are not on it.
    let (status, _) = fetch(&n0_plain, &format!("{plain}{ADMIN}/groups"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A base URL in the defaults wins over where the request came in.
    let (status, body) = t
        .post(
            &format!("{ADMIN}/cluster-defaults"),
            json!({"cluster-name": "demo", "base-url": "http://10.0.0.1:8081/cloud-init"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, text) = fetch(&n0, &format!("{base}/cloud-init/vendor-data"), None).await;
    assert_eq!(
        text,
        "#include\nhttp://10.0.0.1:8081/cloud-init/compute.yaml\n"
    );
}

#[tokio::test]
async fn the_admin_api_checks_what_it_stores() {
    let t = TestServer::start().await;
    seeded(&t).await;
    let groups = format!("{ADMIN}/groups");

    let (status, list) = t.get(&groups).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["compute"]["description"], "Compute nodes");
    let got = t
        .post(
            &groups,
            json!({"name": "compute", "file": {"content": "", "filename": "x"}}),
        )
        .await;
    assert_problem(&got, StatusCode::CONFLICT, "already exists");
    let got = t
        .post(
            &groups,
            json!({"name": "io", "file": {"content": "%%%", "filename": "io.yaml", "encoding": "base64"}}),
        )
        .await;
    assert_problem(&got, StatusCode::BAD_REQUEST, "not base64");
    let got = t.post(&groups, json!({"name": "a b"})).await;
    assert_problem(&got, StatusCode::BAD_REQUEST, "'a b' is not valid");
    let got = t
        .post(&groups, json!({"name": "io", "colour": "red"}))
        .await;
    assert_problem(&got, StatusCode::BAD_REQUEST, "colour");
    let got = t
        .put(&format!("{groups}/compute"), json!({"name": "other"}))
        .await;
    assert_problem(
        &got,
        StatusCode::BAD_REQUEST,
        "the body names group 'other'",
    );
    let got = t.put(&format!("{groups}/nothere"), json!({})).await;
    assert_problem(&got, StatusCode::NOT_FOUND, "no cloud-init group 'nothere'");
    let (status, body) = t
        .put(
            &format!("{groups}/compute"),
            json!({"description": "Renamed", "file": {"content": "#cloud-config\n", "filename": "c"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, g) = t.get(&format!("{groups}/compute")).await;
    assert_eq!(g["description"], "Renamed");
    assert!(g.get("meta-data").is_none(), "PUT replaces: {g}");

    // Impersonation: what a node would get, for the admin.
    let (status, text) = t
        .raw(
            Method::GET,
            &format!("{ADMIN}/impersonation/x3000c0s0b0n0/compute.yaml"),
            "",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text, json!("#cloud-config\n"));
    let (status, text) = t
        .raw(
            Method::GET,
            &format!("{ADMIN}/impersonation/x3000c0s0b0n1/meta-data"),
            "",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.as_str().unwrap().contains("nid000043"), "{text}");

    // Instance info: only for a known node; its instance ID stays once set.
    let info = format!("{ADMIN}/instance-info");
    let got = t.put(&format!("{info}/x9c0s0b0n0"), json!({})).await;
    assert_problem(&got, StatusCode::NOT_FOUND, "node x9c0s0b0n0 not found");
    let got = t.put(&format!("{info}/bogus"), json!({})).await;
    assert_problem(&got, StatusCode::BAD_REQUEST, "bogus");
    t.put(
        &format!("{info}/x3000c0s0b0n1"),
        json!({"instance-id": "i-first"}),
    )
    .await;
    t.put(
        &format!("{info}/x3000c0s0b0n1"),
        json!({"instance-id": "i-second", "hostname": "n1.demo"}),
    )
    .await;
    let (_, i) = t.get(&format!("{info}/x3000c0s0b0n1")).await;
    assert_eq!(
        (&i["instance-id"], &i["hostname"]),
        (&json!("i-first"), &json!("n1.demo"))
    );

    // Delete, then it is gone; the node's file falls back to an empty cloud-config.
    let (status, _) = t.delete(&format!("{groups}/compute")).await;
    assert_eq!(status, StatusCode::OK);
    let got = t.delete(&format!("{groups}/compute")).await;
    assert_problem(&got, StatusCode::NOT_FOUND, "no cloud-init group");
    let (_, text) = t
        .raw(
            Method::GET,
            &format!("{ADMIN}/impersonation/x3000c0s0b0n0/compute.yaml"),
            "",
        )
        .await;
    assert_eq!(text, json!("#cloud-config"));

    // Admins only, reads too: files may carry site secrets.
    let operator = t.token("olga", &[Role::Operator]);
    let (status, _) = t.call(Method::GET, &groups, Some(&operator), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = t.call(Method::GET, &groups, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = t
        .call(
            Method::GET,
            "/cloud-init/admin/cluster-defaults",
            Some(&operator),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
