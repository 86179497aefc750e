//! BSS `/boot/v1` over HTTPS (and the plain-HTTP boot listener): boot parameter round trips,
//! fallback order, exact iPXE scripts, ETags with concurrent edits, history and undo, and bad
//! input.

mod common;

use chami::service::auth::Role;
use common::{assert_problem, read, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const BP: &str = "/boot/v1/bootparameters";

/// Four nodes: n1 (NID 1, Compute, MAC ..:01), n2 (NID 2, Compute, in group gpu),
/// n3 (NID 3, Compute), n4 (NID 4, Service); and a BMC.
async fn cluster() -> TestServer {
    let t = TestServer::start().await;
    let (status, body) = t
        .post(
            "/hsm/v2/State/Components",
            json!({"Components": [
                {"ID": "x3000c0s1b0n0", "State": "Ready", "NID": 1, "Role": "Compute"},
                {"ID": "x3000c0s2b0n0", "State": "Ready", "NID": 2, "Role": "Compute"},
                {"ID": "x3000c0s3b0n0", "State": "Ready", "NID": 3, "Role": "Compute"},
                {"ID": "x3000c0s4b0n0", "State": "Ready", "NID": 4, "Role": "Service"},
                {"ID": "x3000c0s1b0", "State": "Ready"},
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    for (mac, node) in [
        ("a4:bf:01:00:00:01", "x3000c0s1b0n0"),
        ("a4:bf:01:00:00:02", "x3000c0s2b0n0"),
        ("a4:bf:01:00:00:03", "x3000c0s3b0n0"),
        ("a4:bf:01:00:00:04", "x3000c0s4b0n0"),
    ] {
        let (status, body) = t
            .post(
                "/hsm/v2/Inventory/EthernetInterfaces",
                json!({"MACAddress": mac, "ComponentID": node}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, body) = t
        .post(
            "/hsm/v2/groups",
            json!({"label": "gpu", "members": {"ids": ["x3000c0s2b0n0"]}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    t
}

/// Sends a request and returns status, headers and body.
async fn send(
    t: &TestServer,
    method: Method,
    path: &str,
    body: Option<Value>,
    if_match: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut req = t.client.request(method, t.url(path)).bearer_auth(&t.admin);
    if let Some(b) = body {
        req = req.json(&b);
    }
    if let Some(m) = if_match {
        req = req.header("if-match", m);
    }
    let resp = req.send().await.expect("request sent");
    let headers = resp.headers().clone();
    let (status, body) = read(resp).await;
    (status, headers, body)
}

fn etag(h: &reqwest::header::HeaderMap) -> String {
    h.get("etag")
        .expect("ETag header")
        .to_str()
        .unwrap()
        .to_string()
}

/// The bootscript as text, over HTTPS without a token.
async fn script(t: &TestServer, query: &str) -> (StatusCode, String) {
    let resp = t
        .client
        .get(t.url(&format!("/boot/v1/bootscript?{query}")))
        .send()
        .await
        .expect("request sent");
    let status = resp.status();
    (status, resp.text().await.expect("body"))
}

#[tokio::test]
async fn crud_round_trip_with_bss_shapes() {
    let t = cluster().await;
    let (status, h, body) = send(
        &t,
        Method::POST,
        BP,
        Some(
            json!({"hosts": ["x3000c0s1b0n0"], "params": "console=ttyS0",
                    "kernel": "http://10.0.0.1/k", "initrd": "http://10.0.0.1/i"}),
        ),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body, Value::Null, "POST answers with no body, as BSS");
    let token = h.get("bss-referral-token").expect("referral token");
    assert_eq!(token.len(), 36);
    let created_tag = etag(&h);

    // Read back by name, MAC and NID; the ETag is the one the write returned.
    for q in ["name=x3000c0s1b0n0", "mac=A4-BF-01-00-00-01", "nid=1"] {
        let (status, h, body) = send(&t, Method::GET, &format!("{BP}?{q}"), None, None).await;
        assert_eq!(status, StatusCode::OK, "{q}: {body}");
        assert_eq!(etag(&h), created_tag, "{q}");
        assert_eq!(
            body,
            json!([{"hosts": ["x3000c0s1b0n0"], "params": "console=ttyS0",
                    "kernel": "http://10.0.0.1/k", "initrd": "http://10.0.0.1/i",
                    "cloud-init": {"meta-data": null, "user-data": null, "phone-home": {
                        "pub_key_dsa": "", "pub_key_rsa": "", "pub_key_ecdsa": "",
                        "instance_id": "", "hostname": "", "fqdn": ""}}}]),
            "{q}"
        );
    }
    // ochami-rs sends its host filter as a GET body.
    let (status, _, body) = send(
        &t,
        Method::GET,
        BP,
        Some(json!({"hosts": ["x3000c0s1b0n0"], "params": "", "kernel": "", "initrd": ""})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body[0]["hosts"], json!(["x3000c0s1b0n0"]));

    // POST again: BSS's 400 "Already exists", nothing changed.
    let (status, _, body) = send(
        &t,
        Method::POST,
        BP,
        Some(json!({"hosts": ["x3000c0s1b0n0"], "kernel": "http://10.0.0.1/other"})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .contains("Already exists: x3000c0s1b0n0"));
    // A writer that asked to create only gets a failed precondition.
    let resp = t
        .client
        .post(t.url(BP))
        .bearer_auth(&t.admin)
        .header("If-None-Match", "*")
        .json(&json!({"hosts": ["x3000c0s1b0n0"], "kernel": "http://10.0.0.1/other"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::PRECONDITION_FAILED);

    // PATCH: params replaced, kernel kept, token kept; user-data merged in.
    let (status, _, body) = send(
        &t,
        Method::PATCH,
        BP,
        Some(
            json!({"macs": ["a4:bf:01:00:00:01"], "params": "console=ttyS1 quiet",
                    "cloud-init": {"user-data": {"runcmd": ["true"]}}}),
        ),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, _, body) = send(
        &t,
        Method::GET,
        &format!("{BP}?name=x3000c0s1b0n0"),
        None,
        None,
    )
    .await;
    assert_eq!(body[0]["params"], "console=ttyS1 quiet");
    assert_eq!(body[0]["kernel"], "http://10.0.0.1/k");
    assert_eq!(
        body[0]["cloud-init"]["user-data"],
        json!({"runcmd": ["true"]})
    );

    // PUT replaces whole (initrd and params cleared) and answers with what it set.
    let (status, h, body) = send(
        &t,
        Method::PUT,
        BP,
        Some(json!({"nids": [1, 3], "kernel": "http://10.0.0.1/k2"})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(h.get("bss-referral-token").is_some());
    assert_eq!(body["hosts"], json!(["x3000c0s1b0n0", "x3000c0s3b0n0"]));
    assert_eq!(body["kernel"], "http://10.0.0.1/k2");
    let (_, _, all) = send(&t, Method::GET, BP, None, None).await;
    assert_eq!(all.as_array().unwrap().len(), 2, "{all}");
    assert_eq!(
        all[0]["initrd"],
        Value::Null,
        "PUT cleared the initrd: {all}"
    );

    // DELETE by name; then a GET is a 404 in BSS's words.
    let (status, _, body) = send(
        &t,
        Method::DELETE,
        BP,
        Some(json!({"hosts": ["x3000c0s1b0n0", "x3000c0s3b0n0"]})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_problem(
        &t.get(&format!("{BP}?name=x3000c0s1b0n0")).await,
        StatusCode::NOT_FOUND,
        "Cannot find boot parameters for requested Hosts",
    );
    assert_problem(
        &t.get(&format!("{BP}?name=x3000c0s1b0n0&mac=a4bf01000003&nid=3"))
            .await,
        StatusCode::NOT_FOUND,
        "requested Hosts, MACs or NIDs",
    );
    let (status, all) = t.get(BP).await;
    assert_eq!((status, all), (StatusCode::OK, json!([])));
}

#[tokio::test]
async fn bad_input_is_refused_by_name_and_changes_nothing() {
    let t = cluster().await;
    let cases: Vec<(Method, Value, StatusCode, &str)> = vec![
        (
            Method::POST,
            json!({"hosts": ["x9000c0s1b0n0"], "kernel": "http://s/k"}),
            StatusCode::BAD_REQUEST,
            "node x9000c0s1b0n0 is not in inventory",
        ),
        (
            Method::POST,
            json!({"hosts": ["x3000c0s1b0"], "kernel": "http://s/k"}),
            StatusCode::BAD_REQUEST,
            "is a NodeBMC, not a node",
        ),
        (
            Method::PUT,
            json!({"hosts": ["nosuchgroup"], "kernel": "http://s/k"}),
            StatusCode::BAD_REQUEST,
            "'nosuchgroup' is not a node xname",
        ),
        (
            Method::PUT,
            json!({"macs": ["de:ad:be:ef:00:01"], "kernel": "http://s/k"}),
            StatusCode::BAD_REQUEST,
            "MAC de:ad:be:ef:00:01 is not a known interface",
        ),
        (
            Method::PUT,
            json!({"macs": ["not-a-mac"], "kernel": "http://s/k"}),
            StatusCode::BAD_REQUEST,
            "bad MAC address 'not-a-mac'",
        ),
        (
            Method::PUT,
            json!({"nids": [99], "kernel": "http://s/k"}),
            StatusCode::BAD_REQUEST,
            "no node has NID 99",
        ),
        (
            Method::PUT,
            json!({"hosts": ["x3000c0s1b0n0"], "kernel": "gopher://host/k"}),
            StatusCode::BAD_REQUEST,
            "scheme 'gopher'",
        ),
        (
            Method::PUT,
            json!({"hosts": ["x3000c0s1b0n0"], "kernel": "http://s/k", "params": "a\nchain http://evil"}),
            StatusCode::BAD_REQUEST,
            "control character",
        ),
        (
            Method::PUT,
            json!({"kernel": "http://s/k"}),
            StatusCode::BAD_REQUEST,
            "name what to set",
        ),
        (
            Method::PATCH,
            json!({"hosts": ["x3000c0s1b0n0"], "params": "quiet"}),
            StatusCode::NOT_FOUND,
            "no boot parameters for x3000c0s1b0n0",
        ),
        (
            Method::DELETE,
            json!({"hosts": ["Default"]}),
            StatusCode::NOT_FOUND,
            "no boot parameters for Default",
        ),
        (
            Method::PUT,
            json!({"hosts": "x3000c0s1b0n0"}),
            StatusCode::BAD_REQUEST,
            "malformed JSON body",
        ),
    ];
    for (method, body, status, needle) in cases {
        let got = t
            .call(method.clone(), BP, Some(&t.admin), Some(body.clone()))
            .await;
        assert_problem(&got, status, needle);
    }
    assert_problem(
        &t.raw(Method::POST, BP, "{\"hosts\": [").await,
        StatusCode::BAD_REQUEST,
        "malformed JSON body",
    );
    assert_problem(
        &t.get(&format!("{BP}?nid=abc")).await,
        StatusCode::BAD_REQUEST,
        "Invalid nid 'abc'",
    );
    // A write naming one good and one unknown node writes neither.
    assert_problem(
        &t.call(
            Method::PUT,
            BP,
            Some(&t.admin),
            Some(json!({"hosts": ["x3000c0s1b0n0", "x9000c0s1b0n0"], "kernel": "http://s/k"})),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "x9000c0s1b0n0",
    );
    assert_eq!(t.get(BP).await, (StatusCode::OK, json!([])));
    let (_, history) = t.get(&format!("{BP}/history")).await;
    assert_eq!(history, json!([]), "failed writes leave no history");

    // Bootscript selectors are checked before they reach a script.
    let (status, text) = script(&t, "mac=zz:zz").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    let (status, text) = script(&t, "name=x1;chain%20http://evil").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    let (status, text) = script(&t, "retry=1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        text.contains("Need a mac=, name=, or nid= parameter"),
        "{text}"
    );
}

#[tokio::test]
async fn nodes_fall_back_to_group_then_role_then_default() {
    let t = cluster().await;
    for (host, kernel) in [
        ("x3000c0s1b0n0", "http://s/own"),
        ("gpu", "http://s/gpu"),
        ("Compute", "http://s/compute"),
        ("Default", "http://s/default"),
    ] {
        let (status, body) = t.put(BP, json!({"hosts": [host], "kernel": kernel})).await;
        assert_eq!(status, StatusCode::OK, "{host}: {body}");
    }
    let kernel_of = |s: &str| {
        s.lines()
            .find_map(|l| l.strip_prefix("kernel --name kernel "))
            .and_then(|l| l.split(' ').next())
            .unwrap_or("")
            .to_string()
    };
    for (node, want) in [
        ("x3000c0s1b0n0", "http://s/own"),
        ("x3000c0s2b0n0", "http://s/gpu"),
        ("x3000c0s3b0n0", "http://s/compute"),
        ("x3000c0s4b0n0", "http://s/default"),
    ] {
        let (status, text) = script(&t, &format!("name={node}")).await;
        assert_eq!(status, StatusCode::OK, "{node}: {text}");
        assert_eq!(kernel_of(&text), want, "{node}: {text}");
    }
    // The console's node detail asks which entry applies.
    let (status, eff) = t.get(&format!("{BP}/effective?name=x3000c0s2b0n0")).await;
    assert_eq!(status, StatusCode::OK, "{eff}");
    assert_eq!(
        (eff["source"].as_str(), eff["kernel"].as_str()),
        (Some("gpu"), Some("http://s/gpu"))
    );
    assert_problem(
        &t.get(&format!("{BP}/effective?name=x9000c0s1b0n0")).await,
        StatusCode::NOT_FOUND,
        "no node x9000c0s1b0n0 in inventory",
    );
    // Take the group's entry away: its member falls through to its role.
    let (status, body) = t
        .call(
            Method::DELETE,
            BP,
            Some(&t.admin),
            Some(json!({"hosts": ["gpu"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, text) = script(&t, "name=x3000c0s2b0n0").await;
    assert_eq!(kernel_of(&text), "http://s/compute", "{text}");
    // A node leaving the group, and a role changing, are seen at the next boot.
    let (status, body) = t
        .patch(
            "/hsm/v2/State/Components/x3000c0s3b0n0/Role",
            json!({"Role": "Service"}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let (_, text) = script(&t, "nid=3").await;
    assert_eq!(kernel_of(&text), "http://s/default", "{text}");
}

#[tokio::test]
async fn exact_ipxe_for_a_known_node_default_and_an_unknown_mac() {
    let t = cluster().await;
    let (status, h, body) = send(
        &t,
        Method::PUT,
        BP,
        Some(json!({"hosts": ["x3000c0s1b0n0"], "params": "console=ttyS0,115200 ip=dhcp",
                    "kernel": "http://10.1.0.1/boot/vmlinuz", "initrd": "http://10.1.0.1/boot/initrd.img"})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = h["bss-referral-token"].to_str().unwrap().to_string();
    let host = t.server.addr.to_string();
    let (status, text) = script(&t, "mac=A4:BF:01:00:00:01&retry=2").await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(
        text,
        format!(
            "#!ipxe\n\
             kernel --name kernel http://10.1.0.1/boot/vmlinuz initrd=initrd console=ttyS0,115200 ip=dhcp xname=x3000c0s1b0n0 nid=1 bss_referral_token={token} BOOTIF=01-a4-bf-01-00-00-01 || goto boot_retry\n\
             initrd --name initrd http://10.1.0.1/boot/initrd.img || goto boot_retry\n\
             boot || goto boot_retry\n\
             :boot_retry\n\
             sleep 30\n\
             chain https://{host}/boot/v1/bootscript?mac=a4:bf:01:00:00:01&retry=3\n\n"
        )
    );

    // A node with nothing of its own boots Default; by name, it chains with its own MAC.
    let (status, h, body) = send(
        &t,
        Method::PUT,
        BP,
        Some(json!({"hosts": ["Default"], "params": "quiet", "kernel": "tftp://10.1.0.1/k"})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = h["bss-referral-token"].to_str().unwrap().to_string();
    let (status, text) = script(&t, "name=x3000c0s4b0n0").await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(
        text,
        format!(
            "#!ipxe\n\
             kernel --name kernel tftp://10.1.0.1/k quiet xname=x3000c0s4b0n0 nid=4 bss_referral_token={token} || goto boot_retry\n\
             boot || goto boot_retry\n\
             :boot_retry\n\
             sleep 30\n\
             chain https://{host}/boot/v1/bootscript?mac=a4:bf:01:00:00:04&retry=1\n\n"
        )
    );

    // An unknown MAC is asked for its architecture first...
    let (status, text) = script(&t, "mac=de:ad:be:ef:00:01&ts=1700000000").await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(
        text,
        format!(
            "#!ipxe\nsleep 10\nchain https://{host}/boot/v1/bootscript?mac=de:ad:be:ef:00:01&arch=${{buildarch}}&ts=1700000000\n\n"
        )
    );
    // ...then, with no Unknown-<arch> entry, told plainly that nothing is set up.
    let (status, text) = script(&t, "mac=de:ad:be:ef:00:01&arch=x86_64&ts=1").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        text.contains("Unknown MAC de:ad:be:ef:00:01 architecture x86_64: this host not configured for booting."),
        "{text}"
    );
    // With one, it boots that (no node parameters; the retry asks again as unknown).
    let (status, body) = t
        .put(
            BP,
            json!({"hosts": ["Unknown-x86_64"], "kernel": "http://10.1.0.1/discover"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, text) = script(&t, "mac=de:ad:be:ef:00:01&arch=x86_64&ts=5").await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(
        text,
        format!(
            "#!ipxe\n\
             kernel --name kernel http://10.1.0.1/discover || goto boot_retry\n\
             boot || goto boot_retry\n\
             :boot_retry\n\
             sleep 30\n\
             chain https://{host}/boot/v1/bootscript?mac=de:ad:be:ef:00:01&arch=${{buildarch}}&ts=5\n\n"
        )
    );

    // The boot was recorded in BSS's endpoint history.
    let (status, hist) = t.get("/boot/v1/endpoint-history?name=x3000c0s1b0n0").await;
    assert_eq!(status, StatusCode::OK, "{hist}");
    assert_eq!(hist[0]["endpoint"], "bootscript");
    assert!(
        hist[0]["last_epoch"].as_i64().unwrap() > 1_700_000_000,
        "{hist}"
    );
}

#[tokio::test]
async fn new_interfaces_and_nodes_are_bootable_at_once() {
    let t = cluster().await;
    let (status, _) = t
        .put(BP, json!({"hosts": ["Default"], "kernel": "http://s/k"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = t
        .post(
            "/hsm/v2/State/Components",
            json!({"Components": [{"ID": "x3000c0s9b0n0", "State": "Ready", "NID": 9}]}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = t
        .post(
            "/hsm/v2/Inventory/EthernetInterfaces",
            json!({"MACAddress": "a4:bf:01:00:00:09", "ComponentID": "x3000c0s9b0n0"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // No wait: the index catches up with the bus before answering.
    let (status, text) = script(&t, "mac=a4:bf:01:00:00:09").await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains("xname=x3000c0s9b0n0 nid=9"), "{text}");
    // A disabled node boots as unknown.
    let (status, body) = t
        .patch(
            "/hsm/v2/State/Components/x3000c0s9b0n0/Enabled",
            json!({"Enabled": false}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let (_, text) = script(&t, "mac=a4:bf:01:00:00:09").await;
    assert!(text.starts_with("#!ipxe\nsleep 10\n"), "{text}");
}

#[tokio::test]
async fn concurrent_edits_with_one_etag_one_wins_one_gets_412() {
    let t = cluster().await;
    let (status, _) = t
        .put(
            BP,
            json!({"hosts": ["x3000c0s1b0n0"], "params": "base", "kernel": "http://s/k"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, h, _) = send(
        &t,
        Method::GET,
        &format!("{BP}?name=x3000c0s1b0n0"),
        None,
        None,
    )
    .await;
    let tag = etag(&h);
    let edit = |params: &'static str| {
        send(
            &t,
            Method::PATCH,
            BP,
            Some(json!({"hosts": ["x3000c0s1b0n0"], "params": params})),
            Some(&tag),
        )
    };
    let ((s1, _, b1), (s2, _, b2)) = tokio::join!(edit("alice"), edit("bob"));
    let mut statuses = [s1, s2];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::PRECONDITION_FAILED],
        "{b1} {b2}"
    );
    let winner = if s1 == StatusCode::OK { "alice" } else { "bob" };
    let loser = if s1 == StatusCode::OK { &b2 } else { &b1 };
    assert!(
        loser["detail"]
            .as_str()
            .unwrap()
            .contains("changed since they were read"),
        "{loser}"
    );
    let (_, now) = t.get(&format!("{BP}?name=x3000c0s1b0n0")).await;
    assert_eq!(now[0]["params"], winner, "the winner's edit stands");
    let (_, hist) = t.get(&format!("{BP}/history?name=x3000c0s1b0n0")).await;
    assert_eq!(hist.as_array().unwrap().len(), 2, "{hist}");

    // A stale tag changes nothing; the current tag works; `*` needs the entry to exist.
    let (status, _, _) = send(
        &t,
        Method::DELETE,
        BP,
        Some(json!({"hosts": ["x3000c0s1b0n0"]})),
        Some(&tag),
    )
    .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    let (status, _, _) = send(
        &t,
        Method::PUT,
        BP,
        Some(json!({"hosts": ["x3000c0s2b0n0"], "kernel": "http://s/k"})),
        Some("*"),
    )
    .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    let (_, h, _) = send(
        &t,
        Method::GET,
        &format!("{BP}?name=x3000c0s1b0n0"),
        None,
        None,
    )
    .await;
    let (status, _, body) = send(
        &t,
        Method::PATCH,
        BP,
        Some(json!({"hosts": ["x3000c0s1b0n0"], "params": "carol"})),
        Some(&etag(&h)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn history_records_who_and_undo_restores() {
    let t = cluster().await;
    let operator = t.token("olivia", &[Role::Operator]);
    let put = t
        .call(
            Method::PUT,
            BP,
            Some(&operator),
            Some(json!({"hosts": ["x3000c0s1b0n0"], "params": "v1", "kernel": "http://s/k1"})),
        )
        .await;
    assert_eq!(put.0, StatusCode::OK, "{}", put.1);
    let (status, body) = t
        .patch(
            BP,
            json!({"hosts": ["x3000c0s1b0n0"], "params": "v2", "kernel": "http://s/k2"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, hist) = t.get(&format!("{BP}/history?name=x3000c0s1b0n0")).await;
    assert_eq!(status, StatusCode::OK, "{hist}");
    let versions: Vec<(u64, &str, &str)> = hist
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_u64().unwrap(),
                v["op"].as_str().unwrap(),
                v["by"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        versions,
        vec![(2, "update", "test-admin"), (1, "replace", "olivia")]
    );
    assert_eq!(hist[1]["data"]["params"], "v1");

    // Undo: bring back version 1 as version 3.
    let (status, body) = t
        .post(
            &format!("{BP}/restore"),
            json!({"name": "x3000c0s1b0n0", "version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body[0]["params"], "v1");
    assert_eq!(body[0]["kernel"], "http://s/k1");
    let (_, text) = script(&t, "name=x3000c0s1b0n0").await;
    assert!(
        text.contains("kernel --name kernel http://s/k1 v1 "),
        "{text}"
    );
    let (_, hist) = t
        .get(&format!("{BP}/history?name=x3000c0s1b0n0&limit=1"))
        .await;
    assert_eq!(hist[0]["version"], 3);
    assert_eq!(hist[0]["op"], "restore");

    // A delete can be undone too, and versions keep counting across it.
    let (status, body) = t
        .call(
            Method::DELETE,
            BP,
            Some(&t.admin),
            Some(json!({"hosts": ["x3000c0s1b0n0"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = t
        .post(
            &format!("{BP}/restore"),
            json!({"name": "x3000c0s1b0n0", "version": 3}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, hist) = t
        .get(&format!("{BP}/history?name=x3000c0s1b0n0&limit=2"))
        .await;
    assert_eq!(hist[0]["version"], 5);
    assert_eq!(hist[1]["op"], "delete");
    // A page holds at most 10,000 versions.
    assert_problem(
        &t.get(&format!("{BP}/history?name=x3000c0s1b0n0&limit=10001"))
            .await,
        StatusCode::BAD_REQUEST,
        "from 1 to 10000",
    );

    assert_problem(
        &t.post(
            &format!("{BP}/restore"),
            json!({"name": "x3000c0s1b0n0", "version": 42}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "has no version 42",
    );
}

#[tokio::test]
async fn roles_and_public_paths() {
    let t = cluster().await;
    let viewer = t.token("val", &[Role::Viewer]);
    let got = t
        .call(
            Method::PUT,
            BP,
            Some(&viewer),
            Some(json!({"hosts": ["Default"], "kernel": "http://s/k"})),
        )
        .await;
    assert_problem(&got, StatusCode::FORBIDDEN, "may not write");
    assert_eq!(
        t.call(Method::GET, BP, None, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        t.call(Method::GET, "/boot/v1/dumpstate", None, None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    // Nodes boot without tokens; status is public.
    let (status, _) = script(&t, "mac=de:ad:be:ef:00:01").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = t
        .call(Method::GET, "/boot/v1/service/status", None, None)
        .await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"bss-status": "running"}))
    );

    // The storage status names the database in use.
    let (status, body) = t.get("/boot/v1/service/storage/status").await;
    let store = if t.database_url.is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["bss-storage-backend"]["name"], store, "{body}");

    let (status, dump) = t.get("/boot/v1/dumpstate").await;
    assert_eq!(status, StatusCode::OK, "{dump}");
    assert_eq!(dump["Components"].as_array().unwrap().len(), 4);
    let (status, hosts) = t.get("/boot/v1/hosts?mac=a4:bf:01:00:00:02").await;
    assert_eq!(status, StatusCode::OK, "{hosts}");
    assert_eq!(hosts[0]["ID"], "x3000c0s2b0n0");
    assert_eq!(hosts[0]["MAC"], json!(["a4:bf:01:00:00:02"]));
    assert_problem(
        &t.get("/boot/v1/hosts?name=x9000c0s1b0n0").await,
        StatusCode::NOT_FOUND,
        "Unknown host name 'x9000c0s1b0n0'",
    );
}

#[tokio::test]
async fn plain_http_listener_serves_only_the_boot_path() {
    let t = TestServer::start_with(|a| a.boot_http_listen = Some(common::loopback())).await;
    let (status, body) = t
        .post(
            "/hsm/v2/State/Components",
            json!({"Components": [{"ID": "x3000c0s1b0n0", "State": "Ready", "NID": 1}]}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _) = t
        .post(
            "/hsm/v2/Inventory/EthernetInterfaces",
            json!({"MACAddress": "a4:bf:01:00:00:01", "ComponentID": "x3000c0s1b0n0"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = t
        .put(BP, json!({"hosts": ["Default"], "kernel": "http://s/k"}))
        .await;
    assert_eq!(status, StatusCode::OK);

    let addr = t.server.boot_addr.expect("boot listener");
    let plain = reqwest::Client::new();
    let get = |path: &str| plain.get(format!("http://{addr}{path}")).send();
    let resp = get("/boot/v1/bootscript?mac=a4:bf:01:00:00:01")
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/plain; charset=UTF-8");
    let text = resp.text().await.unwrap();
    assert!(
        text.contains(&format!(
            "chain http://{addr}/boot/v1/bootscript?mac=a4:bf:01:00:00:01&retry=1"
        )),
        "{text}"
    );
    let resp = get("/boot/v1/service/status").await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    for path in [
        BP,
        "/hsm/v2/State/Components",
        "/boot/v1/dumpstate",
        "/healthz",
    ] {
        let resp = get(path).await.unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // Writes are not served either.
    let resp = plain
        .put(format!("http://{addr}{BP}"))
        .json(&json!({"hosts": ["Default"], "kernel": "http://evil/k"}))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_client_error());
    assert_eq!(
        t.get(&format!("{BP}?name=Default")).await.1[0]["kernel"],
        "http://s/k"
    );
}

#[tokio::test]
async fn boot_parameters_survive_a_restart() {
    let t = cluster().await;
    let (status, _) = t
        .put(
            BP,
            json!({"hosts": ["Compute"], "kernel": "http://s/k", "params": "p"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let t = t.restart().await;
    let (status, text) = script(&t, "nid=3").await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(
        text.contains("kernel --name kernel http://s/k p xname=x3000c0s3b0n0"),
        "{text}"
    );
    let (_, hist) = t.get(&format!("{BP}/history?name=Compute")).await;
    assert_eq!(hist.as_array().unwrap().len(), 1);
}

/// The console editor's client: reads with the ETag, writes with If-Match; a stale write is a
/// 412 and changes nothing; nodes without entries start from what they inherit and are
/// created, and a second create is a 412.
#[tokio::test]
async fn editor_client_writes_with_if_match_and_never_overwrites_a_newer_version() {
    let t = TestServer::start().await;
    let (status, body) = t
        .post(
            "/hsm/v2/State/Components",
            json!({"Components": [{"ID": "x3000c0s1b0n0", "State": "Ready", "NID": 1},
                                   {"ID": "x3000c0s1b0n1", "State": "Ready", "NID": 2}]}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _) = t
        .put(
            BP,
            json!({"hosts": ["Default"], "kernel": "http://s/k", "params": "console=ttyS0"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let ca = std::fs::read(t.server.ca.as_ref().unwrap()).unwrap();
    let c = chami::client::Client::new(&t.server.url(), &t.admin, Some(&ca)).unwrap();
    let names = vec!["Default".to_string()];

    let mine = c.boot_base(&names).await.unwrap();
    assert_eq!(mine.existing, 1);
    assert_eq!(mine.params.params, "console=ttyS0");
    assert!(mine.params.hosts.is_empty());
    let tag = mine.etag.clone().expect("an ETag");
    // Someone else writes first.
    let mut theirs = mine.params.clone();
    theirs.params = "console=ttyS1".into();
    c.boot_write(&names, &theirs, Some(&tag), false)
        .await
        .unwrap();
    // The editor's write with the old ETag is refused and changes nothing.
    let mut edited = mine.params.clone();
    edited.params = "console=ttyS0 quiet".into();
    let err = c
        .boot_write(&names, &edited, Some(&tag), false)
        .await
        .unwrap_err();
    assert!(
        matches!(err, chami::client::ClientError::Api { status: 412, .. }),
        "{err}"
    );
    let now = c.boot_base(&names).await.unwrap();
    assert_eq!(now.params.params, "console=ttyS1");
    // Rebased onto the newer version, it applies.
    c.boot_write(&names, &edited, now.etag.as_deref(), false)
        .await
        .unwrap();
    assert_eq!(
        c.boot_base(&names).await.unwrap().params.params,
        "console=ttyS0 quiet"
    );

    // Two nodes without entries: the first's effective parameters, created on write.
    let nodes = vec!["x3000c0s1b0n0".to_string(), "x3000c0s1b0n1".to_string()];
    let fresh = c.boot_base(&nodes).await.unwrap();
    assert_eq!(fresh.existing, 0);
    assert_eq!(fresh.etag, None);
    assert_eq!(fresh.source, "inherited from Default");
    assert_eq!(fresh.params.params, "console=ttyS0 quiet");
    let mut own = fresh.params.clone();
    own.params = "console=ttyS0 nodes".into();
    c.boot_write(&nodes, &own, None, true).await.unwrap();
    let err = c.boot_write(&nodes, &own, None, true).await.unwrap_err();
    assert!(
        matches!(err, chami::client::ClientError::Api { status: 412, .. }),
        "{err}"
    );
    let both = c.boot_base(&nodes).await.unwrap();
    assert_eq!(both.existing, 2);
    assert!(both.etag.is_some());
    assert_eq!(both.params.params, "console=ttyS0 nodes");
    // One with an entry, one without: no ETag, since it could never match.
    let mixed = c
        .boot_base(&["x3000c0s1b0n0".to_string(), "x3000c0s9b0n0".to_string()])
        .await
        .unwrap();
    assert_eq!((mixed.existing, mixed.etag), (1, None));

    // The console's preview renders the script without recording a boot.
    let history = |n: &'static str| {
        let t = &t;
        async move {
            t.get(&format!("/boot/v1/endpoint-history?name={n}"))
                .await
                .1
        }
    };
    let seen = c
        .text("/boot/v1/bootscript?name=x3000c0s1b0n1&preview=1")
        .await
        .unwrap();
    assert!(seen.contains("console=ttyS0 nodes"), "{seen}");
    assert_eq!(history("x3000c0s1b0n1").await, json!([]));
    c.text("/boot/v1/bootscript?name=x3000c0s1b0n1")
        .await
        .unwrap();
    assert_eq!(history("x3000c0s1b0n1").await[0]["endpoint"], "bootscript");
}

/// BSS: a DELETE naming no node but a kernel, initrd and/or params deletes every entry that
/// uses all of them; images may be `s3://` URLs, passed through to the script.
#[tokio::test]
async fn delete_by_kernel_or_initrd_removes_the_entries_that_use_them() {
    let t = cluster().await;
    for (host, kernel, initrd) in [
        (
            "x3000c0s1b0n0",
            "s3://boot-images/k1",
            "s3://boot-images/i1",
        ),
        (
            "x3000c0s2b0n0",
            "s3://boot-images/k1",
            "s3://boot-images/i2",
        ),
        ("x3000c0s3b0n0", "http://10.0.0.1/k2", "s3://boot-images/i2"),
        ("Compute", "s3://boot-images/k1", "s3://boot-images/i1"),
    ] {
        let (status, _, body) = send(
            &t,
            Method::POST,
            BP,
            Some(json!({"hosts": [host], "kernel": kernel, "initrd": initrd})),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{host}: {body}");
    }
    let (status, text) = script(&t, "nid=1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("kernel s3://boot-images/k1"), "{text}");

    let delete = |body: Value| send(&t, Method::DELETE, BP, Some(body), None);
    // Both given: only the entries with both.
    let (status, _, body) =
        delete(json!({"kernel": "s3://boot-images/k1", "initrd": "s3://boot-images/i1"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(entry_names(&t).await, ["x3000c0s2b0n0", "x3000c0s3b0n0"]);
    let (status, _, body) = delete(json!({"initrd": "s3://boot-images/i2"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(entry_names(&t).await.is_empty());
    // Nothing uses it: nothing to do, as BSS answers.
    let (status, _, body) = delete(json!({"kernel": "s3://nowhere"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, body) = delete(json!({"kernel": " "})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("name what to delete"),
        "{body}"
    );
}

/// The names of every boot parameters entry, sorted.
async fn entry_names(t: &TestServer) -> Vec<String> {
    let (status, _, body) = send(t, Method::GET, BP, None, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut v: Vec<String> = body
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["hosts"].as_array().unwrap().clone())
        .map(|h| h.as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}
