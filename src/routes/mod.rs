//! Thin handlers: parse, authorise, call the domain and the data layer, render.

pub mod admin;
pub mod api;
pub mod auth;
pub mod ballots;
pub mod ballots_api;
pub mod board;
pub mod board_api;
pub mod building_reports;
pub mod building_reports_api;
pub mod casting_api;
pub mod casting_pages;
pub mod comments_api;
pub mod conventions;
pub mod conventions_api;
pub mod demo;
pub mod election_cosign;
pub mod election_forms;
pub mod election_prints;
pub mod election_setup;
pub mod election_view;
pub mod elections;
pub mod elections_api;
pub mod forum;
pub mod forum_api;
pub mod forum_comments;
pub mod health;
pub mod me;
pub mod notifications;
pub mod pages;
pub mod paper_pages;
pub mod people;
pub mod resident_codes;
pub mod residents;
pub mod roster;
pub mod tally;
pub mod tally_api;
pub mod vote;

use actix_web::web;

use crate::error::AppError;
use crate::shell::assets;

/// Every route of the service. `web::resource` answers 405 with `Allow` for a known path
/// and the wrong method.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").get(pages::home))
        .service(web::resource("/rules").get(pages::rules))
        .service(web::resource("/healthz").get(health::healthz))
        .service(web::resource("/static/{path:.*}").get(assets::serve_static))
        // Accounts.
        .service(
            web::resource("/login")
                .get(auth::login_page)
                .post(auth::login_submit),
        )
        .service(web::resource("/logout").post(auth::logout_submit))
        .service(
            web::resource("/redeem")
                .get(auth::redeem_page)
                .post(auth::redeem_submit),
        )
        .service(
            web::resource("/setup/{token}")
                .get(auth::setup_page)
                .post(auth::setup_submit),
        )
        .service(web::resource("/me").get(me::me_page))
        .configure(notifications::routes)
        .service(web::resource("/admin").get(admin::admin_page))
        .service(web::resource("/admin/communities").post(admin::community_submit))
        // A community's roster and people.
        .service(web::resource("/c/{slug}/roster").get(roster::roster_page))
        .service(web::resource("/c/{slug}/roster.csv").get(roster::export_page))
        .service(
            web::resource("/c/{slug}/roster/import")
                .get(roster::import_page)
                .post(roster::import_upload),
        )
        .service(web::resource("/c/{slug}/roster/import/confirm").post(roster::import_confirm))
        .service(web::resource("/c/{slug}/buildings").post(roster::building_submit))
        .service(web::resource("/c/{slug}/residents").get(residents::residents_page))
        .configure(election_routes)
        .service(web::resource("/c/{slug}/residents.csv").get(residents::export_page))
        .service(web::resource("/c/{slug}/residents/import").post(residents::import_upload))
        .service(web::resource("/c/{slug}/residents/codes").post(resident_codes::issue_submit))
        .service(
            web::resource("/c/{slug}/residents/import/confirm").post(residents::import_confirm),
        )
        .service(
            web::resource("/c/{slug}/codes")
                .get(people::codes_page)
                .post(people::codes_issue),
        )
        .service(web::resource("/c/{slug}/owners/{owner_id}/code").post(people::code_reissue))
        .service(web::resource("/c/{slug}/users").get(people::users_page))
        .service(web::resource("/c/{slug}/roles").post(people::grant_submit))
        .service(web::resource("/c/{slug}/roles/{id}/revoke").post(people::revoke_submit))
        .service(web::resource("/c/{slug}/audit").get(people::audit_page))
        .configure(forum::routes)
        // Ballots: organisers' pages, the owner's voting pages, the public board.
        .service(web::resource("/c/{slug}/notice").post(ballots::notice_submit))
        .service(web::resource("/c/{slug}/objection-period").post(tally::objection_days_submit))
        .service(
            web::resource("/c/{slug}/ballots")
                .get(ballots::list_page)
                .post(ballots::create_submit),
        )
        .service(web::resource("/c/{slug}/ballots/new").get(ballots::new_page))
        .service(
            web::scope("/c/{slug}/ballots/{id}")
                .service(web::resource("").get(board::board_page))
                .service(
                    web::resource("/edit")
                        .get(ballots::edit_page)
                        .post(ballots::edit_submit),
                )
                .service(web::resource("/transition").post(ballots::transition_submit))
                .service(
                    web::resource("/vote")
                        .get(vote::vote_page)
                        .post(vote::confirm_submit),
                )
                .service(web::resource("/cast").post(vote::cast_submit))
                .service(
                    web::resource("/proxies")
                        .get(casting_pages::proxies_page)
                        .post(casting_pages::authorise_submit),
                )
                .service(web::resource("/proxies/{aid}/revoke").post(casting_pages::revoke_submit))
                .service(
                    web::resource("/proxies/vote/{voter}")
                        .get(casting_pages::proxy_vote_page)
                        .post(casting_pages::proxy_vote_submit),
                )
                .service(
                    web::resource("/papers")
                        .get(paper_pages::papers_page)
                        .post(paper_pages::enter_submit),
                )
                .service(web::resource("/papers/print").get(paper_pages::print_page))
                .service(web::resource("/papers/{leaf}/confirm").post(paper_pages::confirm_submit))
                .service(web::resource("/receipts/{index}").get(vote::receipt_page))
                .service(web::resource("/receipts/{index}/json").get(vote::receipt_download))
                .service(web::resource("/log").get(board::log_page))
                .service(web::resource("/electorate").get(board::electorate_page))
                .service(web::resource("/verify").get(board::verify_page))
                .service(web::resource("/result").get(tally::result_page))
                .service(web::resource("/result/notice").get(tally::notice_page))
                .service(web::resource("/objections").post(tally::objection_submit))
                .service(
                    web::resource("/objections/{objection}/response").post(tally::response_submit),
                )
                .service(
                    web::resource("/cosign")
                        .get(tally::cosign_page)
                        .post(tally::cosign_submit),
                ),
        )
        // Conventions (管理规约 / 居民公约).
        .service(
            web::resource("/c/{slug}/conventions")
                .app_data(web::PayloadConfig::default().limit(conventions::MAX_FORM_BYTES))
                .get(conventions::list_page)
                .post(conventions::create_submit),
        )
        .service(
            web::scope("/c/{slug}/conventions/{id}")
                .service(web::resource("").get(conventions::convention_page))
                .service(web::resource("/diff").get(conventions::diff_page))
                .service(web::resource("/versions/{v}").get(conventions::version_page))
                .service(
                    web::resource("/versions/{v}/edit")
                        .app_data(web::PayloadConfig::default().limit(conventions::MAX_FORM_BYTES))
                        .post(conventions::edit_submit),
                )
                .service(web::resource("/versions/{v}/comments").post(conventions::comment_submit))
                .service(web::resource("/versions/{v}/amendments").post(conventions::amend_submit))
                .service(web::resource("/versions/{v}/vote").post(conventions::vote_submit))
                .service(
                    web::resource("/amendments/{aid}/decision").post(conventions::decide_submit),
                ),
        )
        .service(
            web::resource("/c/{slug}/scrutineer")
                .get(tally::desk_page)
                .post(tally::key_submit),
        )
        // Building reports (楼栋上报).
        .service(
            web::resource("/c/{slug}/building-reports")
                .get(building_reports::list_page)
                .post(building_reports::create_submit),
        )
        .service(web::resource("/c/{slug}/building-reports/new").get(building_reports::new_page))
        .service(
            web::resource("/c/{slug}/building-reports/{id}").get(building_reports::detail_page),
        )
        .service(
            web::resource("/c/{slug}/building-reports/{id}/events")
                .post(building_reports::event_submit),
        )
        .service(
            web::scope("/api/v1")
                .service(web::resource("").get(api::index))
                .service(web::resource("/openapi.json").get(api::openapi))
                .service(web::resource("/auth/token").post(auth::api_token))
                .service(web::resource("/auth/logout").post(auth::api_logout))
                .service(web::resource("/redeem").post(auth::api_redeem))
                .service(web::resource("/me").get(me::api_me))
                .configure(notifications::api_routes)
                .configure(elections_api::api_routes)
                .service(web::resource("/demo/clock").post(demo::api_clock))
                .service(
                    web::resource("/communities")
                        .get(api::list_communities)
                        .post(admin::api_create_community),
                )
                .service(web::resource("/communities/{slug}/roster").get(roster::api_roster))
                .service(web::resource("/communities/{slug}/roster.csv").get(roster::api_export))
                .service(
                    web::resource("/communities/{slug}/roster/import")
                        .app_data(web::PayloadConfig::default().limit(roster::MAX_ROSTER_BYTES))
                        .post(roster::api_import),
                )
                .service(
                    web::resource("/communities/{slug}/buildings").post(roster::api_add_building),
                )
                .service(
                    web::resource("/communities/{slug}/residents").get(residents::api_residents),
                )
                .service(
                    web::resource("/communities/{slug}/residents.csv").get(residents::api_export),
                )
                .service(
                    web::resource("/communities/{slug}/residents/import")
                        .app_data(web::PayloadConfig::default().limit(roster::MAX_ROSTER_BYTES))
                        .post(residents::api_import),
                )
                .service(web::resource("/communities/{slug}/codes").post(people::api_codes))
                .service(
                    web::resource("/communities/{slug}/resident-codes")
                        .post(resident_codes::api_issue),
                )
                .service(
                    web::resource("/communities/{slug}/roles")
                        .get(people::api_roles)
                        .post(people::api_grant),
                )
                .service(web::resource("/communities/{slug}/roles/{id}").delete(people::api_revoke))
                .service(web::resource("/communities/{slug}/audit").get(people::api_audit))
                .service(
                    web::resource("/communities/{slug}/notice").put(ballots_api::api_set_notice),
                )
                .service(
                    web::resource("/communities/{slug}/ballots")
                        .get(ballots_api::api_list)
                        .post(ballots_api::api_create),
                )
                .service(
                    web::scope("/communities/{slug}/ballots/{id}")
                        .service(
                            web::resource("")
                                .get(ballots_api::api_get)
                                .put(ballots_api::api_update),
                        )
                        .service(web::resource("/transitions").post(ballots_api::api_transition))
                        .service(web::resource("/casts").post(ballots_api::api_cast))
                        .service(
                            web::resource("/proxies")
                                .get(casting_api::api_list)
                                .post(casting_api::api_authorise),
                        )
                        .service(
                            web::resource("/proxies/{aid}/revoke").post(casting_api::api_revoke),
                        )
                        .service(web::resource("/proxy-casts").post(casting_api::api_proxy_cast))
                        .service(
                            web::resource("/papers")
                                .get(casting_api::api_sheets)
                                .post(casting_api::api_enter_paper),
                        )
                        .service(web::resource("/papers/pending").get(casting_api::api_pending))
                        .service(
                            web::resource("/papers/{leaf}/confirm").post(casting_api::api_confirm),
                        )
                        .service(web::resource("/manifest").get(board_api::api_manifest))
                        .service(web::resource("/electorate").get(board_api::api_electorate))
                        .service(web::resource("/roll").get(board_api::api_roll))
                        .service(web::resource("/log/checkpoint").get(board_api::api_checkpoint))
                        .service(web::resource("/log/sth").get(board_api::api_sth))
                        .service(web::resource("/log/entries").get(board_api::api_entries))
                        .service(
                            web::resource("/log/proof-by-hash").get(board_api::api_proof_by_hash),
                        )
                        .service(
                            web::resource("/log/sth-consistency").get(board_api::api_consistency),
                        )
                        .service(web::resource("/log/receipt").get(board_api::api_receipt))
                        .service(web::resource("/tally/{stage}").get(tally_api::api_record))
                        .service(
                            web::resource("/cosignatures")
                                .get(tally_api::api_cosignatures)
                                .post(tally_api::api_cosign),
                        )
                        .service(
                            web::resource("/objections")
                                .get(tally_api::api_objections)
                                .post(tally_api::api_add_objection),
                        )
                        .service(
                            web::resource("/objections/{objection}/response")
                                .post(tally_api::api_respond),
                        ),
                )
                .service(
                    web::resource("/communities/{slug}/objection-period")
                        .put(tally_api::api_set_objection_days),
                )
                .service(
                    web::resource("/communities/{slug}/scrutineer-key").put(tally_api::api_set_key),
                )
                .service(
                    web::resource("/communities/{slug}/building-reports")
                        .get(building_reports_api::api_list)
                        .post(building_reports_api::api_create),
                )
                .service(
                    web::resource("/communities/{slug}/building-reports/{id}")
                        .get(building_reports_api::api_get),
                )
                .service(
                    web::resource("/communities/{slug}/building-reports/{id}/events")
                        .post(building_reports_api::api_event),
                )
                .service(
                    web::resource("/communities/{slug}/conventions")
                        .app_data(web::JsonConfig::default().limit(conventions::MAX_FORM_BYTES))
                        .get(conventions_api::api_list)
                        .post(conventions_api::api_create),
                )
                .service(
                    web::scope("/communities/{slug}/conventions/{id}")
                        .service(web::resource("").get(conventions_api::api_get))
                        .service(web::resource("/diff").get(conventions_api::api_diff))
                        .service(
                            web::resource("/versions/{v}")
                                .app_data(
                                    web::JsonConfig::default().limit(conventions::MAX_FORM_BYTES),
                                )
                                .get(conventions_api::api_version)
                                .put(conventions_api::api_edit),
                        )
                        .service(
                            web::resource("/versions/{v}/comments")
                                .post(conventions_api::api_comment),
                        )
                        .service(
                            web::resource("/versions/{v}/amendments")
                                .post(conventions_api::api_propose),
                        )
                        .service(
                            web::resource("/versions/{v}/ballot").post(conventions_api::api_vote),
                        )
                        .service(
                            web::resource("/amendments/{aid}/decision")
                                .post(conventions_api::api_decide),
                        ),
                )
                .service(web::resource("/ballots/{id}/bundle").get(tally_api::api_bundle))
                .configure(forum_api::routes),
        );
}

