//! The JSON API under `/api/v1`, and its OpenAPI document.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::OpenApi;

use crate::app::AppState;
use crate::db::communities::{self, Community};
use crate::error::AppResult;
use crate::shell::errors::{Problem, ProblemField};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "议事亭 yishiting API",
        description = "Community deliberation and verifiable owners' voting. Errors are RFC 9457 problem documents (application/problem+json).",
    ),
    paths(
        index, openapi, list_communities, super::health::healthz,
        super::auth::api_token, super::auth::api_logout, super::auth::api_redeem,
        super::me::api_me, super::notifications::api_list,
        super::notifications::api_read, super::notifications::api_settings,
        super::notifications::api_put_settings, super::admin::api_create_community,
        super::roster::api_roster, super::roster::api_export, super::roster::api_import,
        super::roster::api_add_building,
        super::residents::api_residents, super::residents::api_export, super::residents::api_import,
        super::people::api_codes, super::people::api_grant, super::people::api_revoke,
        super::people::api_roles, super::people::api_audit,
        super::resident_codes::api_issue,
        super::elections_api::api_list, super::elections_api::api_create,
        super::elections_api::api_get, super::elections_api::api_announce,
        super::elections_api::api_nominate, super::elections_api::api_cosign,
        super::elections_api::api_review, super::elections_api::api_publish,
        super::elections_api::api_object, super::elections_api::api_answer,
        super::elections_api::api_cancel, super::elections_api::api_open_voting,
        super::elections_api::api_count, super::elections_api::api_certify,
        super::elections_api::api_first_meeting, super::elections_api::api_file,
        super::elections_api::api_log, super::demo::api_clock,
        super::ballots_api::api_list, super::ballots_api::api_create, super::ballots_api::api_get,
        super::ballots_api::api_update, super::ballots_api::api_transition,
        super::ballots_api::api_set_notice, super::ballots_api::api_cast,
        super::casting_api::api_authorise, super::casting_api::api_list,
        super::casting_api::api_revoke, super::casting_api::api_proxy_cast,
        super::casting_api::api_sheets, super::casting_api::api_enter_paper,
        super::casting_api::api_confirm, super::casting_api::api_pending,
        super::board_api::api_manifest, super::board_api::api_electorate,
        super::board_api::api_roll, super::board_api::api_checkpoint,
        super::board_api::api_sth, super::board_api::api_entries,
        super::board_api::api_proof_by_hash, super::board_api::api_consistency,
        super::board_api::api_receipt,
        super::tally_api::api_record, super::tally_api::api_cosignatures,
        super::tally_api::api_cosign, super::tally_api::api_objections,
        super::tally_api::api_add_objection, super::tally_api::api_respond,
        super::tally_api::api_set_key, super::tally_api::api_bundle,
        super::tally_api::api_set_objection_days,
        super::forum_api::api_list, super::forum_api::api_create, super::forum_api::api_get,
        super::forum_api::api_update, super::forum_api::api_transition,
        super::forum_api::api_cosign, super::comments_api::api_comments,
        super::comments_api::api_add_comment, super::comments_api::api_edit_comment,
        super::comments_api::api_delete_comment, super::comments_api::api_report,
        super::comments_api::api_moderate, super::comments_api::api_moderation_log,
        super::comments_api::api_block, super::comments_api::api_unblock, super::comments_api::api_settings, super::comments_api::api_search,
        super::building_reports_api::api_list, super::building_reports_api::api_create,
        super::building_reports_api::api_get, super::building_reports_api::api_event,
        super::conventions_api::api_list, super::conventions_api::api_create,
        super::conventions_api::api_get, super::conventions_api::api_version,
        super::conventions_api::api_edit, super::conventions_api::api_comment,
        super::conventions_api::api_propose, super::conventions_api::api_decide,
        super::conventions_api::api_diff, super::conventions_api::api_vote,
    ),
    components(schemas(Problem, ProblemField, Community, ApiIndex, super::health::Health)),
    modifiers(&BearerAuth),
    tags(
        (name = "service", description = "Service health and discovery"),
        (name = "communities", description = "Communities (物业管理区域)"),
        (name = "accounts", description = "Logins, invitation codes, roles and the audit trail"),
        (name = "roster", description = "The owners' roster: units, areas, owners, headcount"),
        (name = "residents", description = "The residents' register: households and residents"),
        (name = "ballots", description = "Ballots: drafting, lifecycle, casting (docs/verification.md)"),
        (name = "building-reports", description = "Building reports (楼栋上报): everyday problems of a building, handled by its building lead"),
        (name = "forum", description = "The forum (议事亭): proposals, co-signatures, comments, moderation"),
        (name = "board", description = "The public bulletin board and the RFC 6962-style ballot log API"),
        (name = "elections", description = "Owners' committee elections (业委会换届选举): the nine steps and the public event log"),
        (name = "conventions", description = "Conventions (管理规约 / 居民公约): versions, comments per article, amendments, diffs, adoption by ballot"),
    )
)]
pub struct ApiDoc;

/// The `bearer` security scheme: a token from `POST /api/v1/auth/token`.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiIndex {
    pub name: &'static str,
    pub version: &'static str,
    /// Where the OpenAPI 3 document is.
    pub openapi: &'static str,
}

/// What this API is and where its description lives.
#[utoipa::path(get, path = "/api/v1", tag = "service",
    responses((status = 200, body = ApiIndex)))]
pub async fn index() -> HttpResponse {
    HttpResponse::Ok().json(ApiIndex {
        name: "yishiting",
        version: env!("CARGO_PKG_VERSION"),
        openapi: "/api/v1/openapi.json",
    })
}

/// The OpenAPI 3 document of this API, generated from the code.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "service",
    responses((status = 200, description = "OpenAPI 3 document", content_type = "application/json")))]
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

/// Every community this deployment serves. Public.
#[utoipa::path(get, path = "/api/v1/communities", tag = "communities",
    responses((status = 200, body = [Community])))]
pub async fn list_communities(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let list = state.with_db(|conn| Ok(communities::list(conn)?)).await?;
    Ok(HttpResponse::Ok().json(list))
}
