//! End to end, for the calls around customers: team members, payment methods, customer sessions
//! and customer meters, through the SDK's default stack against the fake Polar, over loopback
//! HTTP and in-process ([`polar_e2e::suite!`]).

use futures_util::TryStreamExt;
use polar_customers::types::{
    CustomerMeterSortProperty, MemberRole, MemberSortProperty, PaymentMethod,
};
use polar_customers::{ApiErrorKind, Error};
use polar_e2e::{Harness, Transport};
use polar_fake::{FakePolar, samples};
use polar_types::{CustomerId, LocItem};

polar_e2e::suite!(
    team_members_through_both_kinds_of_ids,
    a_member_of_another_customer_is_not_found,
    member_rules_refuse_with_polars_answers,
    deleting_a_customer_removes_its_members,
    a_customers_members_are_listed_and_streamed,
    payment_methods_are_listed_and_streamed,
    customer_sessions_open_the_portal,
    customer_meters_reflect_the_seeded_state,
);

fn api(err: Error) -> polar_customers::ApiError {
    match err {
        Error::Api(api) => *api,
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn first_loc(e: &polar_customers::ApiError) -> Vec<String> {
    e.validation_errors()[0]
        .loc
        .iter()
        .map(|l| match l {
            LocItem::String(s) => s.clone(),
            LocItem::Integer(i) => i.to_string(),
        })
        .collect()
}

/// A team customer with an email (its owner) and an external ID.
async fn team(h: &Harness, email: &str, external_id: &str) -> CustomerId {
    h.client()
        .customers()
        .create()
        .team()
        .email(email)
        .external_id(external_id)
        .await
        .unwrap()
        .id()
}

async fn team_members_through_both_kinds_of_ids(t: Transport) {
    let h = Harness::start(t, FakePolar::new()).await;
    // Two external IDs that only survive as one path segment each.
    let team_ext = "team 7?x#y é";
    let id = team(&h, "owner@polar.sh", team_ext).await;
    let client = h.client();
    let members = client.customers().members(id);

    let grace = members
        .create("grace@polar.sh")
        .name("Grace")
        .role(MemberRole::BillingManager)
        .await
        .unwrap();
    assert_eq!(grace.customer_id, id);
    assert_eq!(grace.role, MemberRole::BillingManager);
    assert_eq!(members.get(grace.id).await.unwrap(), grace);
    let renamed = members.update(grace.id).name("Grace H.").await.unwrap();
    assert_eq!(renamed.name.as_deref(), Some("Grace H."));

    let by_ext = client.customers().members_external(team_ext);
    let member_ext = "m 1?#%2F..";
    let linus = by_ext
        .create("linus@polar.sh")
        .external_id(member_ext)
        .await
        .unwrap();
    assert_eq!(linus.role, MemberRole::Member);
    assert_eq!(by_ext.get(member_ext).await.unwrap().id, linus.id);

    // The owner, created with the customer, carries the customer's external ID.
    let owner = by_ext.get(team_ext).await.unwrap();
    assert_eq!(owner.role, MemberRole::Owner);
    assert_eq!(owner.email, "owner@polar.sh");

    // Ownership moves: the old owner becomes a billing manager.
    let promoted = by_ext
        .update(member_ext)
        .role(MemberRole::Owner)
        .await
        .unwrap();
    assert_eq!(promoted.role, MemberRole::Owner);
    assert_eq!(
        members.get(owner.id).await.unwrap().role,
        MemberRole::BillingManager
    );

    by_ext.delete(team_ext).await.unwrap();
    assert!(by_ext.get(team_ext).await.unwrap_err().is_not_found());
    members.delete(grace.id).await.unwrap();
    assert!(members.get(grace.id).await.unwrap_err().is_not_found());
    assert_eq!(h.fake.members_json(id).len(), 1);
}

async fn a_member_of_another_customer_is_not_found(t: Transport) {
    let h = Harness::start(t, FakePolar::new()).await;
    let a = team(&h, "a@polar.sh", "team-a").await;
    let b = team(&h, "b@polar.sh", "team-b").await;
    let customers = h.client().customers();
    let of_a = customers
        .members(a)
        .create("x@polar.sh")
        .external_id("x")
        .await
        .unwrap();
    for err in [
        customers.members(b).get(of_a.id).await.unwrap_err(),
        customers
            .members(b)
            .update(of_a.id)
            .name("n")
            .await
            .unwrap_err(),
        customers.members(b).delete(of_a.id).await.unwrap_err(),
        customers
            .members_external("team-b")
            .get("x")
            .await
            .unwrap_err(),
    ] {
        let e = api(err);
        assert_eq!(e.kind(), ApiErrorKind::NotFound);
        assert_eq!(e.detail(), Some("Member not found"));
    }
    let e = api(customers
        .members(CustomerId::new_v4())
        .create("y@polar.sh")
        .await
        .unwrap_err());
    assert_eq!(e.detail(), Some("Customer not found"));
    assert!(customers.members(a).get(of_a.id).await.is_ok());
}

async fn member_rules_refuse_with_polars_answers(t: Transport) {
    let h = Harness::start(t, FakePolar::new()).await;
    let customers = h.client().customers();

    // An individual has its owner and no one else.
    let solo = customers
        .create()
        .email("solo@polar.sh")
        .await
        .unwrap()
        .id();
    let e = api(customers
        .members(solo)
        .create("other@polar.sh")
        .await
        .unwrap_err());
    assert_eq!(
        (e.kind(), e.code()),
        (ApiErrorKind::Forbidden, Some("NotPermitted"))
    );

    let id = team(&h, "boss@polar.sh", "t").await;
    let members = customers.members(id);
    let ann = members.create("ann@polar.sh").await.unwrap();
    // The same email (any case) answers the member already there.
    let again = members.create("ANN@polar.sh").await.unwrap();
    assert_eq!(again.id, ann.id);
    let bob = members.create("bob@polar.sh").await.unwrap();
    let e = api(members
        .update(bob.id)
        .email("ann@polar.sh")
        .await
        .unwrap_err());
    assert_eq!(e.kind(), ApiErrorKind::Validation);
    assert_eq!(first_loc(&e), ["body", "email"]);
    assert_eq!(
        e.validation_errors()[0].msg,
        "A member with this email already exists for this customer."
    );

    // The only owner can neither step down nor go.
    let owner = customers.members_external("t").get("t").await.unwrap();
    let e = api(members
        .update(owner.id)
        .role(MemberRole::Member)
        .await
        .unwrap_err());
    assert_eq!(first_loc(&e), ["body", "role"]);
    let e = api(members.delete(owner.id).await.unwrap_err());
    assert_eq!(first_loc(&e), ["body"]);
    assert_eq!(
        e.validation_errors()[0].msg,
        "Cannot delete the only owner. Transfer ownership first."
    );

    // Polar's create schema takes no owner: 422 at body.role.
    let e = api(members
        .create("c@polar.sh")
        .role(MemberRole::Owner)
        .await
        .unwrap_err());
    assert_eq!(first_loc(&e), ["body", "role"]);

    h.fake.set_member_management(false);
    let e = api(members.create("late@polar.sh").await.unwrap_err());
    assert_eq!(
        e.detail(),
        Some("Member management is not enabled for this organization")
    );
}

async fn deleting_a_customer_removes_its_members(t: Transport) {
    let h = Harness::start(t, FakePolar::new()).await;
    let id = team(&h, "gone@polar.sh", "gone").await;
    let customers = h.client().customers();
    let m = customers.members(id).create("m@polar.sh").await.unwrap();
    assert_eq!(h.fake.members_json(id).len(), 2);
    customers.delete(id).await.unwrap();
    assert!(h.fake.members_json(id).is_empty());
    assert!(
        customers
            .members(id)
            .get(m.id)
            .await
            .unwrap_err()
            .is_not_found()
    );
    // A new team may reuse the external ID; its members start afresh.
    let again = team(&h, "gone@polar.sh", "gone").await;
    assert_eq!(h.fake.members_json(again).len(), 1);
}

async fn a_customers_members_are_listed_and_streamed(t: Transport) {
    let h = Harness::start(t, FakePolar::new()).await;
    let team_ext = "team 7?x#y é";
    let id = team(&h, "owner@polar.sh", team_ext).await;
    let customers = h.client().customers();
    let members = customers.members(id);
    for (email, role) in [
        ("a@polar.sh", MemberRole::Member),
        ("b@polar.sh", MemberRole::BillingManager),
        ("c@polar.sh", MemberRole::Member),
    ] {
        members.create(email).role(role).await.unwrap();
    }
    let emails = |list: &[polar_customers::Member]| -> Vec<String> {
        list.iter().map(|m| m.email.clone()).collect()
    };

    // One page, newest first by default.
    let page = members.list().limit(2).await.unwrap();
    assert_eq!(emails(&page.items), ["c@polar.sh", "b@polar.sh"]);
    assert_eq!(page.pagination.total_count, 4);
    assert_eq!(page.pagination.max_page, 2);

    // Every member, oldest first, through the external ID, two pages of two.
    let all: Vec<_> = customers
        .members_external(team_ext)
        .list()
        .sort_by(MemberSortProperty::CreatedAt)
        .limit(2)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        emails(&all),
        ["owner@polar.sh", "a@polar.sh", "b@polar.sh", "c@polar.sh"]
    );
    assert_eq!(all[0].role, MemberRole::Owner);

    // One role, as whole pages.
    let pages: Vec<_> = members
        .list()
        .role(MemberRole::Member)
        .limit(1)
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 2);
    assert_eq!(emails(&pages[0].items), ["c@polar.sh"]);

    // An unknown customer: 404, by ID and by external ID.
    let unknown = customers
        .members(CustomerId::from(uuid::Uuid::new_v4()))
        .list()
        .await
        .unwrap_err();
    assert_eq!(api(unknown).detail(), Some("Customer not found"));
    assert!(
        customers
            .members_external("nobody")
            .list()
            .stream()
            .try_collect::<Vec<_>>()
            .await
            .unwrap_err()
            .is_not_found()
    );
}

