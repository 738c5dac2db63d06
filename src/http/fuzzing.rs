//! The REST bodies as their handlers read and check them, with no database behind: the
//! entry points of the fuzz targets in `fuzz/` and of the replay of their corpus. Not an
//! API: nothing but those calls it.

use serde::de::DeserializeOwned;

use crate::domain::AccountKind;
use crate::money::Money;
use crate::security::IdNumberKey;
use crate::storage::lots::NewLot;
use crate::storage::money::NotificationAction;
use crate::text::TextKind;

use super::ApiError;
use super::accounts::{SignIn, SignUp, Verification, new_identity};
use super::lots::{applications, terms};
use super::money::{bank, deposits, guarantees, withdrawals};

/// The request bodies a client can send, by the route that reads them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// `POST /accounts`
    SignUp,
    /// `POST /sessions`
    SignIn,
    /// `POST /accounts/{id}/verification`
    Verification,
    /// `POST /lots`
    CreateLot,
    /// `POST /applications/{id}/reject`
    ApplicationRejection,
    /// `POST /applications/{id}/deposit`
    Deposit,
    /// `POST /bank/notifications`
    BankNotification,
    /// `POST /bank/notifications/{transfer_id}/resolve`
    BankResolution,
    /// `POST /wallet/withdrawals`
    Withdrawal,
    /// `POST /applications/{id}/guarantee`
    Guarantee,
    /// `POST /guarantees/{id}/reject`
    GuaranteeRejection,
}

impl Body {
    pub const ALL: [Body; 11] = [
        Body::SignUp,
        Body::SignIn,
        Body::Verification,
        Body::CreateLot,
        Body::ApplicationRejection,
        Body::Deposit,
        Body::BankNotification,
        Body::BankResolution,
        Body::Withdrawal,
        Body::Guarantee,
        Body::GuaranteeRejection,
    ];

    /// The name a corpus file starts with (its first line).
    pub fn name(self) -> &'static str {
        match self {
            Body::SignUp => "sign_up",
            Body::SignIn => "sign_in",
            Body::Verification => "verification",
            Body::CreateLot => "create_lot",
            Body::ApplicationRejection => "application_rejection",
            Body::Deposit => "deposit",
            Body::BankNotification => "bank_notification",
            Body::BankResolution => "bank_resolution",
            Body::Withdrawal => "withdrawal",
            Body::Guarantee => "guarantee",
            Body::GuaranteeRejection => "guarantee_rejection",
        }
    }

    pub fn from_name(name: &str) -> Option<Body> {
        Body::ALL.into_iter().find(|body| body.name() == name)
    }
}

/// What a body that passed its checks hands on, as far as the rules about it go.
#[derive(Debug, Default)]
pub struct Accepted {
    /// Every client text that is kept, by field, with the kind it was checked as.
    pub texts: Vec<(&'static str, String, TextKind)>,
    /// Every amount that is kept; each must be greater than zero.
    pub amounts: Vec<Money>,
    /// A new lot's terms.
    pub lot: Option<NewLot>,
}

/// Reads and checks `bytes` as the route for `body` does before it touches the database.
pub fn check(body: Body, bytes: &[u8]) -> Result<Accepted, ApiError> {
    let mut accepted = Accepted::default();
    match body {
        Body::SignUp => {
            let request: SignUp = json(bytes)?;
            request.requested_role()?;
            request.requested_kind()?;
            let display_name = request.checked_fields()?;
            accepted
                .texts
                .push(("display_name", display_name, TextKind::Line));
        }
        Body::SignIn => {
            let _: SignIn = json(bytes)?;
        }
        Body::Verification => {
            let request = json::<Verification>(bytes)?;
            let key = IdNumberKey::ephemeral();
            // The route takes the kind from the account; either kind's checks may pass.
            let identity = new_identity(request.clone(), AccountKind::Individual, &key)
                .or_else(|_| new_identity(request, AccountKind::Organisation, &key))?;
            let identity = identity.identity;
            accepted.texts.extend([
                ("real_name", identity.real_name, TextKind::Line),
                ("id_type", identity.id_type, TextKind::Line),
                (
                    "id_number_masked",
                    identity.id_number_masked,
                    TextKind::Line,
                ),
            ]);
        }
        Body::CreateLot => {
            let lot = json::<terms::CreateLot>(bytes)?.validate(1)?;
            accepted.texts.extend([
                ("title", lot.title.clone(), TextKind::Line),
                ("description", lot.description.clone(), TextKind::Long),
                ("currency", lot.currency.clone(), TextKind::Line),
            ]);
            accepted.amounts.extend(
                [lot.start_price, lot.increment]
                    .into_iter()
                    .chain(lot.reserve_price),
            );
            accepted.lot = Some(lot);
        }
        Body::ApplicationRejection => {
            let request: applications::Rejection = json(bytes)?;
            let reason = request.checked_reason()?.to_owned();
            accepted.texts.push(("reason", reason, TextKind::Long));
        }
        Body::Deposit => accepted.amounts.extend(deposits::requested_amount(bytes)?),
        Body::BankNotification => {
            let notification = bank::parse(bytes)?;
            if let Some(payer_name) = notification.payer_name {
                accepted
                    .texts
                    .push(("payer_name", payer_name, TextKind::Line));
            }
            accepted.texts.extend([
                ("transfer_id", notification.transfer_id, TextKind::Line),
                (
                    "account_number",
                    notification.account_number,
                    TextKind::Line,
                ),
                ("currency", notification.currency, TextKind::Line),
            ]);
            accepted.amounts.push(notification.amount);
        }
        Body::BankResolution => {
            let (note, action) = json::<bank::ResolveJson>(bytes)?.checked()?;
            accepted.texts.push(("note", note, TextKind::Long));
            if let NotificationAction::Credit { account_number } = action {
                accepted
                    .texts
                    .push(("account_number", account_number, TextKind::Line));
            }
        }
        Body::Withdrawal => accepted.amounts.push(withdrawals::requested_amount(bytes)?),
        Body::Guarantee => {
            let guarantee = json::<guarantees::GuaranteeRequest>(bytes)?.checked()?;
            accepted.texts.extend([
                ("issuer", guarantee.issuer, TextKind::Line),
                ("number", guarantee.number, TextKind::Line),
            ]);
            accepted.amounts.push(guarantee.amount);
        }
        Body::GuaranteeRejection => {
            let reason = json::<guarantees::RejectRequest>(bytes)?.checked_reason()?;
            accepted.texts.push(("reason", reason, TextKind::Long));
        }
    }
    Ok(accepted)
}

/// What the routes' [`super::Json`] extractor does with a JSON body.
fn json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    axum::Json::<T>::from_bytes(bytes)
        .map(|axum::Json(value)| value)
        .map_err(ApiError::from)
}
