//! Decoding of request bodies and query strings into checked inputs, with pydantic-style issues.

mod fields;
mod lists;
mod members;
mod metadata;
mod params;
mod query;
mod sessions;

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::issue::{
    Issue, at, missing, not_a_string, not_an_object, nul_char, parse_uuid4, root, value_error,
};
use crate::rules::email::Deliverability;
use crate::rules::{Address, Kind};

pub(crate) use lists::{MeterQuery, MeterSort, parse_meter_list, parse_payment_method_list};
pub(crate) use members::{
    MemberInput, MemberListQuery, MemberSort, MemberUpdateInput, Role, parse_member_create,
    parse_member_list, parse_member_update,
};
pub(crate) use query::{ListQuery, SortKey, parse_delete, parse_export, parse_list, query_pairs};
pub(crate) use sessions::{SessionTarget, parse_session};

/// A body field that may be absent, `null`, or a value.
#[derive(Clone, Debug, PartialEq, Default)]
pub(crate) enum Field<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<T> Field<T> {
    /// `Null` becomes `Some(None)`, a value `Some(Some(v))`, absent `None`.
    pub(crate) fn into_option(self) -> Option<Option<T>> {
        match self {
            Field::Absent => None,
            Field::Null => Some(None),
            Field::Value(v) => Some(Some(v)),
        }
    }
}

/// The owner member given on create.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct OwnerInput {
    pub email: String,
    pub name: Option<String>,
    pub external_id: Option<String>,
}

/// A checked create body.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CreateInput {
    pub kind: Kind,
    pub email: Option<String>,
    pub external_id: Option<String>,
    pub name: Option<String>,
    pub billing_address: Option<Address>,
    pub tax_id: Option<String>,
    pub locale: Option<String>,
    /// `Field::Value` when the body names an organization.
    pub organization_id: Option<uuid::Uuid>,
    pub owner: Option<OwnerInput>,
    pub metadata: BTreeMap<String, Value>,
}

/// A checked update body (by id or by external id).
#[derive(Clone, Debug, PartialEq, Default)]
pub(crate) struct UpdateInput {
    pub metadata: Option<BTreeMap<String, Value>>,
    /// `null` is ignored by the server: it is never `Field::Null` here.
    pub email: Field<String>,
    pub name: Field<String>,
    pub billing_address: Field<Address>,
    pub tax_id: Field<String>,
    pub locale: Field<String>,
    pub external_id: Field<String>,
    pub kind: Field<Kind>,
}

/// The fields both create and update bodies have, read at `base` (`["body"]`, or
/// `["body", tag]` inside the create union).
struct Common {
    name: Field<String>,
    tax_id: Field<String>,
    locale: Field<String>,
    billing_address: Field<Address>,
    metadata: Option<BTreeMap<String, Value>>,
}

fn common(obj: &Map<String, Value>, base: &[Value], errs: &mut Vec<Issue>) -> Common {
    let name = fields::name(obj, "name", base, errs);
    let tax_id = fields::text(obj, "tax_id", base, errs);
    let locale = fields::locale(
        fields::raw_string(obj, "locale", base, errs),
        at(base, "locale"),
        errs,
    );
    let billing_address = match obj.get("billing_address") {
        None => Field::Absent,
        Some(Value::Null) => Field::Null,
        Some(v) => match fields::address(v, at(base, "billing_address"), errs) {
            Some(a) => Field::Value(a),
            None => Field::Absent,
        },
    };
    let metadata = match obj.get("metadata") {
        None => None,
        Some(v) => {
            let m = metadata::metadata_field(v, at(base, "metadata"), errs);
            match m {
                Some(m) if metadata::has_nul(&m) => {
                    errs.push(nul_char(at(base, "metadata"), v.clone()));
                    None
                }
                other => other,
            }
        }
    };
    Common {
        name,
        tax_id,
        locale,
        billing_address,
        metadata,
    }
}

fn owner(
    value: &Value,
    base: &[Value],
    rules: &Deliverability,
    errs: &mut Vec<Issue>,
) -> Option<OwnerInput> {
    let loc = at(base, "owner");
    let Value::Object(o) = value else {
        errs.push(not_an_object(loc, value.clone()));
        return None;
    };
    let email = match o.get("email") {
        None => {
            errs.push(missing(at(&loc, "email"), value.clone()));
            Field::Absent
        }
        Some(Value::String(s)) => {
            fields::email(Field::Value(s.clone()), at(&loc, "email"), rules, errs)
        }
        Some(other) => {
            errs.push(not_a_string(at(&loc, "email"), other.clone()));
            Field::Absent
        }
    };
    let name = fields::name(o, "name", &loc, errs);
    let external_id = fields::text(o, "external_id", &loc, errs);
    match email {
        Field::Value(email) => Some(OwnerInput {
            email,
            name: name.into_option().flatten(),
            external_id: external_id.into_option().flatten(),
        }),
        _ => None,
    }
}

/// The create union's tag, as Polar's discriminator reads it (`str(body.get("type", "individual"))`).
fn create_tag(obj: &Map<String, Value>) -> String {
    match obj.get("type") {
        None => "individual".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) => "None".to_owned(),
        Some(Value::Bool(true)) => "True".to_owned(),
        Some(Value::Bool(false)) => "False".to_owned(),
        Some(other) => other.to_string(),
    }
}

