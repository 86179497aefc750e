//! Which fields of a request carry secrets (a BMC's `Password`, a client secret, a token), so
//! that no error text, audit entry, event or log repeats their values, whatever their type.

/// Whether a field named `name` holds a secret (case and `_`/`-` ignored).
pub fn is_secret_field(name: &str) -> bool {
    let n: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    n.contains("password")
        || n.contains("passwd")
        || n.contains("secret")
        || n.ends_with("token")
        || n == "privatekey"
}

/// Whether a serde path (`RedfishEndpoints[0].Password`) passes through a secret field.
pub fn is_secret_path(path: &str) -> bool {
    path.split(['.', '['])
        .map(|seg| seg.trim_end_matches(']'))
        .any(is_secret_field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_fields_and_paths() {
        for s in [
            "Password",
            "password",
            "client_secret",
            "BMC-Password",
            "access_token",
        ] {
            assert!(is_secret_field(s), "{s}");
        }
        for s in ["User", "ID", "FQDN", "tokens_left", "kernel"] {
            assert!(!is_secret_field(s), "{s}");
        }
        assert!(is_secret_path("RedfishEndpoints[0].Password"));
        assert!(!is_secret_path("RedfishEndpoints[0].User"));
    }
}
