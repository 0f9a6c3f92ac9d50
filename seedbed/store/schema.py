"""Database tables: today's definitions, which seedbed/store/migrations.py creates and extends."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("labels", JSON, nullable=False),
    Column("item_name", String(200), nullable=False, default=""),
    Column("label_phrase", String(200), nullable=False, default="", server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Added by migration 11: {label: [its similar labels]} (models.Project.similar_labels).
    Column("similar_labels", JSON),
)

seed_tasks = Table(
    "seed_tasks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("name", String(200), nullable=False, default=""),
    Column("instruction", Text, nullable=False),
    Column("instances", JSON, nullable=False),
    Column("is_classification", Boolean, nullable=False, default=False),
    Index("ix_seed_tasks_project", "project_id", "position"),
)

attribute_dimensions = Table(
    "attribute_dimensions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("attr_values", JSON, nullable=False),
    Column("per_label", JSON, nullable=False),
    UniqueConstraint("project_id", "name", name="uq_dimension_name"),
)

candidates = Table(
    "candidates",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("method", String(64), nullable=False),
    Column("label", String(200)),
    Column("content", JSON, nullable=False),
    Column("edited_content", JSON),
    Column("attributes", JSON, nullable=False),
    Column("prompt", JSON, nullable=False),
    Column("model", String(200), nullable=False, default=""),
    Column("params", JSON, nullable=False),
    Column("prompt_tokens", Integer, nullable=False, default=0),
    Column("completion_tokens", Integer, nullable=False, default=0),
    Column("status", String(16), nullable=False),
    Column("checks", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Added by migration 3, for filters that must not read every row.
    Column("job_id", Integer),
    Column("flags", String(500), nullable=False, default="", server_default=""),
    Column("reviewed_by", String(200)),
    Column("reviewed_at", DateTime(timezone=True)),
    # Added by migration 5: bumped by every decision, so a stale one is refused.
    Column("version", Integer, nullable=False, default=0, server_default="0"),
    # Added by migration 4: where a candidate came from (parent, operation, request).
    Column("lineage", JSON, nullable=False, default=dict, server_default="{}"),
    Index("ix_candidates_project_status", "project_id", "status", "id"),
)
CANDIDATE_FILTER_INDEXES = [
    Index("ix_candidates_project_method", candidates.c.project_id, candidates.c.method),
    Index("ix_candidates_project_label", candidates.c.project_id, candidates.c.label),
    Index("ix_candidates_project_job", candidates.c.project_id, candidates.c.job_id),
]

reviews = Table(
    "reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("candidate_id", ForeignKey("candidates.id", ondelete="CASCADE"), nullable=False),
    Column("decision", String(16), nullable=False),
    Column("edited_content", JSON),
    Column("annotator", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Added by migration 5: why a rejection, the candidate version a decision made,
    # and undo (an "undo" row names the decision it reverses, which is marked undone).
    Column("reason", Text),
    Column("version", Integer),
    Column("undoes_id", Integer),
    Column("undone", Boolean, nullable=False, default=False, server_default="0"),
    # Added by migration 10: a decision an AI judge made on its own (seedbed.review.auto).
    Column("automatic", Boolean, nullable=False, default=False, server_default="0"),
    Index("ix_reviews_candidate", "candidate_id"),
)

embeddings = Table(
    "embeddings",
    metadata,
    Column("content_hash", String(64), primary_key=True),
    Column("model", String(200), primary_key=True),
    Column("dim", Integer, nullable=False),
    Column("vector", LargeBinary, nullable=False),
)

# -- added by migration 5: the review workflow -----------------------------
# One row per candidate someone is looking at in queue mode; the primary key
# makes a claim atomic across processes, `expires_at` frees an abandoned one.
review_claims = Table(
    "review_claims",
    metadata,
    Column("candidate_id", ForeignKey("candidates.id", ondelete="CASCADE"), primary_key=True),
    Column("project_id", Integer, nullable=False),
    Column("owner", String(64), nullable=False),
    Column("annotator", String(200), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# Candidates decided once that were picked for a second, independent opinion.
overlap_queue = Table(
    "overlap_queue",
    metadata,
    Column("candidate_id", ForeignKey("candidates.id", ondelete="CASCADE"), primary_key=True),
    Column("project_id", Integer, nullable=False),
    Column("first_annotator", String(200), nullable=False),
    Index("ix_overlap_queue_project", "project_id", "candidate_id"),
)

review_settings = Table(
    "review_settings",
    metadata,
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("overlap", Float, nullable=False, default=0.0),
    # Added by migration 10: the judge's overall score from which its verdict is "accept",
    # and the judge-vs-human kappa from which it may decide alone (None: never).
    Column("judge_accept_at", Float),
    Column("auto_kappa", Float),
)

# A human comparison of two completions of one prompt. verdict "better": `chosen`
# was preferred; "tie" and "both_bad": chosen/rejected are just the two sides.
preference_pairs = Table(
    "preference_pairs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("prompt", Text, nullable=False),
    Column("chosen", Text, nullable=False),
    Column("rejected", Text, nullable=False),
    Column("chosen_id", ForeignKey("candidates.id", ondelete="CASCADE"), nullable=False),
    Column("rejected_id", ForeignKey("candidates.id", ondelete="CASCADE"), nullable=False),
    Column("verdict", String(16), nullable=False),
    Column("annotator", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_preference_pairs_project", "project_id", "id"),
)

# Scores of LLM judges (1-5), one row per candidate and judge model (migration 10 made
# `model` part of the key). Advice, unless the user allows auto-decisions (review.auto).
judge_scores = Table(
    "judge_scores",
    metadata,
    Column("candidate_id", ForeignKey("candidates.id", ondelete="CASCADE"), primary_key=True),
    Column("project_id", Integer, nullable=False),
    Column("helpfulness", Float),
    Column("correctness", Float),
    Column("instruction_following", Float),
    Column("overall", Float),
    Column("model", String(200), primary_key=True, default=""),
    Column("error", Text),
    Column("reply", Text, nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_judge_scores_project_overall", "project_id", "overall"),
)
REVIEW_INDEXES = [Index("ix_reviews_annotator", reviews.c.annotator, reviews.c.id)]

# -- added by migration 4: generation jobs ---------------------------------
# A run of a method. `settings` is seedbed.jobs.state.JobSettings (model names and base
# URLs, never a key); `owner` and `heartbeat_at` tell a live run from a dead one.
jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("method", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("settings", JSON, nullable=False),
    Column("message", Text),  # why it ended as it did: failure, budget, shortfall
    Column("rounds", Integer, nullable=False, default=0),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    Column("owner", String(200)),
    Column("elapsed_seconds", Float, nullable=False, default=0.0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("heartbeat_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Index("ix_jobs_project", "project_id", "id"),
)

# Every chat request of a job, persisted before it is sent: `request` is a
# seedbed.methods.base.Request; a reply marks it done in the same transaction
# that stores its candidates and follow-ups, so a resume neither loses nor repeats.
job_requests = Table(
    "job_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("job_id", ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("round", Integer, nullable=False),
    Column("key", String(500), nullable=False),
    Column("stage", String(64), nullable=False),
    Column("request", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("error", Text),
    Column("note", Text, nullable=False, default=""),
    Column("model", String(200), nullable=False, default=""),
    Column("prompt_tokens", Integer, nullable=False, default=0),
    Column("completion_tokens", Integer, nullable=False, default=0),
    Column("cost_usd", Float),
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    # Added by migration 7: the Ray node whose sender got the reply ("" when sent in-process).
    Column("node", String(200), nullable=False, server_default=""),
    UniqueConstraint("job_id", "key", name="uq_job_request_key"),
    Index("ix_job_requests_job_status", "job_id", "status", "id"),
)

# US dollars per million tokens, by model name (a prefix matches dated names).
model_prices = Table(
    "model_prices",
    metadata,
    Column("model", String(200), primary_key=True),
    Column("prompt_usd_per_mtok", Float, nullable=False),
    Column("completion_usd_per_mtok", Float, nullable=False),
)

# -- added by migration 6: provider batches (OpenAI's Batch API) -------------
# One submitted batch of a job's requests (seedbed/jobs/batches.py): the provider's batch
# and file ids, so a restarted run picks up the batch instead of sending again.
# status: open (submitted, results not all stored yet), done, failed, or
# unsupported (the server has no Batch API: the job sent its requests directly).
job_batches = Table(
    "job_batches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("job_id", ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("endpoint", String(500), nullable=False, default=""),
    Column("model", String(200), nullable=False, default=""),
    Column("batch_id", String(200)),
    Column("input_file_id", String(200)),
    Column("output_file_id", String(200)),
    Column("error_file_id", String(200)),
    Column("provider_status", String(32), nullable=False, default=""),
    Column("request_ids", JSON, nullable=False),
    Column("error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Index("ix_job_batches_job", "job_id", "status"),
)


# -- added by migration 7: each user's backend settings ----------------------
# What the sidebar's backend fields held (kind, base URL, model, extra request
# parameters: a BackendConfig as JSON), so a reload or a new tab keeps them. Never
# the API key. `user` is the signed-in name, or "" when sign-in is off.
backend_settings = Table(
    "backend_settings",
    metadata,
    Column("user", String(200), primary_key=True),
    Column("config", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


def failed_check_flags(checks: list[dict]) -> str:
    """Names of failed checks as ",a,b," so `LIKE '%,a,%'` finds them."""
    names = [check["name"] for check in checks if not check.get("passed", True)]
    return f",{','.join(names)}," if names else ""