/// An election's pages: the list, the new-election and announcement forms, the election
/// with the form of each step, its public page and its prints.
fn election_routes(cfg: &mut web::ServiceConfig) {
    use election_forms as forms;
    cfg.service(
        web::resource("/c/{slug}/elections")
            .get(elections::list_page)
            .post(election_setup::create_submit),
    )
    .service(web::resource("/c/{slug}/elections/new").get(election_setup::new_page))
    .service(
        web::scope("/c/{slug}/elections/{id}")
            .service(web::resource("").get(elections::election_page))
            .service(web::resource("/public").get(elections::public_page))
            .service(web::resource("/print/{doc}").get(election_prints::print_page))
            .service(
                web::resource("/announcement")
                    .get(election_setup::announce_page)
                    .post(election_setup::announce_submit),
            )
            .service(web::resource("/nominations").post(forms::nominate_submit))
            .service(web::resource("/nominations/online").post(election_cosign::start_submit))
            .service(web::resource("/nominations/{cid}/review").post(forms::review_submit))
            .service(
                web::resource("/nominations/{cid}/cosignatures")
                    .post(election_cosign::cosign_submit),
            )
            .service(web::resource("/publication").post(forms::publish_submit))
            .service(web::resource("/objections").post(forms::object_submit))
            .service(web::resource("/objections/{oid}/answer").post(forms::answer_submit))
            .service(web::resource("/voting").post(forms::voting_submit))
            .service(web::resource("/count").post(forms::count_submit))
            .service(web::resource("/certification").post(forms::certify_submit))
            .service(web::resource("/first-meeting").post(forms::meeting_submit))
            .service(web::resource("/filing").post(forms::file_submit))
            .service(web::resource("/cancellation").post(forms::cancel_submit)),
    );
}

/// Anything no route matched.
pub async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound)
}
