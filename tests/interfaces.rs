//! SMD `Inventory/EthernetInterfaces` over HTTPS: round trips, MAC normalisation, filters,
//! the IPAddresses sub-resource, bad input, and unlinking when a component goes.

mod common;

use common::{assert_problem, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

const BASE: &str = "/hsm/v2/Inventory/EthernetInterfaces";

async fn with_two() -> TestServer {
    let t = TestServer::start().await;
    let (status, body) = t
        .post(
            "/hsm/v2/State/Components",
            json!({"Components": [{"ID": "x3000c0s1b0n0", "State": "On"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    for body in [
        json!({"MACAddress": "A4:BF:01:2B:73:10", "Description": "onboard",
               "ComponentID": "x3000c0s1b0n0",
               "IPAddresses": [{"IPAddress": "10.252.1.7", "Network": "NMN"}]}),
        json!({"MACAddress": "a4-bf-01-2b-73-11",
               "IPAddresses": [{"IPAddress": "10.254.1.7", "Network": "HMN"}]}),
    ] {
        let (status, resp) = t.post(BASE, body).await;
        assert_eq!(status, StatusCode::CREATED, "{resp}");
    }
    t
}

fn ids(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|i| i["ID"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn round_trip_with_normalised_ids() {
    let t = TestServer::start().await;
    let (status, body) = t
        .post(
            BASE,
            json!({"MACAddress": "A4:BF:01:2B:73:10", "ComponentID": "X3000C0S1B0N0",
                   "IPAddresses": [{"IPAddress": "10.252.1.7", "Network": "NMN"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body, json!({"URI": format!("{BASE}/a4bf012b7310")}));

    // Any MAC spelling finds it.
    let (status, i) = t.get(&format!("{BASE}/A4:BF:01:2B:73:10")).await;
    assert_eq!(status, StatusCode::OK, "{i}");
    assert_eq!(i["ID"], "a4bf012b7310");
    assert_eq!(i["MACAddress"], "a4:bf:01:2b:73:10");
    assert_eq!(i["ComponentID"], "x3000c0s1b0n0");
    assert_eq!(i["Type"], "Node");
    assert_eq!(
        i["IPAddresses"],
        json!([{"IPAddress": "10.252.1.7", "Network": "NMN"}])
    );
    let stamped = i["LastUpdate"].as_str().unwrap().to_string();
    assert!(stamped.ends_with('Z') && stamped.contains('T'), "{stamped}");

    // Duplicate MAC in another spelling: 409.
    assert_problem(
        &t.post(BASE, json!({"MACAddress": "a4bf012b7310"})).await,
        StatusCode::CONFLICT,
        "already exists",
    );

    // PATCH: description and component; IPs untouched keep LastUpdate.
    let (status, i) = t
        .patch(
            &format!("{BASE}/a4bf012b7310"),
            json!({"Description": "port 1", "ComponentID": "x3000c0s1b0"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{i}");
    assert_eq!(i["Description"], "port 1");
    assert_eq!(i["Type"], "NodeBMC");
    assert_eq!(i["LastUpdate"], stamped.as_str());

    // IPAddresses sub-resource.
    let (status, body) = t
        .post(
            &format!("{BASE}/a4bf012b7310/IPAddresses"),
            json!({"IPAddress": "10.100.0.7", "Network": "CAN"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body["URI"],
        format!("{BASE}/a4bf012b7310/IPAddresses/10.100.0.7")
    );
    assert_problem(
        &t.post(
            &format!("{BASE}/a4bf012b7310/IPAddresses"),
            json!({"IPAddress": "10.100.0.7"}),
        )
        .await,
        StatusCode::CONFLICT,
        "already has IP address 10.100.0.7",
    );
    let (status, m) = t
        .patch(
            &format!("{BASE}/a4bf012b7310/IPAddresses/10.100.0.7"),
            json!({"Network": "CHN"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{m}");
    assert_eq!(m, json!({"IPAddress": "10.100.0.7", "Network": "CHN"}));
    let (_, ips) = t.get(&format!("{BASE}/a4bf012b7310/IPAddresses")).await;
    assert_eq!(
        ips,
        json!([{"IPAddress": "10.252.1.7", "Network": "NMN"},
               {"IPAddress": "10.100.0.7", "Network": "CHN"}])
    );
    let (status, _) = t
        .delete(&format!("{BASE}/a4bf012b7310/IPAddresses/10.252.1.7"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_problem(
        &t.delete(&format!("{BASE}/a4bf012b7310/IPAddresses/10.252.1.7"))
            .await,
        StatusCode::NOT_FOUND,
        "has no IP address 10.252.1.7",
    );

    // Delete one, then all.
    let (status, body) = t.delete(&format!("{BASE}/a4bf012b7310")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_problem(
        &t.get(&format!("{BASE}/a4bf012b7310")).await,
        StatusCode::NOT_FOUND,
        "no such Ethernet interface: a4bf012b7310",
    );
    assert_problem(&t.delete(BASE).await, StatusCode::NOT_FOUND, "no entries");
}

#[tokio::test]
async fn filters() {
    let t = with_two().await;
    let q = |query: &'static str| {
        let t = &t;
        async move {
            let (status, v) = t.get(&format!("{BASE}?{query}")).await;
            assert_eq!(status, StatusCode::OK, "{query}: {v}");
            ids(&v).into_iter().map(String::from).collect::<Vec<_>>()
        }
    };
    assert_eq!(q("").await, ["a4bf012b7310", "a4bf012b7311"]);
    assert_eq!(q("MACAddress=a4:bf:01:2b:73:11").await, ["a4bf012b7311"]);
    assert_eq!(q("IPAddress=10.252.1.7").await, ["a4bf012b7310"]);
    assert_eq!(q("Network=HMN").await, ["a4bf012b7311"]);
    assert_eq!(q("Network=HMN&Network=NMN").await.len(), 2);
    assert_eq!(q("ComponentID=x3000c0s1b0n0").await, ["a4bf012b7310"]);
    assert_eq!(q("Type=Node").await, ["a4bf012b7310"]);
    assert_eq!(q("NewerThan=2000-01-01T00:00:00Z").await.len(), 2);
    assert_eq!(q("OlderThan=2000-01-01T00:00:00Z").await.len(), 0);
    assert_problem(
        &t.get(&format!("{BASE}?NewerThan=yesterday")).await,
        StatusCode::BAD_REQUEST,
        "NewerThan 'yesterday' is not an RFC 3339 time",
    );
    assert_problem(
        &t.get(&format!("{BASE}?MACAddress=zz")).await,
        StatusCode::BAD_REQUEST,
        "bad MAC address 'zz'",
    );
    assert_problem(
        &t.get(&format!("{BASE}?vlan=3")).await,
        StatusCode::BAD_REQUEST,
        "unknown parameter 'vlan'",
    );
}

#[tokio::test]
async fn bad_input_is_named_and_stores_nothing() {
    let t = with_two().await;
    let cases = [
        (json!({"Description": "no mac"}), "missing MACAddress"),
        (json!({"MACAddress": "a4:bf:01:2b:73"}), "bad MAC address"),
        (
            json!({"MACAddress": "a4bf012b7312", "ComponentID": "node7"}),
            "ComponentID",
        ),
        (
            json!({"MACAddress": "a4bf012b7312", "IPAddresses": [{"IPAddress": "10.0.0.999"}]}),
            "bad IP address '10.0.0.999'",
        ),
        (
            json!({"MACAddress": "a4bf012b7312", "IPAddresses": [{"IPAddress": "10.0.0.1"}, {"IPAddress": "10.0.0.1"}]}),
            "listed twice",
        ),
        (
            json!({"MACAddress": "a4bf012b7312", "IPAddresses": "10.0.0.1"}),
            "malformed JSON body",
        ),
    ];
    for (body, needle) in cases {
        assert_problem(&t.post(BASE, body).await, StatusCode::BAD_REQUEST, needle);
    }
    assert_problem(
        &t.get(&format!("{BASE}/not-a-mac")).await,
        StatusCode::BAD_REQUEST,
        "bad Ethernet interface ID",
    );
    assert_problem(
        &t.patch(&format!("{BASE}/a4bf012b7399"), json!({"Description": "x"}))
            .await,
        StatusCode::NOT_FOUND,
        "no such Ethernet interface: a4bf012b7399",
    );
    // A bad PATCH changes nothing.
    assert_problem(
        &t.patch(
            &format!("{BASE}/a4bf012b7310"),
            json!({"Description": "changed", "IPAddresses": [{"IPAddress": "nope"}]}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "bad IP address 'nope'",
    );
    let (_, i) = t.get(&format!("{BASE}/a4bf012b7310")).await;
    assert_eq!(i["Description"], "onboard");
    assert_eq!(i["IPAddresses"][0]["IPAddress"], "10.252.1.7");
    let (_, all) = t.get(BASE).await;
    assert_eq!(all.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn deleting_a_component_unlinks_its_interfaces() {
    let t = with_two().await;
    let (status, _) = t.delete("/hsm/v2/State/Components/x3000c0s1b0n0").await;
    assert_eq!(status, StatusCode::OK);
    let (_, i) = t.get(&format!("{BASE}/a4bf012b7310")).await;
    assert_eq!(i["ComponentID"], "");
    assert_eq!(i["Type"], "");
    assert_eq!(
        i["IPAddresses"][0]["IPAddress"], "10.252.1.7",
        "MAC data kept"
    );
    let (_, v) = t.get(&format!("{BASE}?ComponentID=x3000c0s1b0n0")).await;
    assert_eq!(v, json!([]));
}