async fn payment_methods_are_listed_and_streamed(t: Transport) {
    let h = Harness::start(t, FakePolar::new()).await;
    let customers = h.client().customers();
    let created = customers
        .create()
        .email("pay@polar.sh")
        .external_id("pay/1")
        .await
        .unwrap();
    let id = created.id();
    let card = samples::card("visa", "4242");
    assert!(h.fake.add_payment_method(id, &card, true));
    assert!(
        h.fake
            .add_payment_method(id, &samples::payment_method("sepa_debit"), false)
    );

    let page = customers.payment_methods(id).await.unwrap();
    assert_eq!(page.pagination.total_count, 2);
    // Newest first.
    let PaymentMethod::Generic(sepa) = &page.items[0] else {
        panic!("expected the SEPA debit first: {:?}", page.items)
    };
    assert_eq!(
        (sepa.r#type.as_str(), sepa.is_default),
        ("sepa_debit", false)
    );
    let PaymentMethod::Card(saved) = &page.items[1] else {
        panic!("expected the card second: {:?}", page.items)
    };
    assert!(saved.is_default);
    assert_eq!(saved.customer_id, id);
    let PaymentMethod::Card(original) = &card else {
        unreachable!()
    };
    assert_eq!(saved.id, original.id);
    let customer = customers.get(id).await.unwrap();
    let polar_customers::Customer::Individual(ind) = &customer else {
        panic!("{customer:?}")
    };
    assert_eq!(
        ind.default_payment_method_id,
        polar_types::Nullable::Value(original.id)
    );

    // One per page, walked by the stream.
    let all: Vec<PaymentMethod> = customers
        .payment_methods(id)
        .limit(1)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all, page.items);
    // Polar routes on the decoded path: `pay/1` is two segments there, so not found.
    let e = customers
        .payment_methods_external("pay/1")
        .await
        .unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
    // An unknown customer is 404; a limit of 0 never leaves the SDK.
    let e = customers
        .payment_methods(CustomerId::new_v4())
        .await
        .unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
    let e = customers.payment_methods(id).limit(0).await.unwrap_err();
    assert!(
        matches!(e, Error::InvalidInput(ref i) if i.field == "limit"),
        "{e:?}"
    );
}

