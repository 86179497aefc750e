//! Tenancy enforced by the server: two tenants with their own tokens over a simulated fleet.
//! Each sees only its nodes, cannot power them or read or write their boot settings across
//! the line, must name its tenant in `Cray-Tenant-Name`; an admin may masquerade; routes that
//! do not know tenants refuse a tenant context; and every mutation lands in the audit log.

mod common;

use std::time::Duration;

use chami::service::auth::Role;
use chami::service::events::Event;
use common::fleet::rig;
use common::{assert_problem, mint_for, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const T: &str = "/apis/tapms/v1alpha3/tenants";
const TR: &str = "/power-control/v1/transitions";

fn node(bmc: u32, n: u32) -> String {
    format!("x3000c0s{bmc}b0n{n}")
}

/// A request as `token`, naming `tenant` in the header when given.
async fn as_(
    t: &TestServer,
    token: &str,
    tenant: Option<&str>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = t.client.request(method, t.url(path)).bearer_auth(token);
    if let Some(name) = tenant {
        req = req.header("Cray-Tenant-Name", name);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    common::read(req.send().await.expect("request sent")).await
}

fn ids(body: &Value, key: &str, field: &str) -> Vec<String> {
    let list = if key.is_empty() { body } else { &body[key] };
    let mut v: Vec<String> = list
        .as_array()
        .unwrap_or_else(|| panic!("{key} is not an array: {body}"))
        .iter()
        .map(|c| c[field].as_str().unwrap_or_default().to_string())
        .collect();
    v.sort();
    v
}

/// A token minted by the `chami token mint --tenant` command against the server's data dir.
fn cli_token(t: &TestServer, sub: &str, tenant: &str) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_chami"))
        .args([
            "token",
            "mint",
            "--sub",
            sub,
            "--tenant",
            tenant,
            "--data-dir",
        ])
        .arg(t.dir.path())
        .output()
        .expect("run chami token mint");
    assert!(
        out.status.success(),
        "chami token mint failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[tokio::test]
async fn two_tenants_see_and_touch_only_their_own_nodes() {
    let r = rig(3, Duration::from_millis(10)).await;
    let t = &r.t;
    let all: Vec<String> = (0..3).flat_map(|b| [node(b, 0), node(b, 1)]).collect();
    let (status, body) = t
        .patch(
            "/hsm/v2/State/Components/BulkRole",
            json!({"ComponentIDs": all, "Role": "Compute"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    // blue holds BMC 0's nodes as an exclusive group; red holds BMC 1's as partition p1.
    let (status, body) = t
        .put(
            &format!("{T}/blue"),
            json!({"spec": {"tenantresources": [{"type": "compute",
                "xnames": [node(0, 0), node(0, 1)], "hsmgrouplabel": "blue",
                "enforceexclusivehsmgroups": true}],
                "admins": {"subjects": ["alice"]}}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = t
        .put(
            &format!("{T}/red"),
            json!({"spec": {"tenantresources": [{"type": "compute",
                "xnames": [node(1, 0), node(1, 1)], "hsmpartitionname": "p1",
                "enforceexclusivehsmgroups": false}]}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // A node cannot join a second exclusive tenant.
    let got = t
        .put(
            &format!("{T}/green"),
            json!({"spec": {"tenantresources": [{"type": "compute",
                "xnames": [node(0, 1), node(2, 0)], "hsmgrouplabel": "green",
                "enforceexclusivehsmgroups": true}]}}),
        )
        .await;
    assert_problem(&got, StatusCode::CONFLICT, &node(0, 1));

    // Boot settings the admin wrote for every node, and Default.
    for host in all.iter().map(String::as_str).chain(["Default"]) {
        let (status, body) = t
            .put(
                "/boot/v1/bootparameters",
                json!({"hosts": [host], "kernel": format!("http://k/{host}")}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{host}: {body}");
    }

    let blue = cli_token(t, "bob", "blue");
    let red = mint_for(&t.server, "rita", &[Role::Operator], Some("red"));
    let alice = t.token("alice", &[Role::Operator]);
    let plain = t.token("olga", &[Role::Operator]);
    let service = t.token("svc", &[Role::Service]);
    let comps = "/hsm/v2/State/Components";

    // The tenant header: required of tenant admins, and it must name one of theirs.
    let got = as_(t, &blue, None, Method::GET, comps, None).await;
    assert_problem(&got, StatusCode::FORBIDDEN, "send Cray-Tenant-Name");
    let got = as_(t, &blue, Some(""), Method::GET, comps, None).await;
    assert_problem(&got, StatusCode::FORBIDDEN, "is empty");
    let got = as_(t, &blue, Some("green"), Method::GET, comps, None).await;
    assert_problem(&got, StatusCode::FORBIDDEN, "not tenant 'green'");
    let got = as_(t, &blue, Some("red"), Method::GET, comps, None).await;
    assert_problem(
        &got,
        StatusCode::FORBIDDEN,
        "administers [blue], not tenant 'red'",
    );
    let got = as_(t, &alice, None, Method::GET, comps, None).await;
    assert_problem(&got, StatusCode::FORBIDDEN, "send Cray-Tenant-Name");
    let got = as_(t, &plain, Some("blue"), Method::GET, comps, None).await;
    assert_problem(
        &got,
        StatusCode::FORBIDDEN,
        "is not an admin of tenant 'blue'",
    );
    let got = as_(t, &t.admin, Some("nosuch"), Method::GET, comps, None).await;
    assert_problem(&got, StatusCode::FORBIDDEN, "unknown tenant 'nosuch'");
    // The X-Tenant alias works; disagreeing headers are refused.
    let resp = t
        .client
        .get(t.url(comps))
        .bearer_auth(&red)
        .header("X-Tenant", "red")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = t
        .client
        .get(t.url(comps))
        .bearer_auth(&red)
        .header("X-Tenant", "red")
        .header("Cray-Tenant-Name", "blue")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // Inventory reads are filtered to the tenant's nodes.
    let (status, body) = as_(t, &blue, Some("blue"), Method::GET, comps, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(ids(&body, "Components", "ID"), [node(0, 0), node(0, 1)]);
    let (_, body) = as_(t, &alice, Some("blue"), Method::GET, comps, None).await;
    assert_eq!(ids(&body, "Components", "ID"), [node(0, 0), node(0, 1)]);
    let (_, body) = as_(t, &red, Some("red"), Method::GET, comps, None).await;
    assert_eq!(ids(&body, "Components", "ID"), [node(1, 0), node(1, 1)]);
    let got = as_(
        t,
        &blue,
        Some("blue"),
        Method::GET,
        &format!("{comps}/{}", node(1, 0)),
        None,
    )
    .await;
    assert_problem(
        &got,
        StatusCode::NOT_FOUND,
        &format!("no such xname: {}", node(1, 0)),
    );
    let (_, body) = as_(
        t,
        &blue,
        Some("blue"),
        Method::POST,
        "/hsm/v2/State/Components/Query",
        Some(json!({"ComponentIDs": ["s0"]})),
    )
    .await;
    assert_eq!(ids(&body, "Components", "ID"), [node(0, 0), node(0, 1)]);
    let (_, body) = as_(
        t,
        &blue,
        Some("blue"),
        Method::GET,
        "/hsm/v2/memberships",
        None,
    )
    .await;
    assert_eq!(ids(&body, "", "id"), [node(0, 0), node(0, 1)]);
    let (_, body) = as_(
        t,
        &blue,
        Some("blue"),
        Method::GET,
        "/hsm/v2/Inventory/ComponentEndpoints",
        None,
    )
    .await;
    assert_eq!(
        ids(&body, "ComponentEndpoints", "ID"),
        [node(0, 0), node(0, 1)]
    );
    let (_, body) = as_(t, &red, Some("red"), Method::GET, "/hsm/v2/groups", None).await;
    assert!(
        body.as_array()
            .unwrap()
            .iter()
            .all(|g| g["label"] != "blue"),
        "red sees blue's group: {body}"
    );
    let got = as_(
        t,
        &red,
        Some("red"),
        Method::GET,
        "/hsm/v2/groups/blue",
        None,
    )
    .await;
    assert_problem(&got, StatusCode::NOT_FOUND, "no such group: blue");
    let (_, body) = as_(
        t,
        &blue,
        Some("blue"),
        Method::GET,
        "/hsm/v2/partitions",
        None,
    )
    .await;
    assert_eq!(body, json!([]), "blue sees red's partition");
    // A route that does not know tenants refuses a tenant context.
    let got = as_(
        t,
        &blue,
        Some("blue"),
        Method::GET,
        "/hsm/v2/Inventory/RedfishEndpoints",
        None,
    )
    .await;
    assert_problem(&got, StatusCode::FORBIDDEN, "is not available for a tenant");
    // Hardware history lists only the tenant's locations.
    let fru = |id: String, f: &str| json!({"ID": id, "Type": "Node", "PopulatedFRU": {"FRUID": f, "Type": "Node"}});
    let (status, body) = t
        .post(
            "/hsm/v2/Inventory/Hardware",
            json!({"Hardware": [fru(node(0, 0), "BLUE-1"), fru(node(1, 0), "RED-1")]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = as_(
        t,
        &blue,
        Some("blue"),
        Method::GET,
        "/hsm/v2/Inventory/Hardware/History",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Blue's two nodes (discovered, then one re-populated), none of red's.
    assert_eq!(
        ids(&body, "Components", "ID"),
        [node(0, 0), node(0, 1)],
        "{body}"
    );
    assert!(
        !body.to_string().contains("RED-1"),
        "red's FRU leaked: {body}"
    );
    assert!(
        !body.to_string().contains(&node(1, 0)),
        "red's node leaked: {body}"
    );
    // Node and power maps name nodes of every tenant; SCN subscribers hear of every node.
    for path in [
        "/hsm/v2/Defaults/NodeMaps",
        "/hsm/v2/sysinfo/powermaps",
        "/hsm/v2/Subscriptions/SCN",
    ] {
        let got = as_(t, &blue, Some("blue"), Method::GET, path, None).await;
        assert_problem(&got, StatusCode::FORBIDDEN, "is not available for a tenant");
    }
    // Tenants: a tenant admin sees its own.
    let (_, body) = as_(t, &blue, Some("blue"), Method::GET, T, None).await;
    assert_eq!(body.as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body[0]["metadata"]["name"], "blue");
    let got = as_(
        t,
        &blue,
        Some("blue"),
        Method::GET,
        &format!("{T}/red"),
        None,
    )
    .await;
    assert_problem(&got, StatusCode::FORBIDDEN, "another tenant");

    // Power: a transition naming a foreign node is refused whole.
    let loc = |xs: &[String]| -> Value {
        json!({"operation": "Off", "location": xs.iter().map(|x| json!({"xname": x})).collect::<Vec<_>>()})
    };
    let got = as_(
        t,
        &blue,
        Some("blue"),
        Method::POST,
        TR,
        Some(loc(&[node(0, 0), node(1, 0), node(1, 1)])),
    )
    .await;
    // (as an unknown node is: 404 naming what the caller sent, nothing created)
    assert_problem(
        &got,
        StatusCode::NOT_FOUND,
        &format!("no such component: {}", "x3000c0s1b0n[0-1]"),
    );
    // A name that is no xname beside them changes nothing: still refused, naming the same.
    let got = as_(
        t,
        &blue,
        Some("blue"),
        Method::POST,
        TR,
        Some(loc(&[node(0, 0), "bogus".into(), node(1, 0), node(1, 1)])),
    )
    .await;
    assert_problem(
        &got,
        StatusCode::NOT_FOUND,
        &format!("no such component: {}", "x3000c0s1b0n[0-1]"),
    );
    let (status, body) = as_(
        t,
        &blue,
        Some("blue"),
        Method::POST,
        TR,
        Some(loc(&[node(0, 0)])),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let blue_tr = body["transitionID"].as_str().unwrap().to_string();
    let (status, body) = as_(
        t,
        &red,
        Some("red"),
        Method::POST,
        TR,
        Some(loc(&[node(1, 0)])),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let red_tr = body["transitionID"].as_str().unwrap().to_string();
    let (_, body) = as_(t, &blue, Some("blue"), Method::GET, TR, None).await;
    assert_eq!(ids(&body, "transitions", "transitionID"), [blue_tr]);
    let got = as_(
        t,
        &blue,
        Some("blue"),
        Method::GET,
        &format!("{TR}/{red_tr}"),
        None,
    )
    .await;
    // Another tenant's transition does not exist for blue, as an unknown ID does not.
    assert_problem(
        &got,
        StatusCode::NOT_FOUND,
        &format!("transition {red_tr} does not exist"),
    );
    let got = as_(
        t,
        &blue,
        Some("blue"),
        Method::DELETE,
        &format!("{TR}/{red_tr}"),
        None,
    )
    .await;
    assert_problem(
        &got,
        StatusCode::NOT_FOUND,
        &format!("transition {red_tr} does not exist"),
    );
    // Power status: a foreign name is listed as an unknown one, the full list filtered.
    let (status, body) = as_(
        t,
        &blue,
        Some("blue"),
        Method::GET,
        &format!("/power-control/v1/power-status?xname={}", node(2, 0)),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["status"][0]["error"], "Component not found in component map.",
        "{body}"
    );
    let (status, body) = as_(
        t,
        &blue,
        Some("blue"),
        Method::GET,
        "/power-control/v1/power-status",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(ids(&body, "status", "xname"), [node(0, 0), node(0, 1)]);

    // Boot settings: own nodes only; Default, groups and others' nodes are out of reach.
    let bp = "/boot/v1/bootparameters";
    let (status, body) = as_(
        t,
        &blue,
        Some("blue"),
        Method::PATCH,
        bp,
        Some(json!({"hosts": [node(0, 1)], "params": "console=ttyS0"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for (hosts, status) in [
        (json!([node(1, 0)]), StatusCode::BAD_REQUEST),
        (json!(["Default"]), StatusCode::FORBIDDEN),
        (json!([node(0, 0), node(2, 1)]), StatusCode::BAD_REQUEST),
    ] {
        let got = as_(
            t,
            &blue,
            Some("blue"),
            Method::PUT,
            bp,
            Some(json!({"hosts": hosts, "kernel": "evil"})),
        )
        .await;
        assert_eq!(got.0, status, "{hosts}: {}", got.1);
    }
    let (_, body) = as_(t, &blue, Some("blue"), Method::GET, bp, None).await;
    let mut seen: Vec<String> = body
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| {
            e["hosts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h.as_str().unwrap().to_string())
        })
        .collect();
    seen.sort();
    assert_eq!(seen, [node(0, 0), node(0, 1)]);
    let got = as_(
        t,
        &blue,
        Some("blue"),
        Method::GET,
        &format!("{bp}?name={}", node(1, 1)),
        None,
    )
    .await;
    assert_problem(&got, StatusCode::NOT_FOUND, "Cannot find boot parameters");
    let got = as_(
        t,
        &red,
        Some("red"),
        Method::GET,
        &format!("{bp}/effective?name={}", node(0, 1)),
        None,
    )
    .await;
    assert_problem(
        &got,
        StatusCode::NOT_FOUND,
        &format!("no node {} in inventory", node(0, 1)),
    );
    // The admin's view shows blue's change and nothing of the refused writes.
    let (_, body) = t.get(&format!("{bp}?name={}", node(1, 0))).await;
    assert_eq!(body[0]["kernel"], format!("http://k/{}", node(1, 0)));
    let (_, body) = t.get(&format!("{bp}?name={}", node(0, 1))).await;
    assert_eq!(body[0]["params"], "console=ttyS0");

    // Admin masquerade: the admin sees blue's picture, and cannot cross tenants as blue.
    let (_, body) = as_(t, &t.admin, Some("blue"), Method::GET, comps, None).await;
    assert_eq!(ids(&body, "Components", "ID"), [node(0, 0), node(0, 1)]);
    let got = as_(
        t,
        &t.admin,
        Some("blue"),
        Method::POST,
        "/hsm/v2/groups/blue/members",
        Some(json!({"id": node(2, 0)})),
    )
    .await;
    assert_problem(
        &got,
        StatusCode::BAD_REQUEST,
        &format!("no such component: {}", node(2, 0)),
    );
    let got = as_(
        t,
        &service,
        Some("blue"),
        Method::POST,
        "/hsm/v2/partitions/p1/members",
        Some(json!({"id": node(0, 0)})),
    )
    .await;
    assert_problem(&got, StatusCode::NOT_FOUND, "no such partition: p1");
    let (_, body) = t.get("/hsm/v2/groups/blue").await;
    assert_eq!(body["members"]["ids"], json!([node(0, 0), node(0, 1)]));
    let (_, body) = as_(t, &service, None, Method::GET, comps, None).await;
    assert_eq!(
        body["Components"].as_array().unwrap().len(),
        9,
        "3 BMCs and 6 nodes"
    );

    // The audit log: every mutation above, with the right principal and tenant.
    let (status, body) = t.get("/audit?subject=bob").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let entries = body.as_array().unwrap();
    let line = |e: &Value| {
        format!(
            "{} {} {} {}",
            e["method"].as_str().unwrap(),
            e["path"].as_str().unwrap(),
            e["status"],
            e["tenant"].as_str().unwrap_or("-")
        )
    };
    let lines: Vec<String> = entries.iter().map(line).collect();
    assert!(
        lines.contains(&"POST /power-control/v1/transitions 404 blue".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"POST /power-control/v1/transitions 200 blue".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"PATCH /boot/v1/bootparameters 200 blue".to_string()),
        "{lines:?}"
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("PUT /boot/v1/bootparameters 4"))
            .count(),
        3,
        "{lines:?}"
    );
    // Refused reads are recorded too; allowed reads are not.
    assert!(
        lines.contains(&"GET /hsm/v2/State/Components 403 -".to_string()),
        "{lines:?}"
    );
    assert!(
        !lines.contains(&"GET /hsm/v2/State/Components 200 blue".to_string()),
        "{lines:?}"
    );
    let denied = entries
        .iter()
        .find(|e| e["method"] == "POST" && e["status"] == 404 && e["path"] == TR)
        .unwrap_or_else(|| panic!("{lines:?}"));
    assert_eq!(denied["outcome"], "failed", "{denied}");
    assert_eq!(denied["roles"], json!(["operator"]));
    assert_eq!(
        denied["xnames"],
        json!([node(0, 0), node(1, 0), node(1, 1)])
    );
    assert!(
        denied["detail"]
            .as_str()
            .unwrap()
            .contains("no such component: x3000c0s1b0n[0-1]"),
        "{denied}"
    );
    // The admin's tenant writes and boot writes are there under its name.
    let (_, body) = t
        .get(&format!("/audit?subject=test-admin&path={T}&method=put"))
        .await;
    let statuses: Vec<u64> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [201, 201, 409], "{body}");
    let (_, body) = t
        .get(&format!(
            "/audit?xname={}&outcome=ok&tenant=red",
            node(1, 0)
        ))
        .await;
    assert_eq!(body.as_array().unwrap().len(), 1, "red's power-off: {body}");
    assert_eq!(body[0]["subject"], "rita");
    // Paging and bad filters.
    let (_, first) = t.get("/audit?limit=2").await;
    let after = first[1]["id"].as_i64().unwrap();
    let (_, next) = t.get(&format!("/audit?limit=1&after={after}")).await;
    assert_eq!(next[0]["id"].as_i64().unwrap(), after + 1);
    // A page holds at most 10,000: asking for more says so and how to page.
    let got = t.get("/audit?limit=10001").await;
    assert_problem(&got, StatusCode::BAD_REQUEST, "after=<the last id>");
    let got = t.get("/audit?outcome=maybe").await;
    assert_problem(&got, StatusCode::BAD_REQUEST, "outcome 'maybe'");
    let got = t.get("/audit?since=yesterday").await;
    assert_problem(&got, StatusCode::BAD_REQUEST, "RFC 3339");
    // Only admins read it; a tenant context reads only its own tenant's entries.
    let got = as_(t, &blue, Some("blue"), Method::GET, "/audit", None).await;
    assert_eq!(got.0, StatusCode::FORBIDDEN, "{}", got.1);
    let (_, body) = as_(t, &t.admin, Some("red"), Method::GET, "/audit", None).await;
    assert!(
        body.as_array()
            .unwrap()
            .iter()
            .all(|e| e["tenant"] == "red"),
        "{body}"
    );
    drop(r.fleet);
}

#[tokio::test]
async fn audit_entries_are_published_on_the_bus() {
    let t = TestServer::start().await;
    let mut rx = t.server.core.bus.subscribe();
    let (status, body) = t
        .post(
            "/hsm/v2/State/Components",
            json!({"Components": [{"ID": "x1000c0s0b0n0", "State": "Ready"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let entry = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let p = rx.recv().await.expect("bus open");
            if let Event::Audited { entry } = &p.event {
                return entry.clone();
            }
        }
    })
    .await
    .expect("an audit event within 5 s");
    assert_eq!(entry.subject, "test-admin");
    assert_eq!(entry.method, "POST");
    assert_eq!(entry.xnames, ["x1000c0s0b0n0"]);
    assert_eq!(entry.status, 204);
    // A malformed body is audited as failed, with the parser's complaint.
    let got = t
        .raw(Method::POST, "/hsm/v2/State/Components", "{not json")
        .await;
    assert_eq!(got.0, StatusCode::BAD_REQUEST);
    let (_, body) = t.get("/audit?outcome=failed").await;
    assert_eq!(body.as_array().unwrap().len(), 1, "{body}");
    assert!(
        body[0]["detail"]
            .as_str()
            .unwrap()
            .contains("malformed JSON"),
        "{body}"
    );
}

/// The console's client acting for a tenant (`--tenant`): it sends the header on every call,
/// the event stream included, and sees only that tenant.
#[tokio::test]
async fn the_client_acts_for_a_tenant() {
    let t = TestServer::start().await;
    let comps: Vec<Value> = (0..3)
        .map(|i| json!({"ID": format!("x1000c0s{i}b0n0"), "State": "Ready", "Role": "Compute"}))
        .collect();
    let (status, body) = t
        .post("/hsm/v2/State/Components", json!({ "Components": comps }))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = t
        .put(
            &format!("{T}/blue"),
            json!({"spec": {"tenantresources": [{"type": "compute",
                "xnames": ["x1000c0s1b0n0"], "hsmgrouplabel": "blue",
                "enforceexclusivehsmgroups": true}]}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = mint_for(&t.server, "bob", &[Role::Operator], Some("blue"));
    let ca = std::fs::read(t.server.ca.as_ref().unwrap()).unwrap();
    let plain = chami::client::Client::new(&t.server.url(), &token, Some(&ca)).unwrap();
    let err = plain.components().await.unwrap_err().to_string();
    assert!(err.contains("send Cray-Tenant-Name"), "{err}");
    let blue = plain.for_tenant(Some("blue".into()));
    let ids: Vec<String> = blue
        .components()
        .await
        .unwrap()
        .iter()
        .map(|c| c.id.to_string())
        .collect();
    assert_eq!(ids, ["x1000c0s1b0n0"]);
    let tenants = blue.tenants().await.unwrap();
    assert_eq!(tenants.len(), 1);
    let mut events = blue
        .events(None)
        .await
        .expect("the stream opens for the tenant");
    let first = events.next().await.unwrap();
    assert_eq!(first.event, "ready");
}

/// blue (BMC 0's nodes, exclusive group `blue`) and red (BMC 1's nodes, partition `p1`) over
/// a three-BMC fleet; returns blue's token.
async fn blue_and_red(t: &TestServer) -> String {
    let all: Vec<String> = (0..3).flat_map(|b| [node(b, 0), node(b, 1)]).collect();
    let (status, body) = t
        .patch(
            "/hsm/v2/State/Components/BulkRole",
            json!({"ComponentIDs": all, "Role": "Compute"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    for (name, resource) in [
        (
            "blue",
            json!({"type": "compute", "xnames": [node(0, 0), node(0, 1)],
                   "hsmgrouplabel": "blue", "enforceexclusivehsmgroups": true}),
        ),
        (
            "red",
            json!({"type": "compute", "xnames": [node(1, 0), node(1, 1)],
                   "hsmpartitionname": "p1", "enforceexclusivehsmgroups": false}),
        ),
    ] {
        let (status, body) = t
            .put(
                &format!("{T}/{name}"),
                json!({"spec": {"tenantresources": [resource]}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{name}: {body}");
    }
    for host in &all {
        let (status, body) = t
            .put(
                "/boot/v1/bootparameters",
                json!({"hosts": [host], "kernel": format!("http://k/{host}")}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{host}: {body}");
    }
    mint_for(&t.server, "bob", &[Role::Operator], Some("blue"))
}

/// Every route a tenant may use answers a request naming another tenant's node (by xname,
/// NID or MAC) exactly as one naming a node that does not exist: same status, same text, and
/// nothing of the other tenant's names.
#[tokio::test]
async fn foreign_nodes_answer_exactly_as_unknown_ones() {
    let r = rig(3, Duration::from_millis(10)).await;
    let t = &r.t;
    let blue = blue_and_red(t).await;
    // red's node, its NID and a MAC of it, against a node, NID and MAC nobody has.
    let foreign = node(1, 0);
    let unknown = node(7, 0);
    let (_, c) = t.get(&format!("/hsm/v2/State/Components/{foreign}")).await;
    let foreign_nid = c["NID"].as_i64().expect("red's node has a NID").to_string();
    let unknown_nid = "987654".to_string();
    let foreign_mac = "02:00:00:00:aa:01".to_string();
    let unknown_mac = "02:00:00:00:bb:02".to_string();
    let (status, body) = t
        .post(
            "/hsm/v2/Inventory/EthernetInterfaces",
            json!({"MACAddress": foreign_mac, "ComponentID": foreign}),
        )
        .await;
    assert!(status.is_success(), "{body}");

    // (method, path, body); X, NID and MAC are replaced by each side's value.
    let cases: Vec<(Method, &str, Option<Value>)> = vec![
        (Method::GET, "/hsm/v2/State/Components/X", None),
        (Method::GET, "/hsm/v2/State/Components/ByNID/NID", None),
        (Method::GET, "/hsm/v2/State/Components?id=X", None),
        (Method::GET, "/hsm/v2/State/Components/Query/X", None),
        (
            Method::POST,
            "/hsm/v2/State/Components/Query",
            Some(json!({"ComponentIDs": ["X"]})),
        ),
        (
            Method::POST,
            "/hsm/v2/State/Components/ByNID/Query",
            Some(json!({"NIDRanges": ["NID"]})),
        ),
        (Method::GET, "/hsm/v2/Inventory/Hardware/X", None),
        (Method::GET, "/hsm/v2/Inventory/ComponentEndpoints/X", None),
        (
            Method::GET,
            "/hsm/v2/Inventory/EthernetInterfaces?ComponentID=X",
            None,
        ),
        (Method::GET, "/hsm/v2/memberships/X", None),
        (Method::GET, "/hsm/v2/memberships?id=X", None),
        (
            Method::POST,
            "/hsm/v2/groups",
            Some(json!({"label": "newgroup", "members": {"ids": ["X"]}})),
        ),
        (
            Method::POST,
            "/hsm/v2/groups/blue/members",
            Some(json!({"id": "X"})),
        ),
        (
            Method::POST,
            "/hsm/v2/partitions",
            Some(json!({"name": "pnew", "members": {"ids": ["X"]}})),
        ),
        (Method::GET, "/boot/v1/bootparameters?name=X", None),
        (Method::GET, "/boot/v1/bootparameters?nid=NID", None),
        (Method::GET, "/boot/v1/bootparameters?mac=MAC", None),
        (
            Method::GET,
            "/boot/v1/bootparameters/effective?name=X",
            None,
        ),
        (Method::GET, "/boot/v1/bootparameters/history?name=X", None),
        (Method::GET, "/boot/v1/hosts?name=X", None),
        (Method::GET, "/boot/v1/hosts?nid=NID", None),
        (Method::GET, "/boot/v1/hosts?mac=MAC", None),
        (
            Method::POST,
            "/boot/v1/bootparameters/restore",
            Some(json!({"name": "X", "version": 1})),
        ),
        (Method::GET, "/power-control/v1/power-status?xname=X", None),
        (
            Method::POST,
            "/power-control/v1/power-status",
            Some(json!({"xname": ["X"]})),
        ),
        (
            Method::POST,
            "/power-control/v1/transitions",
            Some(json!({"operation": "Off", "location": [{"xname": "X"}]})),
        ),
        (
            Method::POST,
            "/power-control/v1/transitions?dryRun=true",
            Some(json!({"operation": "Off", "location": [{"xname": "X"}]})),
        ),
    ];
    let mut cases = cases;
    for field in ["hosts", "nids", "macs"] {
        let value = match field {
            "hosts" => json!(["X"]),
            "nids" => json!(["NID"]),
            _ => json!(["MAC"]),
        };
        for method in [Method::PUT, Method::POST, Method::PATCH, Method::DELETE] {
            let mut b = json!({"kernel": "http://evil/k", "params": "p"});
            b[field] = value.clone();
            cases.push((method, "/boot/v1/bootparameters", Some(b)));
        }
    }
    // NIDs travel as numbers in bodies.
    let fill = |text: &str, x: &str, nid: &str, mac: &str| -> String {
        text.replace("\"NID\"", nid)
            .replace("NID", nid)
            .replace("MAC", mac)
            .replace('X', x)
    };
    for (method, path, body) in &cases {
        let mut answers = Vec::new();
        for (x, nid, mac) in [
            (&foreign, &foreign_nid, &foreign_mac),
            (&unknown, &unknown_nid, &unknown_mac),
        ] {
            let p = fill(path, x, nid, mac);
            let b = body.as_ref().map(|b| {
                let text = fill(&b.to_string(), x, nid, mac);
                // NIDRanges take strings: put the quotes back there.
                let text = text.replace(&format!("[{nid}]"), &format!("[\"{nid}\"]"));
                serde_json::from_str::<Value>(&text).expect("a body")
            });
            let b = match (path.contains("ByNID/Query"), b) {
                (true, Some(v)) => Some(v),
                (false, Some(mut v)) => {
                    if let Some(n) = v.get_mut("nids") {
                        *n = json!([nid.parse::<i64>().unwrap()]);
                    }
                    Some(v)
                }
                (_, None) => None,
            };
            answers.push(as_(t, &blue, Some("blue"), method.clone(), &p, b).await);
        }
        let (f, u) = (&answers[0], &answers[1]);
        let f_text = f.1.to_string();
        // Only a name the caller sent may come back.
        let sent_x = path.contains('X')
            || body
                .as_ref()
                .is_some_and(|b| b.to_string().contains("\"X\""));
        for red in [node(1, 0), node(1, 1)] {
            assert!(
                !f_text.contains(&red) || (sent_x && red == foreign),
                "{method} {path}: the answer names red's {red}: {f_text}"
            );
        }
        let seen_as_unknown = f_text
            .replace(&foreign, &unknown)
            .replace(&foreign_nid, &unknown_nid)
            .replace(&foreign_mac, &unknown_mac);
        assert_eq!(
            (f.0, seen_as_unknown),
            (u.0, u.1.to_string()),
            "{method} {path}: foreign and unknown answer differently"
        );
        assert!(
            f.0 != StatusCode::FORBIDDEN || !f_text.contains("x3000c0s1"),
            "{method} {path}: {f_text}"
        );
    }
    // Nothing of those requests changed red's node.
    let (_, body) = t
        .get(&format!("/boot/v1/bootparameters?name={foreign}"))
        .await;
    assert_eq!(body[0]["kernel"], format!("http://k/{foreign}"), "{body}");
    let (_, body) = t.get("/hsm/v2/groups/blue").await;
    assert_eq!(body["members"]["ids"], json!([node(0, 0), node(0, 1)]));
    drop(r.fleet);
}
