"""Cached computations behind the Insights page, keyed by a cheap version of each selection.

A report is recomputed only when its selection's rows or decisions change (count, last id,
last review, decision versions) or the project's attribute targets do; only texts never seen
before reach the embedding model (components/embedding.py: many of them on a server thread).
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import streamlit as st

from components.embedding import embed_with_progress
from components.state import get_store
from seedbed.insights.compare import Comparison, compare_at_equal_size
from seedbed.insights.cost import CostRow, JobSpend, cost_table, job_spend
from seedbed.insights.metrics import pca_2d, umap_2d
from seedbed.insights.report import SelectionReport, build_report
from seedbed.insights.selection import fetch_rows, selection_version
from seedbed.models import AttributeDimension, CandidateFilter, CandidateStatus, Project
from seedbed.store.core import Store


@st.cache_data(max_entries=8, show_spinner="Measuring the selection…")
def _report(
    url: str, project_id: int, where_json: str, version: tuple, targets_json: str, labels: tuple
) -> SelectionReport:
    store = get_store()
    rows = fetch_rows(store, project_id, CandidateFilter.model_validate_json(where_json))
    vectors = embed_with_progress(rows.texts, store, "candidates")
    dimensions = [AttributeDimension.model_validate(item) for item in json.loads(targets_json)]
    return build_report(rows, vectors, dimensions, labels)


def selection_report(
    store: Store, project: Project, where: CandidateFilter, dimensions: list[AttributeDimension]
) -> SelectionReport:
    """The cached report of one selection (recomputed when its version key changes)."""
    targets = json.dumps([d.model_dump(mode="json", exclude={"id"}) for d in dimensions])
    return _report(
        store.url,
        project.id,
        where.model_dump_json(),
        selection_version(store, project.id, where),
        targets,
        tuple(project.labels),
    )


@st.cache_data(max_entries=4, show_spinner="Comparing the selections at equal size…")
def _comparison(url: str, project_id: int, selections: tuple) -> Comparison | None:
    store = get_store()
    measured = []
    for where_json, _version in selections:
        rows = fetch_rows(store, project_id, CandidateFilter.model_validate_json(where_json))
        measured.append((rows.texts, embed_with_progress(rows.texts, store, "candidates")))
    return compare_at_equal_size(*measured)


def comparison(
    store: Store, project: Project, first: CandidateFilter, second: CandidateFilter
) -> Comparison | None:
    """Both selections measured at the smaller one's size, with the noise of that size."""
    keys = tuple(
        (where.model_dump_json(), selection_version(store, project.id, where))
        for where in (first, second)
    )
    return _comparison(store.url, project.id, keys)


@st.cache_data(max_entries=4, show_spinner="Adding up what each job spent and yielded…")
def _costs(
    url: str, project_id: int, version: tuple, spend: tuple[JobSpend, ...], by: str
) -> list[CostRow]:
    store = get_store()
    rows = fetch_rows(store, project_id, CandidateFilter())
    vectors = embed_with_progress(rows.texts, store, "candidates")
    return cost_table(spend, rows, vectors, by)


def costs(store: Store, project: Project, by: str) -> list[CostRow]:
    """Cost, yield and diversity added per method or per job (recomputed as data changes)."""
    spend = tuple(job_spend(store, project.id))
    version = selection_version(store, project.id, CandidateFilter())
    return _costs(store.url, project.id, version, spend, by)


@st.cache_data(max_entries=4, show_spinner="Drawing the map…")
def map_coordinates(vectors: np.ndarray, method: str) -> np.ndarray:
    """2-D coordinates of the map points (PCA, or UMAP when installed)."""
    return umap_2d(vectors) if method == "UMAP" else pca_2d(vectors)


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def accepted_part(where: CandidateFilter) -> CandidateFilter:
    """The same selection, accepted items only: what the utility check trains on."""
    return where.model_copy(update={"statuses": [CandidateStatus.ACCEPTED]})