async fn customer_sessions_open_the_portal(t: Transport) {
    let h = Harness::start(t, FakePolar::new()).await;
    let client = h.client();
    let solo = client
        .customers()
        .create()
        .email("portal@polar.sh")
        .external_id("u 42")
        .await
        .unwrap()
        .id();
    let session = client
        .customer_sessions()
        .create(solo)
        .return_url("https://example.com/account")
        .await
        .unwrap();
    assert_eq!(session.customer_id, solo);
    assert_eq!(
        session.return_url.as_deref(),
        Some("https://example.com/account")
    );
    // Member management is on: an individual's session is its owner's.
    assert!(session.token.expose().starts_with("polar_mst_"));
    let url = session.customer_portal_url.expose();
    assert!(url.contains(&format!(
        "customer_session_token={}",
        session.token.expose()
    )));
    assert!(url.contains("email=portal%40polar.sh"), "{url}");
    let ttl = session.expires_at.duration_since(session.created_at);
    assert_eq!(ttl.as_secs(), 3600);
    assert!(!format!("{session:?}").contains(session.token.expose()));

    client
        .customer_sessions()
        .create_external("u 42")
        .await
        .unwrap();

    // A team names the member; an unknown customer is a 422, not a 404.
    let team_id = team(&h, "t@polar.sh", "team").await;
    let e = api(client
        .customer_sessions()
        .create(team_id)
        .await
        .unwrap_err());
    assert_eq!(first_loc(&e), ["body", "member_id"]);
    let m = client
        .customers()
        .members(team_id)
        .create("m@polar.sh")
        .await
        .unwrap();
    let s = client
        .customer_sessions()
        .create(team_id)
        .member_id(m.id)
        .await
        .unwrap();
    assert!(
        s.customer_portal_url
            .expose()
            .contains("email=m%40polar.sh")
    );
    let e = api(client
        .customer_sessions()
        .create(CustomerId::new_v4())
        .await
        .unwrap_err());
    assert_eq!(first_loc(&e), ["body", "customer_id"]);
    assert_eq!(e.validation_errors()[0].msg, "Customer does not exist.");

    h.fake.set_member_management(false);
    let s = client.customer_sessions().create(solo).await.unwrap();
    assert!(s.token.expose().starts_with("polar_cst_"));
}

