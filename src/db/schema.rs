//! The portable schema: one `table!` per table, using only types both engines share.

diesel::table! {
    communities (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        name_en -> Text,
        district -> Text,
        created_at -> Timestamp,
        notice_days -> Integer,
        notice_reason -> Text,
        objection_days -> Integer,
        cosign_level_num -> Integer,
        cosign_level_den -> Integer,
        report_hide_threshold -> Integer,
    }
}

diesel::table! {
    buildings (id) {
        id -> BigInt,
        community_id -> BigInt,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    owners (id) {
        id -> BigInt,
        community_id -> BigInt,
        owner_ref -> Text,
        name -> Text,
        kind -> Text,
        phone -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    units (id) {
        id -> BigInt,
        community_id -> BigInt,
        building_id -> BigInt,
        room -> Text,
        area_registry -> Nullable<BigInt>,
        area_survey -> Nullable<BigInt>,
        area_contract -> Nullable<BigInt>,
        status -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    unit_owners (community_id, unit_id, owner_id) {
        community_id -> BigInt,
        unit_id -> BigInt,
        owner_id -> BigInt,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        login -> Text,
        display_name -> Text,
        password_hash -> Text,
        is_admin -> Bool,
        community_id -> Nullable<BigInt>,
        owner_id -> Nullable<BigInt>,
        lang -> Nullable<Text>,
        created_at -> Timestamp,
        resident_ref -> Nullable<Text>,
    }
}

diesel::table! {
    role_grants (id) {
        id -> BigInt,
        community_id -> BigInt,
        user_id -> BigInt,
        role -> Text,
        building_id -> Nullable<BigInt>,
        body -> Nullable<Text>,
        granted_by -> Nullable<BigInt>,
        granted_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    invitation_codes (id) {
        id -> BigInt,
        community_id -> BigInt,
        owner_id -> BigInt,
        code_hash -> Text,
        issued_by -> Nullable<BigInt>,
        issued_at -> Timestamp,
        redeemed_at -> Nullable<Timestamp>,
        redeemed_by -> Nullable<BigInt>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    setup_tokens (token_hash) {
        token_hash -> Text,
        created_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        community_id -> Nullable<BigInt>,
        actor_user_id -> Nullable<BigInt>,
        action -> Text,
        at -> Timestamp,
        before_summary -> Text,
        after_summary -> Text,
    }
}

diesel::table! {
    households (id) {
        id -> BigInt,
        community_id -> BigInt,
        household_ref -> Text,
        name -> Text,
        unit_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    residents (id) {
        id -> BigInt,
        community_id -> BigInt,
        household_id -> BigInt,
        resident_ref -> Text,
        name -> Text,
        birth_year -> Integer,
        representative -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ballots (id) {
        id -> BigInt,
        community_id -> BigInt,
        title -> Text,
        description -> Text,
        kind -> Text,
        scope_buildings -> Text,
        privacy -> Text,
        counting_rule -> Text,
        questions -> Text,
        opens_at -> BigInt,
        closes_at -> BigInt,
        status -> Text,
        status_reason -> Text,
        notice_days -> Integer,
        notice_reason -> Text,
        announced_at -> Nullable<BigInt>,
        manifest -> Nullable<Text>,
        manifest_signature -> Nullable<Text>,
        snapshot -> Nullable<Text>,
        sealed_key -> Nullable<Text>,
        log_size -> BigInt,
        created_by -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
        scrutineer_ids -> Text,
        cosignatures_required -> Integer,
        objection_ends_at -> Nullable<BigInt>,
        custom_rule -> Nullable<Text>,
        conflict_rule -> Text,
        proxy_cap -> Integer,
    }
}

diesel::table! {
    scrutineer_keys (user_id) {
        user_id -> BigInt,
        public_key -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    ballot_scrutineers (ballot_id, position) {
        ballot_id -> BigInt,
        position -> Integer,
        user_id -> BigInt,
        name -> Text,
        public_key -> Text,
    }
}

diesel::table! {
    tally_records (ballot_id, stage) {
        ballot_id -> BigInt,
        stage -> Text,
        record -> Text,
        signature -> Text,
        sha256 -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    ballot_objections (id) {
        id -> BigInt,
        ballot_id -> BigInt,
        received_at -> BigInt,
        body -> Text,
        recorded_by -> Nullable<BigInt>,
        response -> Nullable<Text>,
        responded_at -> Nullable<BigInt>,
        responded_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    tally_cosignatures (ballot_id, position) {
        ballot_id -> BigInt,
        position -> Integer,
        record_sha256 -> Text,
        signature -> Text,
        signed_at -> BigInt,
    }
}

diesel::table! {
    ballot_voters (ballot_id, voter_index) {
        community_id -> BigInt,
        ballot_id -> BigInt,
        voter_index -> BigInt,
        area_centi -> BigInt,
        headcount -> BigInt,
        rooms -> Text,
    }
}

diesel::table! {
    ballot_voter_owners (ballot_id, owner_id) {
        community_id -> BigInt,
        ballot_id -> BigInt,
        owner_id -> BigInt,
        voter_index -> BigInt,
    }
}

diesel::table! {
    ballot_voter_residents (ballot_id, resident_ref) {
        community_id -> BigInt,
        ballot_id -> BigInt,
        resident_ref -> Text,
        voter_index -> BigInt,
    }
}

diesel::table! {
    ballot_leaves (ballot_id, leaf_index) {
        community_id -> BigInt,
        ballot_id -> BigInt,
        leaf_index -> BigInt,
        voter_index -> BigInt,
        leaf -> Text,
        leaf_hash -> Binary,
        nonce_hash -> Text,
        cast_by -> Nullable<BigInt>,
        cast_at -> BigInt,
        channel -> Text,
        corrects -> Nullable<BigInt>,
        confirmed_by -> Nullable<BigInt>,
        scan_sha256 -> Nullable<Text>,
        authorisation_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    proxy_authorisations (id) {
        id -> BigInt,
        community_id -> BigInt,
        ballot_id -> BigInt,
        voter_index -> BigInt,
        proxy_user_id -> BigInt,
        proxy_voter -> Nullable<BigInt>,
        source -> Text,
        scan_sha256 -> Nullable<Text>,
        created_by -> BigInt,
        created_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
        revoked_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    ballot_checkpoints (ballot_id, tree_size) {
        community_id -> BigInt,
        ballot_id -> BigInt,
        tree_size -> BigInt,
        root -> Binary,
        note -> Text,
        created_at -> BigInt,
    }
}

diesel::joinable!(buildings -> communities (community_id));
diesel::joinable!(residents -> households (household_id));
diesel::joinable!(units -> buildings (building_id));
diesel::joinable!(unit_owners -> units (unit_id));
diesel::joinable!(unit_owners -> owners (owner_id));
diesel::joinable!(role_grants -> users (user_id));
diesel::joinable!(sessions -> users (user_id));

diesel::table! {
    proposals (id) {
        id -> BigInt,
        community_id -> BigInt,
        author_id -> BigInt,
        title -> Text,
        body -> Text,
        category -> Text,
        building_id -> Nullable<BigInt>,
        status -> Text,
        status_reason -> Text,
        response -> Text,
        ballot_id -> Nullable<BigInt>,
        cosigners -> Integer,
        cosign_area_centi -> BigInt,
        cosign_headcount -> BigInt,
        base_area_centi -> BigInt,
        base_headcount -> BigInt,
        level_reached_at -> Nullable<BigInt>,
        root_count -> Integer,
        comment_count -> Integer,
        revision -> Integer,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    proposal_revisions (proposal_id, revision) {
        proposal_id -> BigInt,
        revision -> Integer,
        title -> Text,
        body -> Text,
        category -> Text,
        building_id -> Nullable<BigInt>,
        edited_by -> BigInt,
        edited_at -> BigInt,
    }
}

diesel::table! {
    proposal_events (id) {
        id -> BigInt,
        proposal_id -> BigInt,
        actor_id -> Nullable<BigInt>,
        action -> Text,
        from_status -> Text,
        to_status -> Text,
        reason -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    proposal_cosigns (proposal_id, owner_id) {
        proposal_id -> BigInt,
        owner_id -> BigInt,
        user_id -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    comments (id) {
        id -> BigInt,
        proposal_id -> BigInt,
        author_id -> BigInt,
        parent_id -> Nullable<BigInt>,
        path -> Text,
        depth -> Integer,
        stance -> Nullable<Text>,
        body -> Text,
        status -> Text,
        hidden_reason -> Text,
        report_count -> Integer,
        child_count -> Integer,
        reply_count -> Integer,
        revision -> Integer,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    comment_revisions (comment_id, revision) {
        comment_id -> BigInt,
        revision -> Integer,
        body -> Text,
        edited_at -> BigInt,
    }
}

diesel::table! {
    comment_reports (comment_id, reporter_id) {
        comment_id -> BigInt,
        reporter_id -> BigInt,
        reason -> Text,
        note -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    moderation_log (id) {
        id -> BigInt,
        community_id -> BigInt,
        actor_id -> Nullable<BigInt>,
        action -> Text,
        target_kind -> Text,
        target_id -> BigInt,
        reason -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    user_blocks (community_id, user_id) {
        community_id -> BigInt,
        user_id -> BigInt,
        blocked_by -> BigInt,
        reason -> Text,
        created_at -> BigInt,
    }
}

diesel::joinable!(comments -> users (author_id));
diesel::joinable!(proposals -> users (author_id));

diesel::allow_tables_to_appear_in_same_query!(
    communities,
    buildings,
    owners,
    units,
    unit_owners,
    users,
    role_grants,
    sessions,
    invitation_codes,
    setup_tokens,
    audit_log,
    households,
    residents,
    ballots,
    ballot_voters,
    ballot_voter_owners,
    ballot_voter_residents,
    ballot_leaves,
    ballot_checkpoints,
    proxy_authorisations,
    scrutineer_keys,
    ballot_scrutineers,
    tally_records,
    ballot_objections,
    tally_cosignatures,
    proposals,
    proposal_revisions,
    proposal_events,
    proposal_cosigns,
    comments,
    comment_revisions,
    comment_reports,
    moderation_log,
    user_blocks,
    search_terms,
    notifications,
    notification_prefs,
    notification_kinds,
    resident_codes,
    elections,
    election_members,
    election_candidates,
    election_cosigners,
    election_objections,
    election_events,
    election_checkpoints,
);

diesel::table! {
    search_terms (community_id, term, doc_kind, doc_id) {
        community_id -> BigInt,
        term -> Text,
        doc_kind -> Text,
        doc_id -> BigInt,
    }
}

diesel::table! {
    conventions (id) {
        id -> BigInt,
        community_id -> BigInt,
        kind -> Text,
        title -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    convention_versions (id) {
        id -> BigInt,
        convention_id -> BigInt,
        version -> Integer,
        articles -> Text,
        text_sha256 -> Text,
        status -> Text,
        ballot_id -> Nullable<BigInt>,
        created_by -> Nullable<BigInt>,
        created_at -> BigInt,
        adopted_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    convention_comments (id) {
        id -> BigInt,
        version_id -> BigInt,
        article_number -> Integer,
        author_id -> BigInt,
        body -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    convention_amendments (id) {
        id -> BigInt,
        version_id -> BigInt,
        article_number -> Nullable<Integer>,
        kind -> Text,
        heading -> Text,
        body -> Text,
        reason -> Text,
        author_id -> BigInt,
        status -> Text,
        decision_reason -> Nullable<Text>,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<BigInt>,
        result_version_id -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    building_reports (id) {
        id -> BigInt,
        community_id -> BigInt,
        building_id -> BigInt,
        reporter_id -> BigInt,
        category -> Text,
        title -> Text,
        description -> Text,
        location -> Text,
        status -> Text,
        assignee -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    building_report_events (id) {
        id -> BigInt,
        report_id -> BigInt,
        actor_id -> BigInt,
        action -> Text,
        note -> Text,
        created_at -> BigInt,
    }
}

diesel::joinable!(building_report_events -> building_reports (report_id));

diesel::allow_tables_to_appear_in_same_query!(building_reports, building_report_events);

diesel::table! {
    notifications (id) {
        id -> BigInt,
        user_id -> BigInt,
        community_id -> BigInt,
        kind -> Text,
        title -> Text,
        url -> Text,
        created_at -> BigInt,
        read_at -> Nullable<BigInt>,
        emailed_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    notification_prefs (user_id) {
        user_id -> BigInt,
        email -> Text,
        digest -> Bool,
        last_digest_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    notification_kinds (user_id, kind) {
        user_id -> BigInt,
        kind -> Text,
        channel -> Text,
    }
}

diesel::joinable!(notifications -> users (user_id));
diesel::joinable!(notification_prefs -> users (user_id));

diesel::table! {
    resident_codes (id) {
        id -> BigInt,
        community_id -> BigInt,
        resident_ref -> Text,
        code_hash -> Text,
        issued_by -> Nullable<BigInt>,
        issued_at -> Timestamp,
        redeemed_at -> Nullable<Timestamp>,
        redeemed_by -> Nullable<BigInt>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    elections (id) {
        id -> BigInt,
        community_id -> BigInt,
        title -> Text,
        kind -> Text,
        step -> Text,
        announcement -> Nullable<Text>,
        ballot_id -> Nullable<BigInt>,
        sealed_key -> Text,
        log_size -> BigInt,
        certified_at -> Nullable<BigInt>,
        created_by -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    election_members (election_id, seq) {
        election_id -> BigInt,
        seq -> Integer,
        name -> Text,
        role -> Text,
        user_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    election_candidates (id) {
        id -> BigInt,
        election_id -> BigInt,
        community_id -> BigInt,
        owner_id -> BigInt,
        self_nominated -> Bool,
        nominated_by -> BigInt,
        statement -> Text,
        status -> Text,
        review_reason -> Nullable<Text>,
        reviewed_by -> Nullable<BigInt>,
        reviewed_at -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    election_cosigners (candidate_id, owner_id) {
        candidate_id -> BigInt,
        owner_id -> BigInt,
        user_id -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    election_objections (id) {
        id -> BigInt,
        election_id -> BigInt,
        candidate_id -> Nullable<BigInt>,
        stage -> Text,
        raised_by -> BigInt,
        text -> Text,
        answer -> Nullable<Text>,
        answered_by -> Nullable<BigInt>,
        answered_at -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    election_events (election_id, leaf_index) {
        election_id -> BigInt,
        leaf_index -> BigInt,
        leaf_hash -> Binary,
        body -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    election_checkpoints (election_id, tree_size) {
        election_id -> BigInt,
        tree_size -> BigInt,
        root -> Binary,
        note -> Text,
        created_at -> BigInt,
    }
}

diesel::joinable!(election_candidates -> elections (election_id));
diesel::joinable!(election_cosigners -> election_candidates (candidate_id));
