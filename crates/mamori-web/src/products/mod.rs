//! A vendor organisation's products (製品): the list, adding, editing and stopping one. Other kinds of
//! organisation have no products: the pages say "not found" there.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use mamori_core::Action;
use mamori_store::{Org, OrgKind, Product, ProductFields, Session};
use serde::Deserialize;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{Posted, SignedIn};
use crate::layout::{Nav, jst_time, nav, render};

#[derive(Template)]
#[template(path = "products/products.html")]
struct ProductsPage {
    nav: Option<Nav>,
    products: Vec<Product>,
    can_edit: bool,
    kinds: &'static [&'static str],
    /// The product being edited (None: the form adds one).
    editing: Option<i64>,
    form: ProductFields,
    errors: Vec<(&'static str, String)>,
}

impl ProductsPage {
    fn error_of(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
    fn updated(&self, p: &Product) -> String {
        jst_time(&p.updated_at)
    }
}

/// A page of a vendor organisation's: other kinds of organisation get "not found".
pub(crate) fn vendor_only(org: &Org) -> Result<(), PageError> {
    if org.kind == OrgKind::Vendor {
        Ok(())
    } else {
        Err(PageError::not_found(
            "このページは事業者の組織で使います（製品・顧客施設は事業者の組織のものです）",
        ))
    }
}

async fn page(
    state: &AppState,
    session: &Session,
    org: &Org,
    editing: Option<i64>,
    form: ProductFields,
    errors: Vec<(&'static str, String)>,
) -> Result<ProductsPage, PageError> {
    Ok(ProductsPage {
        nav: Some(nav(state, session, org)),
        products: state.store.products(org.id).await?,
        can_edit: crate::permit(&session.user, Action::EditLedgers).is_ok(),
        kinds: mamori_store::PRODUCT_KINDS,
        editing,
        form,
        errors,
    })
}

/// `GET /products`: the list and the form that adds one.
pub(crate) async fn list(
    State(state): State<AppState>,
    SignedIn(session, org): SignedIn,
) -> PageResult {
    vendor_only(&org)?;
    crate::permit(&session.user, Action::ViewLedgers).map_err(PageError::forbidden)?;
    let p = page(
        &state,
        &session,
        &org,
        None,
        ProductFields::default(),
        Vec::new(),
    )
    .await?;
    Ok(render(&p).into_response())
}

/// `GET /products/{id}`: the list with the form filled with one product to edit.
pub(crate) async fn edit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    SignedIn(session, org): SignedIn,
) -> PageResult {
    vendor_only(&org)?;
    crate::permit(&session.user, Action::ViewLedgers).map_err(PageError::forbidden)?;
    let p = state.store.product(org.id, id).await?;
    let form = ProductFields {
        name: p.name,
        version: p.version,
        kind: p.kind,
        remote_maintenance: p.remote_maintenance,
    };
    let p = page(&state, &session, &org, Some(id), form, Vec::new()).await?;
    Ok(render(&p).into_response())
}

/// `POST /products` (add) and `POST /products/{id}` (save): a mistake shows the form again with
/// everything typed and the message beside the field.
async fn save(
    state: AppState,
    session: Session,
    org: Org,
    id: Option<i64>,
    f: ProductFields,
) -> PageResult {
    vendor_only(&org)?;
    crate::permit(&session.user, Action::EditLedgers).map_err(PageError::forbidden)?;
    if let Some(id) = id {
        state.store.product(org.id, id).await?;
    }
    let errors = f.problems();
    if !errors.is_empty() {
        let p = page(&state, &session, &org, id, f, errors).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)).into_response());
    }
    state
        .store
        .save_product(org.id, id, &f, &session.user.login, state.clock.now())
        .await?;
    Ok(Redirect::to("/products").into_response())
}

pub(crate) async fn create(
    State(state): State<AppState>,
    Posted(SignedIn(session, org), f): Posted<ProductFields>,
) -> PageResult {
    save(state, session, org, None, f).await
}

pub(crate) async fn update(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted(SignedIn(session, org), f): Posted<ProductFields>,
) -> PageResult {
    save(state, session, org, Some(id), f).await
}

#[derive(Deserialize)]
pub(crate) struct ToggleForm {
    #[serde(default)]
    disable: Option<String>,
}

/// `POST /products/{id}/disable`: stops offering it (`disable` present) or offers it again.
pub(crate) async fn toggle(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted(SignedIn(session, org), f): Posted<ToggleForm>,
) -> PageResult {
    vendor_only(&org)?;
    crate::permit(&session.user, Action::EditLedgers).map_err(PageError::forbidden)?;
    state
        .store
        .set_product_disabled(
            org.id,
            id,
            f.disable.is_some(),
            &session.user.login,
            state.clock.now(),
        )
        .await?;
    Ok(Redirect::to("/products").into_response())
}
