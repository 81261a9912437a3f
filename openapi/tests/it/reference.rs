use openapi::binding::ActionKind;

#[test]
fn reference_spec_loads_with_every_action_but_the_code_flows_bound() {
    let spec = openapi::reference_spec();
    let mut actions: Vec<_> = spec
        .operations()
        .iter()
        .filter_map(|o| o.bindings.first().map(|b| b.action))
        .collect();
    actions.sort_by_key(|a| a.as_str());
    // The authorization-code flow is fixtures/oidc.yaml's: the reference
    // API logs in with a password. The OAuth actions (RFC 7009 and 7662)
    // are fixtures/oauth2.yaml's: the reference API is not an OAuth server.
    let oauth = [ActionKind::RevokeToken, ActionKind::Introspect];
    let mut all: Vec<_> = ActionKind::ALL
        .into_iter()
        .filter(|a| !a.is_code_flow() && !oauth.contains(a))
        .collect();
    all.sort_by_key(|a| a.as_str());
    assert_eq!(actions, all);
    assert_eq!(spec.lifecycle().accounts.len(), 2);
}

/// Any change of the contract shows up as a diff of this snapshot.
#[test]
fn reference_yaml_snapshot() {
    insta::assert_snapshot!(openapi::reference::reference_yaml());
}

/// `openapi/reference.yaml` is what `reference_yaml()` produces. With
/// `UPDATE_REFERENCE=1` the test writes the file instead.
#[test]
fn committed_reference_yaml_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("reference.yaml");
    let expected = openapi::reference::reference_yaml();
    if std::env::var_os("UPDATE_REFERENCE").is_some_and(|v| v == "1") {
        std::fs::write(&path, &expected)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == expected,
        "{} is out of date with openapi::reference::reference_yaml(); \
         regenerate it with `UPDATE_REFERENCE=1 cargo test -p openapi --test it committed_reference_yaml_is_current`",
        path.display()
    );
}

/// The committed file loads as the embedded spec does.
#[test]
fn committed_reference_yaml_loads() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("reference.yaml");
    let spec = openapi::Spec::from_path(&path).unwrap();
    assert_eq!(spec.document(), openapi::reference_spec().document());
}
