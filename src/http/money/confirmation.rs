//! `GET /lots/{id}/settlement/confirmation`: the transaction confirmation (成交确认书) a
//! sold lot's buyer keeps, as one self-contained printable HTML page (A4, no external
//! resources, no JavaScript).
//!
//! The handler gathers what the document states; [`render`] turns it into HTML and does
//! nothing else, so the document is tested without a server. Every text a user wrote
//! (title, description, names) goes through [`escape_html`].

use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::app::AppState;
use crate::storage::RoomEventKind;
use crate::storage::money::{Settlement, SettlementStatus};
use crate::time_format;

use super::super::openapi::{ErrorBody, MONEY};
use super::super::{ApiError, Caller};
use super::settlements::visible_settlement;

/// Everything the confirmation states, already read from storage.
#[derive(Clone, Debug)]
pub(super) struct Confirmation<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub currency: &'a str,
    pub fee_rate: Decimal,
    pub starts_at_ms: i64,
    /// When the room closed, from its journal; `None` when no close was journaled (the
    /// document then shows when the settlement was opened, and says so).
    pub closed_at_ms: Option<i64>,
    pub buyer: Buyer<'a>,
    pub settlement: &'a Settlement,
    pub issued_at_ms: i64,
}

/// The winner as the document names it.
#[derive(Clone, Debug)]
pub(super) struct Buyer<'a> {
    /// 竞买号; every approved application has one.
    pub bidder_number: Option<&'a str>,
    pub display_name: &'a str,
    /// The verified real name (实名认证), if the account was verified.
    pub real_name: Option<&'a str>,
}

/// The winner, the lot's auctioneer and admins: whoever may see the settlement.
#[utoipa::path(
    get,
    path = "/lots/{id}/settlement/confirmation",
    operation_id = "get_settlement_confirmation",
    tag = MONEY,
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The lot's id")),
    responses(
        (status = 200, description = "The transaction confirmation (成交确认书), one printable HTML page; a defaulted settlement's is marked void", content_type = "text/html", body = String),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not the winner, the lot's auctioneer nor an admin", body = ErrorBody),
        (status = 404, description = "`not_found`: no such lot, or no settlement", body = ErrorBody),
    )
)]
pub(super) async fn download(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let settlement = visible_settlement(&state, &caller, &id).await?;
    let lot_id = settlement.lot_id;
    let store = &state.store;
    let lot = store.get_lot(lot_id).await?.ok_or_else(|| {
        ApiError::internal(anyhow::anyhow!("the settlement of lot {lot_id} has no lot"))
    })?;
    let application = store.get_application(settlement.application_id).await?;
    let winner = store
        .account_details(settlement.account_id)
        .await?
        .ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!(
                "the winner {} of lot {lot_id} has no account",
                settlement.account_id
            ))
        })?;
    let closed_at_ms = store
        .bid_summary(lot_id)
        .await?
        .last_event
        .filter(|event| event.kind == RoomEventKind::Closed)
        .map(|event| event.at_ms);
    let html = render(&Confirmation {
        title: &lot.title,
        description: &lot.description,
        currency: &lot.currency,
        fee_rate: lot.fee_rate,
        starts_at_ms: lot.starts_at_ms,
        closed_at_ms,
        buyer: Buyer {
            bidder_number: application
                .as_ref()
                .and_then(|application| application.bidder_number.as_deref()),
            display_name: &winner.account.display_name,
            real_name: winner
                .identity
                .as_ref()
                .map(|identity| identity.real_name.as_str()),
        },
        settlement: &settlement,
        issued_at_ms: state.clock.now_ms(),
    });
    let disposition = format!("inline; filename=\"confirmation-lot-{lot_id}.html\"");
    Ok((
        [
            (CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
            (CONTENT_DISPOSITION, disposition),
        ],
        html,
    )
        .into_response())
}

/// The document number: `BR-` and the lot id, zero padded to eight digits.
pub(super) fn document_number(lot_id: i64) -> String {
    format!("BR-{lot_id:08}")
}