async fn customer_meters_reflect_the_seeded_state(t: Transport) {
    let h = Harness::start(t, FakePolar::new()).await;
    let customers = h.client().customers();
    let a = customers
        .create()
        .email("ma@polar.sh")
        .external_id("ma")
        .await
        .unwrap()
        .id();
    let b = team(&h, "mb@polar.sh", "mb").await;
    let (low, high) = (samples::meter(90.0, 100), samples::meter(10.0, 100));
    assert!(h.fake.add_meter(a, &low));
    assert!(h.fake.add_meter(b, &high));

    let meters = h.client().customer_meters();
    let all = meters
        .list()
        .sort_by(CustomerMeterSortProperty::BalanceDesc)
        .await
        .unwrap();
    assert_eq!(all.pagination.total_count, 2);
    assert_eq!(all.items[0].id, high.id);
    assert_eq!(all.items[0].balance, 90.0);
    assert_eq!(all.items[1].customer.id(), a);

    let of_a = meters.list().external_customer_id("ma").await.unwrap();
    assert_eq!(of_a.items.len(), 1);
    assert_eq!(of_a.items[0].meter_id, low.meter_id);
    let of_b = meters.list().customer_id(b).await.unwrap();
    assert_eq!(of_b.items[0].customer_id, b);

    let streamed: Vec<_> = meters.list().limit(1).stream().try_collect().await.unwrap();
    assert_eq!(streamed.len(), 2);
    let got = meters.get(low.id).await.unwrap();
    assert_eq!((got.consumed_units, got.credited_units), (90.0, 100));
    assert!(
        meters
            .get(polar_types::CustomerMeterId::new_v4())
            .await
            .unwrap_err()
            .is_not_found()
    );
    // Polar keeps a deleted customer's meters (server/polar/customer_meter/repository.py).
    customers.delete(b).await.unwrap();
    assert_eq!(meters.list().await.unwrap().pagination.total_count, 2);
}
