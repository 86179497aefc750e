//! SMD `Inventory/RedfishEndpoints` over HTTPS, with magellan's body: what it creates, 409s,
//! all-or-nothing bulk writes, filters, PUT/PATCH/DELETE, the derived component endpoints and
//! hardware, and BMC passwords that never come back and are sealed at rest.

mod common;

use common::{assert_problem, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

const BASE: &str = "/hsm/v2/Inventory/RedfishEndpoints";
const PASSWORD: &str = "s3cr3t-bmc-pw";

fn magellan() -> Value {
    serde_json::from_str(include_str!("fixtures/magellan-bmc.json")).expect("fixture")
}

/// Every response body seen, to check that no password ever leaks.
struct Seen(Vec<String>);

impl Seen {
    fn add(&mut self, got: &(StatusCode, Value)) -> (StatusCode, Value) {
        self.0.push(got.1.to_string());
        got.clone()
    }
    fn assert_no_password(&self) {
        for body in &self.0 {
            assert!(!body.contains(PASSWORD), "password leaked in {body}");
            // SMD's key, always empty.
            for (at, _) in body.match_indices("\"Password\"") {
                let rest = &body[at + "\"Password\"".len()..];
                assert!(
                    rest.starts_with(":\"\""),
                    "a Password that is not empty in {body}"
                );
            }
        }
    }
}

#[tokio::test]
async fn magellan_post_creates_endpoint_nodes_interfaces_and_hardware() {
    let t = TestServer::start().await;
    let mut seen = Seen(Vec::new());
    let got = seen.add(&t.post(BASE, magellan()).await);
    assert_eq!(got.0, StatusCode::CREATED, "{}", got.1);
    assert_eq!(got.1, json!([{"URI": format!("{BASE}/x1000c0s0b0")}]));

    let (status, ep) = seen.add(&t.get(&format!("{BASE}/x1000c0s0b0")).await);
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ep["ID"], "x1000c0s0b0");
    assert_eq!(ep["Type"], "NodeBMC");
    assert_eq!(ep["FQDN"], "172.16.0.10");
    assert_eq!(ep["IPAddress"], "172.16.0.10");
    assert_eq!(ep["User"], "root");
    assert_eq!(ep["MACRequired"], true);
    assert_eq!(ep["MACAddr"], "02:00:00:aa:bb:cc");
    assert_eq!(ep["Enabled"], true);
    assert_eq!(ep["DiscoveryInfo"]["LastDiscoveryStatus"], "NotYetQueried");

    // The BMC and its two nodes became components, nodes with SMD's defaults.
    let (_, bmc) = t.get("/hsm/v2/State/Components/x1000c0s0b0").await;
    assert_eq!(bmc["Type"], "NodeBMC");
    let (_, n0) = t.get("/hsm/v2/State/Components/x1000c0s0b0n0").await;
    assert_eq!(n0["Type"], "Node");
    assert_eq!(n0["State"], "Off", "from the system's power state");
    assert_eq!(n0["Role"], "Compute");
    assert!(n0["NID"].as_i64().is_some(), "{n0}");
    // Arch from magellan's processor model; River with no chassis BMC known.
    assert_eq!(
        (&n0["Arch"], &n0["NetType"], &n0["Class"]),
        (&json!("X86"), &json!("Sling"), &json!("River")),
        "{n0}"
    );
    let (_, n1) = t.get("/hsm/v2/State/Components/x1000c0s0b0n1").await;
    assert_eq!(n1["State"], "On");

    // Component endpoints: the manager and both systems.
    let (status, ces) = seen.add(&t.get("/hsm/v2/Inventory/ComponentEndpoints").await);
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = ces["ComponentEndpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["ID"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["x1000c0s0b0", "x1000c0s0b0n0", "x1000c0s0b0n1"]);
    let (_, ce) = seen.add(
        &t.get("/hsm/v2/Inventory/ComponentEndpoints/x1000c0s0b0n0")
            .await,
    );
    assert_eq!(ce["RedfishType"], "ComputerSystem");
    assert_eq!(ce["RedfishEndpointID"], "x1000c0s0b0");
    assert_eq!(
        ce["OdataID"],
        "/redfish/v1/Systems/27946b59-9e44-4fa7-8e91-000000000000"
    );
    let reset = &ce["RedfishSystemInfo"]["Actions"]["#ComputerSystem.Reset"];
    assert_eq!(
        reset["target"],
        "/redfish/v1/Systems/27946b59-9e44-4fa7-8e91-000000000000/Actions/ComputerSystem.Reset"
    );
    assert_eq!(reset["ResetType@Redfish.AllowableValues"][1], "ForceOff");
    let (_, by_type) = t
        .get("/hsm/v2/Inventory/ComponentEndpoints?redfish_type=Manager")
        .await;
    assert_eq!(by_type["ComponentEndpoints"].as_array().unwrap().len(), 1);

    // Interfaces for the manager NIC and each system NIC.
    let (_, ifs) = t.get("/hsm/v2/Inventory/EthernetInterfaces").await;
    let owners: Vec<(&str, &str)> = ifs
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["ID"].as_str().unwrap(),
                i["ComponentID"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        owners,
        [
            ("020000000001", "x1000c0s0b0n0"),
            ("020000000002", "x1000c0s0b0n1"),
            ("020000aabbcc", "x1000c0s0b0")
        ]
    );

    // Hardware for the node detail view.
    let (status, hw) = t.get("/hsm/v2/Inventory/Hardware/x1000c0s0b0n0").await;
    assert_eq!(status, StatusCode::OK, "{hw}");
    assert_eq!(hw["NodeLocationInfo"]["ProcessorSummary"]["Count"], 2);
    assert_eq!(
        hw["NodeLocationInfo"]["MemorySummary"]["TotalSystemMemoryGiB"],
        96.0
    );
    assert_eq!(
        hw["PopulatedFRU"]["NodeFRUInfo"]["SerialNumber"],
        "437XR1138R2"
    );
    assert_eq!(hw["PopulatedFRU"]["NodeFRUInfo"]["Model"], "3500RX");
    assert_problem(
        &t.get("/hsm/v2/Inventory/Hardware/x1000c0s9b0n0").await,
        StatusCode::NOT_FOUND,
        "no hardware inventory for x1000c0s9b0n0",
    );

    // The collection, filters and queries never carry the password either.
    seen.add(&t.get(BASE).await);
    seen.add(&t.get(&format!("{BASE}/Query/x1000")).await);
    seen.add(&t.get(&format!("{BASE}?laststatus=NotYetQueried")).await);
    seen.assert_no_password();

    // The password is usable by the core, and sealed at rest.
    let creds = t
        .server
        .core
        .endpoints
        .credentials(&"x1000c0s0b0".parse().unwrap())
        .await
        .expect("credentials");
    assert_eq!(
        (creds.user.as_str(), creds.password.as_str()),
        ("root", PASSWORD)
    );
    assert!(!format!("{creds:?}").contains(PASSWORD));
    for entry in std::fs::read_dir(t.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes
                    .windows(PASSWORD.len())
                    .any(|w| w == PASSWORD.as_bytes()),
                "plaintext password in {}",
                path.display()
            );
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = t.dir.path().join("secrets.key");
        let mode = std::fs::metadata(key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[tokio::test]
async fn duplicates_conflict_and_bulk_writes_are_all_or_nothing() {
    let t = TestServer::start().await;
    let (status, body) = t.post(BASE, magellan()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    assert_problem(
        &t.post(BASE, json!({"ID": "x1000c0s0b0", "FQDN": "10.9.9.9"}))
            .await,
        StatusCode::CONFLICT,
        "same ID x1000c0s0b0",
    );
    assert_problem(
        &t.post(BASE, json!({"ID": "x1000c0s1b0", "FQDN": "172.16.0.10"}))
            .await,
        StatusCode::CONFLICT,
        "same FQDN 172.16.0.10",
    );

    // Bulk: one good, one bad -> nothing stored.
    let bulk = json!({"RedfishEndpoints": [
        {"ID": "x1000c0s2b0", "FQDN": "172.16.0.12"},
        {"ID": "x1000c0s3b0n0", "FQDN": "172.16.0.13"}
    ]});
    assert_problem(
        &t.post(BASE, bulk).await,
        StatusCode::BAD_REQUEST,
        "RedfishEndpoints[1]: xname ID x1000c0s3b0n0 has wrong type",
    );
    // Bulk: the second conflicts with what is stored -> the first is rolled back.
    let bulk = json!({"RedfishEndpoints": [
        {"ID": "x1000c0s2b0", "FQDN": "172.16.0.12"},
        {"ID": "x1000c0s0b0", "FQDN": "172.16.0.99"}
    ]});
    assert_problem(
        &t.post(BASE, bulk).await,
        StatusCode::CONFLICT,
        "x1000c0s0b0",
    );
    assert_eq!(
        t.get(&format!("{BASE}/x1000c0s2b0")).await.0,
        StatusCode::NOT_FOUND
    );
    // A magellan body whose NIC MAC is already known fails whole: no endpoint, no nodes.
    let mut again = magellan();
    again["ID"] = json!("x1000c0s4b0");
    again["FQDN"] = json!("172.16.0.14");
    assert_problem(
        &t.post(BASE, again).await,
        StatusCode::CONFLICT,
        "MAC 02:00:00:aa:bb:cc already exists",
    );
    assert_eq!(
        t.get(&format!("{BASE}/x1000c0s4b0")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.get("/hsm/v2/State/Components/x1000c0s4b0n0").await.0,
        StatusCode::NOT_FOUND
    );
    // Duplicates inside one request.
    let bulk = json!({"RedfishEndpoints": [
        {"ID": "x1000c0s5b0", "FQDN": "172.16.0.15"},
        {"ID": "x1000c0s6b0", "FQDN": "172.16.0.15"}
    ]});
    assert_problem(
        &t.post(BASE, bulk).await,
        StatusCode::BAD_REQUEST,
        "more than once",
    );

    // Bulk success answers every URI.
    let bulk = json!({"RedfishEndpoints": [
        {"ID": "x1000c0s5b0", "FQDN": "172.16.0.15"},
        {"ID": "x1000c0s6b0", "FQDN": "172.16.0.16"}
    ]});
    let (status, body) = t.post(BASE, bulk).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body.as_array().unwrap().len(), 2);
    let (_, all) = t.get(BASE).await;
    assert_eq!(all["RedfishEndpoints"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn put_patch_delete_and_filters() {
    let t = TestServer::start().await;
    let mut seen = Seen(Vec::new());
    t.post(BASE, magellan()).await;
    t.post(
        BASE,
        json!({"ID": "x1000c0b0", "Hostname": "cmm0", "Domain": "mgmt.example", "User": "admin",
               "Password": PASSWORD}),
    )
    .await;

    // Filters.
    let q = |query: &'static str| {
        let t = &t;
        async move {
            let (status, v) = t.get(&format!("{BASE}?{query}")).await;
            assert_eq!(status, StatusCode::OK, "{query}: {v}");
            v["RedfishEndpoints"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["ID"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(q("type=ChassisBMC").await, ["x1000c0b0"]);
    assert_eq!(q("fqdn=cmm0.mgmt.example").await, ["x1000c0b0"]);
    assert_eq!(q("macaddr=02-00-00-aa-bb-cc").await, ["x1000c0s0b0"]);
    assert_eq!(q("ipaddress=172.16.0.10").await, ["x1000c0s0b0"]);
    assert_eq!(q("id=x1000c0b0&id=x1000c0s0b0").await.len(), 2);
    assert_eq!(q("laststatus=DiscoverOK").await, Vec::<String>::new());
    assert_problem(
        &t.get(&format!("{BASE}?laststatus=Fine")).await,
        StatusCode::BAD_REQUEST,
        "laststatus 'Fine' is not one of",
    );
    let (_, below) = t.get(&format!("{BASE}/Query/x1000c0s0")).await;
    assert_eq!(below["RedfishEndpoints"].as_array().unwrap().len(), 1);
    assert_problem(
        &t.get(&format!("{BASE}/Query/x2000")).await,
        StatusCode::NOT_FOUND,
        "no Redfish endpoints at or below x2000",
    );

    // PATCH changes only what it names; the password stays.
    let (status, ep) = seen.add(
        &t.patch(
            &format!("{BASE}/x1000c0b0"),
            json!({"Enabled": false, "User": "ops"}),
        )
        .await,
    );
    assert_eq!(status, StatusCode::OK, "{ep}");
    assert_eq!(ep["Enabled"], false);
    assert_eq!(ep["User"], "ops");
    assert_eq!(ep["FQDN"], "cmm0.mgmt.example");
    let id = "x1000c0b0".parse().unwrap();
    let creds = t.server.core.endpoints.credentials(&id).await.unwrap();
    assert_eq!(creds.password, PASSWORD);
    assert_problem(
        &t.patch(&format!("{BASE}/x1000c0b0"), json!({"IPAddress": "nope"}))
            .await,
        StatusCode::BAD_REQUEST,
        "IPAddress 'nope' is not a valid IP address",
    );
    assert_problem(
        &t.patch(&format!("{BASE}/x1000c0b0"), json!({"FQDN": "172.16.0.10"}))
            .await,
        StatusCode::CONFLICT,
        "already belongs to Redfish endpoint x1000c0s0b0",
    );
    assert_problem(
        &t.patch(&format!("{BASE}/x1000c7b0"), json!({"Enabled": true}))
            .await,
        StatusCode::NOT_FOUND,
        "no such Redfish endpoint: x1000c7b0",
    );

    // PUT overwrites (magellan --force-update); a new password replaces the old.
    let mut forced = magellan();
    forced["Password"] = json!("rotated-pw");
    forced["User"] = json!("admin");
    let (status, ep) = seen.add(&t.put(&format!("{BASE}/x1000c0s0b0"), forced).await);
    assert_eq!(status, StatusCode::OK, "{ep}");
    assert_eq!(ep["User"], "admin");
    let id = "x1000c0s0b0".parse().unwrap();
    let creds = t.server.core.endpoints.credentials(&id).await.unwrap();
    assert_eq!(creds.password, "rotated-pw");
    assert_problem(
        &t.put(&format!("{BASE}/x1000c0s1b0"), json!({"ID": "x1000c0s0b0"}))
            .await,
        StatusCode::BAD_REQUEST,
        "do not match",
    );

    // DELETE takes its component endpoints along; the components stay.
    let (status, _) = t.delete(&format!("{BASE}/x1000c0s0b0")).await;
    assert_eq!(status, StatusCode::OK);
    let (_, ces) = t
        .get("/hsm/v2/Inventory/ComponentEndpoints?redfish_ep=x1000c0s0b0")
        .await;
    assert_eq!(ces["ComponentEndpoints"], json!([]));
    assert_eq!(
        t.get("/hsm/v2/State/Components/x1000c0s0b0n0").await.0,
        StatusCode::OK
    );
    assert_problem(
        &t.delete(&format!("{BASE}/x1000c0s0b0")).await,
        StatusCode::NOT_FOUND,
        "no such Redfish endpoint",
    );
    let (status, body) = t.delete(BASE).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["message"], "deleted 1 entries");
    assert_problem(&t.delete(BASE).await, StatusCode::NOT_FOUND, "no entries");
    seen.assert_no_password();
}

#[tokio::test]
async fn bad_bodies_are_named_and_store_nothing() {
    let t = TestServer::start().await;
    let cases = [
        (json!({"FQDN": ""}), StatusCode::BAD_REQUEST, "missing ID"),
        (
            json!({"ID": "bmc-7"}),
            StatusCode::BAD_REQUEST,
            "not a valid xname",
        ),
        (
            json!({"ID": "x1000c0s0b0n0"}),
            StatusCode::BAD_REQUEST,
            "wrong type for a Redfish endpoint: Node",
        ),
        (
            json!({"ID": "x1000c0s0b0", "Hostname": "bmc.example"}),
            StatusCode::BAD_REQUEST,
            "not a basename",
        ),
        (
            json!({"ID": "x1000c0s0b0", "Enabled": "yes"}),
            StatusCode::BAD_REQUEST,
            "Redfish endpoint: Enabled: invalid type",
        ),
        (
            json!({"RedfishEndpoints": {"ID": "x1000c0s0b0"}}),
            StatusCode::BAD_REQUEST,
            "must be an array",
        ),
        (
            json!({"PDUInventory": {}}),
            StatusCode::BAD_REQUEST,
            "PDUInventory bodies are not supported",
        ),
        (
            json!({"ID": "x1000c0b0", "SchemaVersion": 1, "Systems": [{"uuid": "a"}]}),
            StatusCode::BAD_REQUEST,
            "nodes can only sit behind a NodeBMC",
        ),
        (
            json!([1, 2]),
            StatusCode::BAD_REQUEST,
            "one Redfish endpoint object",
        ),
    ];
    for (body, status, needle) in cases {
        assert_problem(&t.post(BASE, body).await, status, needle);
    }
    let (status, body) = t
        .raw(reqwest::Method::POST, BASE, "{\"ID\": \"x1000c0s0b0\",")
        .await;
    assert_problem(
        &(status, body),
        StatusCode::BAD_REQUEST,
        "malformed JSON body",
    );
    assert_problem(
        &t.get(&format!("{BASE}/not-an-xname")).await,
        StatusCode::BAD_REQUEST,
        "not-an-xname",
    );
    let (_, all) = t.get(BASE).await;
    assert_eq!(all, json!({"RedfishEndpoints": []}));
    let (_, comps) = t.get("/hsm/v2/State/Components").await;
    assert_eq!(comps, json!({"Components": []}));
}

#[tokio::test]
async fn service_endpoints_are_empty_until_discovery_and_named_when_missing() {
    let t = TestServer::start().await;
    t.post(BASE, magellan()).await;
    let (status, body) = t.get("/hsm/v2/Inventory/ServiceEndpoints").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"ServiceEndpoints": []}),
        "magellan sends no services"
    );
    assert_problem(
        &t.get("/hsm/v2/Inventory/ServiceEndpoints/UpdateService")
            .await,
        StatusCode::NOT_FOUND,
        "no service endpoints for UpdateService",
    );
    assert_problem(
        &t.get("/hsm/v2/Inventory/ServiceEndpoints/UpdateService/RedfishEndpoints/x1000c0s0b0")
            .await,
        StatusCode::NOT_FOUND,
        "no UpdateService service endpoint for x1000c0s0b0",
    );
    assert_problem(
        &t.get("/hsm/v2/Inventory/ServiceEndpoints?redfish_ep=bogus")
            .await,
        StatusCode::BAD_REQUEST,
        "redfish_ep",
    );
    assert_problem(
        &t.get("/hsm/v2/Inventory/ComponentEndpoints?kind=x").await,
        StatusCode::BAD_REQUEST,
        "unknown parameter 'kind'",
    );
}

#[tokio::test]
async fn openapi_document_lists_the_inventory_paths() {
    let t = TestServer::start().await;
    let (status, doc) = t.get("/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    for path in [
        "/hsm/v2/Inventory/RedfishEndpoints",
        "/hsm/v2/Inventory/RedfishEndpoints/{xname}",
        "/hsm/v2/Inventory/ComponentEndpoints",
        "/hsm/v2/Inventory/ServiceEndpoints",
        "/hsm/v2/Inventory/EthernetInterfaces/{ethInterfaceID}/IPAddresses",
        "/hsm/v2/Inventory/Hardware/{xname}",
        "/hsm/v2/groups/{group_label}/members/{xname_id}",
        "/hsm/v2/partitions/names",
        "/hsm/v2/memberships/{xname}",
    ] {
        assert!(doc["paths"].get(path).is_some(), "missing {path}");
    }
    let password = &doc["components"]["schemas"]["RedfishEndpoint"]["properties"]["Password"];
    assert_eq!(
        password["maxLength"], 0,
        "the returned shape's Password is always empty: {password}"
    );
}

/// A password of the wrong type (a number; YAML reads unquoted digits as one) is refused
/// naming the field, and its value appears in no answer, audit entry or database file.
#[tokio::test]
async fn a_malformed_password_is_named_but_never_repeated() {
    let t = TestServer::start().await;
    let secret = "987654321012";
    let json_body = format!(
        r#"{{"RedfishEndpoints": [{{"ID": "x3000c0s1b0", "FQDN": "10.254.1.7", "User": "root", "Password": {secret}}}]}}"#
    );
    let yaml_body = format!("ID: x3000c0s2b0\nFQDN: 10.254.1.8\nUser: root\nPassword: {secret}\n");
    let mut answers = Vec::new();
    for (method, path, ctype, body) in [
        (
            reqwest::Method::POST,
            BASE.to_string(),
            "application/json",
            json_body.clone(),
        ),
        (
            reqwest::Method::POST,
            BASE.to_string(),
            "application/yaml",
            yaml_body,
        ),
        (
            reqwest::Method::PUT,
            format!("{BASE}/x3000c0s1b0"),
            "application/json",
            format!(r#"{{"ID": "x3000c0s1b0", "FQDN": "10.254.1.7", "Password": [{secret}]}}"#),
        ),
        (
            reqwest::Method::PATCH,
            format!("{BASE}/x3000c0s1b0"),
            "application/json",
            format!(r#"{{"Password": {{"v": {secret}}}}}"#),
        ),
    ] {
        let resp = t
            .client
            .request(method.clone(), t.url(&path))
            .bearer_auth(&t.admin)
            .header("content-type", ctype)
            .body(body)
            .send()
            .await
            .unwrap();
        let got = common::read(resp).await;
        assert!(got.0.is_client_error(), "{method} {path}: {}", got.1);
        answers.push(got.1.to_string());
    }
    assert!(
        answers[0].contains("Password"),
        "the field is named: {}",
        answers[0]
    );
    let (_, audit) = t.get("/audit?limit=50").await;
    assert!(audit.as_array().is_some_and(|a| a.len() >= 4), "{audit}");
    for text in answers.iter().chain([&audit.to_string()]) {
        assert!(!text.contains(secret), "the secret leaked: {text}");
    }
    if t.database_url.is_none() {
        for entry in std::fs::read_dir(t.dir.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                let bytes = std::fs::read(&path).unwrap();
                let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
                assert!(!found, "the secret is in {}", path.display());
            }
        }
    }
}

#[tokio::test]
async fn nodes_in_a_chassis_with_a_chassis_bmc_are_mountain() {
    let t = TestServer::start().await;
    let (status, body) = t
        .post(BASE, json!({"ID": "x1000c0b0", "FQDN": "10.1.0.1"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = t.post(BASE, magellan()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for id in ["x1000c0s0b0", "x1000c0s0b0n0", "x1000c0s0b0n1"] {
        let (_, c) = t.get(&format!("/hsm/v2/State/Components/{id}")).await;
        assert_eq!(c["Class"], "Mountain", "{c}");
    }
}