/// Text made safe inside HTML elements and quoted attributes.
pub(super) fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// A UTC time for people (`2026-11-23 08:00:00 UTC`), with RFC 3339 for machines.
fn time_html(ms: i64) -> String {
    let readable = DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%d %H:%M:%S UTC");
    format!(
        "<time datetime=\"{}\">{readable}</time>",
        time_format::to_rfc3339(ms)
    )
}

/// A fee rate as a percentage (`0.015` → `1.5%`), exactly.
fn percent(rate: Decimal) -> String {
    format!("{}%", (rate * Decimal::ONE_HUNDRED).normalize())
}

/// The status in Chinese and English.
fn status_text(status: SettlementStatus) -> &'static str {
    match status {
        SettlementStatus::Open => "待付款 Open (awaiting payment)",
        SettlementStatus::Paid => "已付清 Paid",
        SettlementStatus::Defaulted => "违约 Defaulted",
    }
}

fn row(label: &str, value_html: &str) -> String {
    format!("<tr><th scope=\"row\">{label}</th><td>{value_html}</td></tr>\n")
}

fn amount_row(label: &str, currency: &str, amount: impl std::fmt::Display) -> String {
    format!(
        "<tr><th scope=\"row\">{label}</th><td class=\"amount\">{currency} {amount}</td></tr>\n"
    )
}

/// The Content-Security-Policy source that allows this document's one inline style
/// (`'sha256-…'` of [`STYLE`]). A page that opens the document from a blob URL lends it its
/// own policy, so the pages' policy names it; nothing else inline is allowed.
pub(in crate::http) fn style_source() -> &'static str {
    static SOURCE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SOURCE.get_or_init(|| {
        use base64::Engine as _;
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(STYLE.as_bytes());
        format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(digest)
        )
    })
}

const STYLE: &str = r#"
@page { size: A4; margin: 18mm 16mm; }
* { box-sizing: border-box; }
body { margin: 0 auto; padding: 12mm 0; max-width: 178mm; color: #111; font-size: 10.5pt;
  line-height: 1.5; font-family: "Noto Serif CJK SC", "Source Han Serif SC", "Songti SC",
  SimSun, serif; }
