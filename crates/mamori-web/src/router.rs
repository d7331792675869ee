//! Every route of the web app and the JSON API, and the layers around them.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::{
    AppState, BODY_LIMIT, IMPORT_LIMIT, agents, api, auth, bcp, checklist, dashboard, documents,
    editions, history, ledgers, logs, operator, orgs, products, refuse_invalid_utf8, reminders,
    report, request_log, settings, system, vendor_forms, vendor_side, years,
};

pub fn router(state: AppState) -> Router {
    let pages = Router::new()
        .route("/", get(auth::root))
        .route("/setup", get(auth::setup_page).post(auth::setup_submit))
        .route("/login", get(auth::login_page).post(auth::login_submit))
        .route("/logout", post(auth::logout))
        .route("/dashboard", get(dashboard::dashboard))
        .route("/reminders", get(reminders::reminders))
        .route("/report", get(report::report))
        .route("/report.pdf", get(report::report_pdf))
        .route("/report/signoff", post(report::signoff))
        .route("/bcp", get(bcp::bcp))
        .route("/bcp/answers", post(bcp::save_answers))
        .route("/bcp/texts", post(bcp::save_texts))
        .route("/bcp/document.pdf", get(bcp::document_pdf))
        .route("/bcp/document.docx", get(bcp::document_docx))
        .route("/bcp/card", get(bcp::card))
        .route("/bcp/card.html", get(bcp::card_file))
        .route(
            "/incidents",
            get(bcp::incidents::list).post(bcp::incidents::open),
        )
        .route("/incidents/{id}", get(bcp::incidents::show))
        .route("/incidents/{id}/facts", post(bcp::incidents::facts))
        .route("/incidents/{id}/close", post(bcp::incidents::close))
        .route("/incidents/{id}/files/{entry}", get(bcp::incidents::file))
        .route(
            "/incidents/{id}/report.txt",
            get(bcp::incidents::report_text),
        )
        .route("/years", get(years::years))
        .route("/years/start", post(years::start))
        .route("/years/{year}/{edition}/{variant}", get(years::archived))
        .route(
            "/years/{year}/{edition}/{variant}/answers.csv",
            get(years::archived_csv),
        )
        .route(
            "/account/mail",
            get(reminders::mail_settings).post(reminders::mail_settings_save),
        )
        .route(
            "/mail/stop",
            get(reminders::stop_page).post(reminders::stop),
        )
        .route("/group", get(orgs::group_page))
        .route("/orgs/switch", post(orgs::switch))
        .route("/products", get(products::list).post(products::create))
        .route("/products/{id}", get(products::edit).post(products::update))
        .route("/products/{id}/disable", post(products::toggle))
        .route(
            "/products/{id}/clients",
            get(vendor_side::clients::product_clients),
        )
        .route(
            "/products/{id}/form",
            get(vendor_side::clients::product_form).post(vendor_side::clients::product_form_submit),
        )
        .route(
            "/products/{id}/clients/{link}/form",
            get(vendor_side::clients::override_form).post(vendor_side::clients::override_submit),
        )
        .route(
            "/products/{id}/publish",
            post(vendor_side::clients::publish),
        )
        .route("/clients", get(vendor_side::clients::clients))
        .route("/clients/accept", post(vendor_side::clients::accept))
        .route(
            "/clients/{link}/products",
            post(vendor_side::clients::link_products),
        )
        .route(
            "/clients/export.{format}",
            get(vendor_side::clients::export),
        )
        .route("/vendor-links/invite", post(vendor_side::facility::invite))
        .route(
            "/vendor-links/invitations/{id}/revoke",
            post(vendor_side::facility::revoke),
        )
        .route("/vendor-links/{id}/end", post(vendor_side::facility::end))
        .route(
            "/received-forms/{id}",
            get(vendor_side::received_form).post(vendor_side::received_form_post),
        )
        .route("/mds-sds/{id}", get(vendor_side::document))
        .route(
            "/operator/login",
            get(operator::login_page).post(operator::login_submit),
        )
        .route("/operator/logout", post(operator::logout))
        .route("/operator", get(operator::orgs))
        .route("/operator/orgs", post(operator::create))
        .route("/operator/members", post(operator::add_member))
        .route("/operator/orgs/{id}/{action}", post(operator::set_status))
        .route("/history", get(history::history))
        .route(
            "/settings",
            get(settings::settings_page).post(settings::settings_submit),
        )
        .route("/settings/users/{id}/{action}", post(settings::user_action))
        .route("/settings/tokens/{id}/revoke", post(settings::revoke_token))
        .route(
            "/account/totp",
            get(auth::account::totp_page).post(auth::account::totp_confirm),
        )
        .route("/checklists/{edition}/{variant}", get(checklist::checklist))
        .route(
            "/checklists/{edition}/{variant}/answers",
            post(checklist::answer_submit),
        )
        .route(
            "/checklists/{edition}/{variant}/export.xlsx",
            get(checklist::export_xlsx),
        )
        .route(
            "/checklists/{edition}/{variant}/export.pdf",
            get(documents::page_form_pdf),
        )
        .route("/pack.pdf", get(documents::page_pack_pdf))
        .route("/vendor-forms", get(vendor_forms::vendor_forms_page))
        .route(
            "/vendor-forms/{vendor_id}/export.{format}",
            get(vendor_forms::vendor_form_export),
        )
        .route(
            "/vendor-forms/{vendor_id}/edit",
            get(vendor_forms::vendor_form_edit_page).post(vendor_forms::vendor_form_edit_submit),
        )
        .route("/ledgers/{kind}", get(ledgers::list_page))
        .route("/ledgers/{kind}/export.{format}", get(ledgers::export_file))
        // Applying a confirmed file writes its rows: it takes a turn like the upload did.
        .route(
            "/ledgers/{kind}/import/confirm",
            post(ledgers::import_confirm).route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                crate::error::admit_upload,
            )),
        )
        .route(
            "/checklists/{edition}/{variant}/import/confirm",
            post(checklist::import::import_confirm),
        )
        .route(
            "/ledgers/{kind}/new",
            get(ledgers::new_page).post(ledgers::save_row),
        )
        .route(
            "/ledgers/{kind}/{id}",
            get(ledgers::row_page).post(ledgers::save_row),
        )
        .route("/ledgers/{kind}/{id}/disable", post(ledgers::toggle_row))
        .route("/logs", get(logs::logs_page))
        .route("/logs/{id}", get(logs::analysis_page))
        .route("/logs/{id}/review", post(logs::record_review))
        .route("/editions", get(editions::list))
        .route("/editions/imports/{id}", get(editions::preview))
        .route("/editions/imports/{id}/confirm", post(editions::confirm))
        .route("/editions/imports/{id}/discard", post(editions::discard))
        .route("/agents", get(agents::agents_page))
        .route("/agents/enroll-token", post(agents::issue_enrollment))
        .route("/agents/reviews", get(agents::reviews_page))
        .route("/agents/reviews/{id}", post(agents::resolve))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    // Ledger files are larger than any form; only these routes take them.
    let uploads = Router::new()
        .route("/ledgers/{kind}/import", post(ledgers::import_preview))
        .route("/logs/upload", post(logs::upload))
        .route("/editions/import", post(editions::upload))
        .route(
            "/checklists/{edition}/{variant}/import",
            post(checklist::import::import_preview),
        )
        .route(
            "/vendor-forms/{vendor_id}/import",
            post(vendor_forms::vendor_form_upload),
        )
        .route(
            "/products/{id}/documents",
            post(vendor_side::clients::upload_document),
        )
        .route("/incidents/{id}/entries", post(bcp::incidents::add_entry))
        .nest("/api/v1", api::upload_router())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::error::admit_upload,
        ))
        .layer(axum::middleware::from_fn(refuse_invalid_utf8))
        .layer(axum::extract::DefaultBodyLimit::max(IMPORT_LIMIT))
        .layer(RequestBodyLimitLayer::new(IMPORT_LIMIT))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    let rest = Router::new()
        .merge(pages)
        .nest("/api/v1", api::router())
        .route("/healthz", get(system::healthz))
        .route("/readyz", get(system::readyz))
        .route("/static/{file}", get(system::static_file))
        .route(
            "/favicon.ico",
            get(|| async { axum::http::StatusCode::NO_CONTENT }),
        )
        .layer(axum::middleware::from_fn(refuse_invalid_utf8))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT));
    Router::new()
        .merge(rest)
        .merge(uploads)
        // A page that needs its own (stricter) policy sets it: the incident card's inline style by hash.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(axum::middleware::from_fn(crate::error::path_rejections))
        .layer(axum::middleware::from_fn(request_log::log_request))
        .with_state(state)
}
