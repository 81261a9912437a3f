use openapi::binding::ActionKind;

#[test]
fn reference_spec_loads_with_every_action_bound() {
    let spec = openapi::reference_spec();
    let mut actions: Vec<_> = spec
        .operations()
        .iter()
        .filter_map(|o| o.binding.as_ref().map(|b| b.action))
        .collect();
    actions.sort_by_key(|a| a.as_str());
    let mut all = ActionKind::ALL.to_vec();
    all.sort_by_key(|a| a.as_str());
    assert_eq!(actions, all);
    assert_eq!(spec.lifecycle().accounts.len(), 2);
}