header { text-align: center; border-bottom: 2px solid #111; padding-bottom: 3mm; }
h1 { margin: 0; font-size: 20pt; letter-spacing: 0.15em; }
h1 span { display: block; font-size: 12pt; letter-spacing: 0; font-weight: normal; }
.meta { display: flex; justify-content: space-between; margin-top: 2mm; font-size: 9.5pt; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; border-left: 3px solid #111; padding-left: 2mm; }
table { width: 100%; border-collapse: collapse; }
th, td { border: 1px solid #555; padding: 1.5mm 2.5mm; text-align: left; vertical-align: top; }
th { width: 40%; font-weight: normal; background: #f2f2f2; }
td.amount { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total th, tr.total td { font-weight: bold; }
.description { white-space: pre-wrap; overflow-wrap: anywhere; }
.void { margin-top: 5mm; padding: 3mm; border: 3px double #b00; color: #b00;
  text-align: center; font-size: 13pt; font-weight: bold; }
.watermark { position: fixed; top: 40%; left: 0; right: 0; text-align: center;
  font-size: 72pt; font-weight: bold; color: rgba(187, 0, 0, 0.12);
  transform: rotate(-30deg); pointer-events: none; }
.note { font-size: 9pt; color: #333; margin-top: 4mm; }
.signatures { display: flex; gap: 8mm; margin-top: 8mm; }
.signature { flex: 1; border: 1px solid #555; padding: 3mm; min-height: 55mm; }
.signature h3 { margin: 0 0 2mm; font-size: 11pt; }
.signature .seal { height: 25mm; }
.line { border-bottom: 1px solid #111; display: inline-block; min-width: 40mm; }
@media print {
  body { padding: 0; max-width: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  section, table, .signatures { break-inside: avoid; }
}
"#;

/// The whole document. Pure: the same data gives the same bytes.
pub(super) fn render(confirmation: &Confirmation<'_>) -> String {
    let settlement = confirmation.settlement;
    let number = document_number(settlement.lot_id);
    let currency = escape_html(confirmation.currency);
    let title = escape_html(confirmation.title);
    let defaulted = settlement.status == SettlementStatus::Defaulted;

    let void_notice = if defaulted {
        "<div class=\"watermark\" aria-hidden=\"true\">作废 VOID</div>\n\
         <p class=\"void\" role=\"alert\">本确认书作废：买受人违约，保证金不予退还<br>\
         VOID — the buyer defaulted; the deposit is forfeited</p>\n"
    } else {
        ""
    };

    let mut lot_rows = String::new();
    lot_rows += &row("标的编号 Lot ID", &settlement.lot_id.to_string());
    lot_rows += &row("标的名称 Title", &title);
    lot_rows += &row(
        "标的描述 Description",
        &format!(
            "<div class=\"description\">{}</div>",
            escape_html(confirmation.description)
        ),
    );

    let mut time_rows = String::new();
    time_rows += &row("开始时间 Start", &time_html(confirmation.starts_at_ms));
    time_rows += &match confirmation.closed_at_ms {
        Some(closed_at_ms) => row("成交时间 Closed", &time_html(closed_at_ms)),
        None => row(
            "结算生成时间 Settlement opened",
            &time_html(settlement.created_at_ms),
        ),
    };

    let buyer = &confirmation.buyer;
    let mut buyer_rows = String::new();
    buyer_rows += &row(
        "竞买号 Bidder number",
        &escape_html(buyer.bidder_number.unwrap_or("—")),
    );
    buyer_rows += &row("名称 Display name", &escape_html(buyer.display_name));
    buyer_rows += &row(
        "真实姓名 Real name",
        &match buyer.real_name {
            Some(real_name) => format!("{}（已实名认证 verified）", escape_html(real_name)),
            None => "未实名认证 Not verified".to_owned(),
        },
    );

    let mut money_rows = String::new();
    money_rows += &amount_row("成交价 Hammer price", &currency, settlement.price);
    money_rows += &amount_row(
        &format!(
            "佣金 Service fee（费率 rate {}）",
            percent(confirmation.fee_rate)
        ),
        &currency,
        settlement.fee,
    );
    money_rows += &amount_row(
        "保证金结转 Deposit applied",
        &currency,
        format!("−{}", settlement.deposit_applied),
    );
    money_rows += &format!(
        "<tr class=\"total\"><th scope=\"row\">应付金额 Amount due</th>\
         <td class=\"amount\">{currency} {}</td></tr>\n",
        settlement.amount_due
    );
    money_rows += &amount_row("已付金额 Amount paid", &currency, settlement.amount_paid);
    money_rows += &amount_row("未付余额 Balance", &currency, settlement.balance());
    money_rows += &row("结算状态 Status", status_text(settlement.status));
    money_rows += &row(
        "付款期限 Payment due",
        &settlement
            .due_at_ms
            .map_or_else(|| "未设定 Not set".to_owned(), time_html),
    );
    if let Some(resolved_at_ms) = settlement.resolved_at_ms {
        let label = match settlement.status {
            SettlementStatus::Defaulted => "违约时间 Defaulted at",
            _ => "付清时间 Paid at",
        };
        money_rows += &row(label, &time_html(resolved_at_ms));
    }

    let issued = time_html(confirmation.issued_at_ms);
    let bidder_number = escape_html(buyer.bidder_number.unwrap_or("—"));
    format!(
        r#"<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>成交确认书 Transaction Confirmation {number}</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>成交确认书<span>Transaction Confirmation</span></h1>
<div class="meta"><span>拍卖平台 Exchange: bidroom</span><span>文书编号 Document No. {number}</span></div>
</header>
{void_notice}<section>
<h2>拍卖标的 Lot</h2>
<table>
{lot_rows}</table>
</section>
<section>
<h2>拍卖时间 Auction times (UTC)</h2>
<table>
{time_rows}</table>
</section>
<section>
<h2>买受人 Buyer</h2>
<table>
{buyer_rows}</table>
</section>
<section>
<h2>成交价款 Price and settlement</h2>
<table>
{money_rows}</table>
<p class="note">应付金额 = 成交价 + 佣金 − 保证金结转。金额单位：{currency}。<br>
Amount due = hammer price + service fee − deposit applied. Amounts in {currency}.</p>
</section>
<section>
<h2>签发 Issue</h2>
<table>
{issued_row}</table>
</section>
<div class="signatures">
<div class="signature">
<h3>拍卖平台（盖章）<br>Exchange (seal)</h3>
<p>bidroom</p>
<div class="seal"></div>
<p>经办人 Authorised signatory: <span class="line"></span></p>
<p>日期 Date: <span class="line"></span></p>
</div>
<div class="signature">
<h3>买受人（签字或盖章）<br>Buyer (signature or seal)</h3>
<p>竞买号 Bidder number {bidder_number}</p>
<div class="seal"></div>
<p>签字 Signature: <span class="line"></span></p>
<p>日期 Date: <span class="line"></span></p>
</div>
</div>
</body>
</html>
"#,
        issued_row = row("签发日期 Date issued", &issued),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Money;

    fn settlement(status: SettlementStatus) -> Settlement {
        let money = |text: &str| Money::parse(text).unwrap();
        Settlement {
            lot_id: 42,
            account_id: 7,
            application_id: 3,
            auctioneer_id: 2,
            price: money("5000"),
            fee: money("50"),
            deposit_applied: money("200"),
            amount_due: money("4850"),
            amount_paid: money("0"),
            status,
            due_at_ms: None,
            created_at_ms: 1_795_420_860_000,
            resolved_at_ms: None,
        }
    }

    fn confirmation<'a>(settlement: &'a Settlement, title: &'a str) -> Confirmation<'a> {
        Confirmation {
            title,
            description: "Line one\n<b>line two</b>",
            currency: "CNY",
            fee_rate: Decimal::new(1, 2),
            starts_at_ms: 1_795_420_800_000,
            closed_at_ms: Some(1_795_420_860_000),
            buyer: Buyer {
                bidder_number: Some("0042"),
                display_name: "O'Brien & \"Sons\"",
                real_name: Some("张三"),
            },
            settlement,
            issued_at_ms: 1_795_424_400_000,
        }
    }

    #[test]
    fn user_text_is_escaped() {
        assert_eq!(
            escape_html(r#"<a href="x">Tom & Jerry's</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;"
        );
        let settlement = settlement(SettlementStatus::Open);
        let html = render(&confirmation(&settlement, "<script>alert(1)</script>"));
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<b>line two</b>"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("O&#39;Brien &amp; &quot;Sons&quot;"));
    }

    #[test]
    fn the_amounts_times_and_number_appear() {
        let settlement = settlement(SettlementStatus::Open);
        let html = render(&confirmation(&settlement, "Plot 7"));
        for expected in [
            "BR-00000042",
            "CNY 5000.00",
            "CNY 50.00",
            "费率 rate 1%",
            "−200.00",
            "CNY 4850.00",
            "CNY 0.00",
            "2026-11-23 08:00:00 UTC",
            "2026-11-23T08:01:00Z",
            "待付款 Open",
            "张三",
            "0042",
        ] {
            assert!(html.contains(expected), "{expected} is missing");
        }
        assert!(!html.contains("VOID"));
        assert!(!html.contains("<script"));
        assert_eq!(percent(Decimal::new(15, 3)), "1.5%");
    }

    #[test]
    fn a_defaulted_settlement_renders_marked_void() {
        let mut settlement = settlement(SettlementStatus::Defaulted);
        settlement.resolved_at_ms = Some(1_795_500_000_000);
        let html = render(&confirmation(&settlement, "Plot 7"));
        assert!(html.contains("违约 Defaulted"));
        assert!(html.contains("VOID"));
        assert!(html.contains("作废 VOID"));
        assert!(html.contains("违约时间 Defaulted at"));
    }

    #[test]
    fn without_a_journaled_close_the_settlement_time_stands_in() {
        let settlement = settlement(SettlementStatus::Paid);
        let mut confirmation = confirmation(&settlement, "Plot 7");
        confirmation.closed_at_ms = None;
        let html = render(&confirmation);
        assert!(html.contains("结算生成时间 Settlement opened"));
        assert!(html.contains("2026-11-23T08:01:00Z"));
    }
}