/// Decodes a create body (`CustomerIndividualCreate | CustomerTeamCreate`, tagged by `type`).
pub(crate) fn parse_create(
    body: &Value,
    rules: &Deliverability,
) -> Result<CreateInput, Vec<Issue>> {
    let Value::Object(obj) = body else {
        return Err(vec![
            Issue::new(
                "model_type",
                at(&root("body"), "individual"),
                "Input should be a valid dictionary or instance of CustomerIndividualCreate",
                body.clone(),
            )
            .with_ctx(json!({ "class_name": "CustomerIndividualCreate" })),
        ]);
    };
    let tag = create_tag(obj);
    let kind = match tag.as_str() {
        "individual" => Kind::Individual,
        "team" => Kind::Team,
        _ => {
            let expected = "'individual', 'team'";
            let discriminator = "_customer_create_type()";
            return Err(vec![
                Issue::new(
                    "union_tag_invalid",
                    root("body"),
                    format!("Input tag '{tag}' found using {discriminator} does not match any of the expected tags: {expected}"),
                    body.clone(),
                )
                .with_ctx(json!({ "discriminator": discriminator, "tag": tag, "expected_tags": expected })),
            ]);
        }
    };
    let base = at(&root("body"), kind.as_str());
    let mut errs = Vec::new();
    let email = match obj.get("email") {
        None if kind == Kind::Individual => {
            errs.push(missing(at(&base, "email"), body.clone()));
            Field::Absent
        }
        None => Field::Absent,
        Some(Value::Null) if kind == Kind::Individual => {
            errs.push(not_a_string(at(&base, "email"), Value::Null));
            Field::Absent
        }
        Some(Value::Null) => Field::Null,
        Some(Value::String(s)) => fields::email(
            Field::Value(s.clone()),
            at(&base, "email"),
            rules,
            &mut errs,
        ),
        Some(other) => {
            errs.push(not_a_string(at(&base, "email"), other.clone()));
            Field::Absent
        }
    };
    let external_id = fields::text(obj, "external_id", &base, &mut errs);
    let c = common(obj, &base, &mut errs);
    let organization_id = match obj.get("organization_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => parse_uuid4(at(&base, "organization_id"), s, &mut errs),
        Some(other) => {
            errs.push(Issue::new(
                "uuid_type",
                at(&base, "organization_id"),
                "UUID input should be a string, bytes or UUID object",
                other.clone(),
            ));
            None
        }
    };
    let owner = match obj.get("owner") {
        None | Some(Value::Null) => None,
        Some(v) => owner(v, &base, rules, &mut errs),
    };
    if !errs.is_empty() {
        return Err(errs);
    }
    let email = email.into_option().flatten();
    if kind == Kind::Team && email.is_none() && owner.is_none() {
        // The team model's own check, run once its fields are valid.
        return Err(vec![value_error(
            base,
            "An owner with an email address is required when creating a team customer without an email.",
            body.clone(),
        )]);
    }
    Ok(CreateInput {
        kind,
        email,
        external_id: external_id.into_option().flatten(),
        name: c.name.into_option().flatten(),
        billing_address: c.billing_address.into_option().flatten(),
        tax_id: c.tax_id.into_option().flatten(),
        locale: c.locale.into_option().flatten(),
        organization_id,
        owner,
        metadata: c.metadata.unwrap_or_default(),
    })
}

/// Decodes an update body. `by_external_id` selects `CustomerUpdateExternalID`, which has
/// neither `external_id` nor `type`: sent anyway, they are ignored like any unknown key.
pub(crate) fn parse_update(
    body: &Value,
    by_external_id: bool,
    rules: &Deliverability,
) -> Result<UpdateInput, Vec<Issue>> {
    let Value::Object(obj) = body else {
        return Err(vec![not_an_object(root("body"), body.clone())]);
    };
    let base = root("body");
    let mut errs = Vec::new();
    let email = match fields::raw_string(obj, "email", &base, &mut errs) {
        // `"email": null` is accepted by the schema and ignored by the server.
        Field::Null => Field::Absent,
        f => fields::email(f, at(&base, "email"), rules, &mut errs),
    };
    let c = common(obj, &base, &mut errs);
    let mut input = UpdateInput {
        metadata: c.metadata,
        email,
        name: c.name,
        billing_address: c.billing_address,
        tax_id: c.tax_id,
        locale: c.locale,
        ..UpdateInput::default()
    };
    if !by_external_id {
        input.external_id = fields::text(obj, "external_id", &base, &mut errs);
        input.kind = match obj.get("type") {
            None => Field::Absent,
            Some(Value::Null) => Field::Null,
            Some(Value::String(t)) if t == "individual" => Field::Value(Kind::Individual),
            Some(Value::String(t)) if t == "team" => Field::Value(Kind::Team),
            Some(other) => {
                errs.push(
                    Issue::new(
                        "enum",
                        at(&base, "type"),
                        "Input should be 'individual' or 'team'",
                        other.clone(),
                    )
                    .with_ctx(json!({ "expected": "'individual' or 'team'" })),
                );
                Field::Absent
            }
        };
    }
    if errs.is_empty() {
        Ok(input)
    } else {
        Err(errs)
    }
}
