"""The store: round trips, atomic writes, paging and the review trail."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from seedbed.errors import StoreError
from seedbed.models import (
    ACCEPTED,
    PENDING,
    AttributeDimension,
    AttributeValue,
    Candidate,
    CandidateFilter,
    CandidateStatus,
    Check,
    Instance,
    Message,
    Project,
    ProjectKind,
    Review,
    SeedTask,
    Usage,
)
from seedbed.store import schema
from seedbed.store.core import Store, database_url


@pytest.fixture
def store(every_store: Store) -> Store:
    """Every test here runs on SQLite and, when configured, on PostgreSQL."""
    return every_store


def make_project(store: Store, name: str = "Demo", **kwargs) -> int:
    return store.create_project(Project(name=name, **kwargs))


def task(instruction: str, output: str = "an answer", input_text: str = "") -> SeedTask:
    return SeedTask(instruction=instruction, instances=[Instance(input=input_text, output=output)])


def candidate(project_id: int, number: int = 0, **kwargs) -> Candidate:
    values = {
        "project_id": project_id,
        "content": {"instruction": f"Task {number}", "input": "", "output": f"Answer {number}"},
        "method": "self_instruct",
    }
    values.update(kwargs)
    return Candidate(**values)


def add_candidates(store: Store, project_id: int, count: int) -> list[int]:
    return [store.add_candidate(candidate(project_id, number)) for number in range(count)]


# -- projects -------------------------------------------------------------------------


def test_project_round_trip(store: Store) -> None:
    project = Project(
        name="  News  ",
        kind=ProjectKind.CLASSIFICATION,
        description="Topic labels",
        labels=["sports", "health"],
        item_name="news article",
    )
    project_id = store.create_project(project)

    loaded = store.get_project(project_id)
    assert loaded == project.model_copy(update={"id": project_id})
    assert loaded.name == "News"
    assert store.list_projects() == [loaded]
    assert store.get_project(project_id + 1) is None


def test_duplicate_project_name_is_a_store_error(store: Store) -> None:
    make_project(store, "Demo")
    with pytest.raises(StoreError, match="A project named 'Demo' already exists"):
        make_project(store, "Demo")
    assert len(store.list_projects()) == 1


def test_update_project_persists_changes(store: Store) -> None:
    project_id = make_project(store, "Old name")
    project = store.get_project(project_id)
    store.update_project(project.model_copy(update={"name": "New name", "description": "d"}))

    loaded = store.get_project(project_id)
    assert (loaded.name, loaded.description) == ("New name", "d")


def test_renaming_a_project_to_a_taken_name_is_a_store_error(store: Store) -> None:
    make_project(store, "First")
    second_id = make_project(store, "Second")
    second = store.get_project(second_id)

    with pytest.raises(StoreError, match="'First' already exists"):
        store.update_project(second.model_copy(update={"name": "First"}))
    assert store.get_project(second_id).name == "Second"


def test_delete_project_removes_its_seeds_and_candidates(store: Store) -> None:
    keep_id = make_project(store, "Keep")
    drop_id = make_project(store, "Drop")
    for project_id in (keep_id, drop_id):
        store.add_seed_tasks(project_id, [task("Say hello.")])
        add_candidates(store, project_id, 2)

    store.delete_project(drop_id)

    assert [p.name for p in store.list_projects()] == ["Keep"]
    with store.engine.connect() as conn:
        candidate_projects = set(conn.execute(select(schema.candidates.c.project_id)).scalars())
        seed_projects = set(conn.execute(select(schema.seed_tasks.c.project_id)).scalars())
    assert candidate_projects == {keep_id}
    assert seed_projects == {keep_id}


# -- seed tasks -----------------------------------------------------------------------


def test_seed_tasks_round_trip_in_order(store: Store) -> None:
    project_id = make_project(store)
    first = [task("Say hello.", "Hello!"), task("Add the numbers.", "5", "2 + 3")]
    store.add_seed_tasks(project_id, first)
    store.add_seed_tasks(project_id, [task("Name a colour.", "Blue")])

    loaded = store.list_seed_tasks(project_id)
    assert [t.instruction for t in loaded] == ["Say hello.", "Add the numbers.", "Name a colour."]
    assert loaded[1].instances == [Instance(input="2 + 3", output="5")]
    assert all(t.id is not None for t in loaded)
    assert store.list_seed_tasks(make_project(store, "Other")) == []


def test_replace_seed_tasks_replaces_the_whole_set(store: Store) -> None:
    project_id = make_project(store)
    store.add_seed_tasks(project_id, [task("Old one."), task("Old two.")])
    store.replace_seed_tasks(project_id, [task("New one.")])
    assert [t.instruction for t in store.list_seed_tasks(project_id)] == ["New one."]


def test_replace_seed_tasks_is_atomic(store: Store) -> None:
    project_id = make_project(store)
    store.add_seed_tasks(project_id, [task("Old one."), task("Old two.")])
    # model_construct skips validation, so the NULL instruction reaches the database
    # and the INSERT fails after the DELETE already ran in the same transaction.
    broken = SeedTask.model_construct(
        id=None, name="", instruction=None, instances=[], is_classification=False
    )

    with pytest.raises(IntegrityError):
        store.replace_seed_tasks(project_id, [task("New one."), broken])

    assert [t.instruction for t in store.list_seed_tasks(project_id)] == ["Old one.", "Old two."]


# -- attribute dimensions -------------------------------------------------------------


def test_dimensions_round_trip(store: Store) -> None:
    project_id = make_project(store, kind=ProjectKind.CLASSIFICATION, labels=["sports", "health"])
    dimensions = [
        AttributeDimension(
            name="length",
            description="How long",
            values=[AttributeValue(value="short", weight=2), AttributeValue(value="long")],
        ),
        AttributeDimension(
            name="subtopic",
            per_label={"sports": [AttributeValue(value="tennis", weight=0.5)]},
        ),
    ]
    store.replace_dimensions(project_id, dimensions)

    loaded = store.list_dimensions(project_id)
    assert [d.model_dump(exclude={"id"}) for d in loaded] == [
        d.model_dump(exclude={"id"}) for d in dimensions
    ]

    store.replace_dimensions(project_id, dimensions[1:])
    assert [d.name for d in store.list_dimensions(project_id)] == ["subtopic"]


def test_dimensions_with_the_same_name_are_refused(store: Store) -> None:
    project_id = make_project(store)
    store.replace_dimensions(project_id, [AttributeDimension(name="style")])
    twice = [AttributeDimension(name="length"), AttributeDimension(name="length")]
    with pytest.raises(StoreError, match="same name"):
        store.replace_dimensions(project_id, twice)
    assert [d.name for d in store.list_dimensions(project_id)] == ["style"]


# -- candidates -----------------------------------------------------------------------


def test_candidate_round_trip_keeps_every_field(store: Store) -> None:
    project_id = make_project(store)
    original = Candidate(
        project_id=project_id,
        content={"text": "Café owners in São Paulo… 北京", "label": "business"},
        method="attrprompt",
        label="business",
        attributes={"length": "about 50 words", "location": "São Paulo, Brazil"},
        prompt=[Message(role="user", content="Write one news article.")],
        model="fake-model",
        params={"temperature": 1.0, "max_tokens": 300, "backend": "fake"},
        usage=Usage(prompt_tokens=12, completion_tokens=34),
        checks=[Check(name="novelty", passed=True, score=0.25, detail="closest: x")],
    )
    candidate_id = store.add_candidate(original)

    loaded = store.get_candidate(candidate_id)
    assert loaded == original.model_copy(update={"id": candidate_id})
    assert loaded.created_at.tzinfo is not None
    assert loaded.usage.total_tokens == 46
    assert store.get_candidate(candidate_id + 1) is None


def test_count_by_status(store: Store) -> None:
    project_id = make_project(store)
    other_id = make_project(store, "Other")
    ids = add_candidates(store, project_id, 4)
    add_candidates(store, other_id, 3)
    store.record_review(Review(candidate_id=ids[0], decision="accepted", annotator="ann"))
    store.record_review(Review(candidate_id=ids[1], decision="accepted", annotator="ann"))
    store.record_review(Review(candidate_id=ids[2], decision="rejected", annotator="ann"))

    assert store.count_by_status(project_id) == {"pending": 1, "accepted": 2, "rejected": 1}
    assert store.count_by_status(other_id) == {"pending": 3, "accepted": 0, "rejected": 0}
    empty_id = make_project(store, "Empty")
    assert store.count_by_status(empty_id) == {"pending": 0, "accepted": 0, "rejected": 0}


def test_list_candidates_pages(store: Store) -> None:
    project_id = make_project(store)
    ids = add_candidates(store, project_id, 7)

    pages = [store.list_candidates(project_id, limit=3, offset=o) for o in (0, 3, 6, 9)]
    assert [[c.id for c in page] for page in pages] == [ids[0:3], ids[3:6], ids[6:], []]
    newest = store.list_candidates(project_id, limit=2, newest_first=True)
    assert [c.id for c in newest] == [ids[6], ids[5]]


def test_list_candidates_filters_by_status(store: Store) -> None:
    project_id = make_project(store)
    ids = add_candidates(store, project_id, 5)
    for candidate_id in (ids[1], ids[3]):
        store.record_review(Review(candidate_id=candidate_id, decision="accepted", annotator="a"))

    accepted = store.list_candidates(project_id, ACCEPTED, limit=1)
    assert [c.id for c in accepted] == [ids[1]]
    pending = store.list_candidates(project_id, PENDING, limit=10)
    assert [c.id for c in pending] == [ids[0], ids[2], ids[4]]


def test_iter_candidates_yields_everything_across_batches(store: Store) -> None:
    project_id = make_project(store)
    ids = add_candidates(store, project_id, 5)
    add_candidates(store, make_project(store, "Other"), 2)
    store.record_review(Review(candidate_id=ids[2], decision="rejected", annotator="a"))

    assert [c.id for c in store.iter_candidates(project_id, batch=2)] == ids
    pending = store.iter_candidates(project_id, PENDING, batch=2)
    assert [c.id for c in pending] == [ids[0], ids[1], ids[3], ids[4]]


# -- reviews --------------------------------------------------------------------------


def test_record_review_with_an_edit(store: Store) -> None:
    project_id = make_project(store)
    [candidate_id] = add_candidates(store, project_id, 1)
    edited = {"instruction": "Task 0, clearer", "input": "", "output": "Better answer"}

    review_id = store.record_review(
        Review(
            candidate_id=candidate_id, decision="accepted", edited_content=edited, annotator="kim"
        )
    )

    loaded = store.get_candidate(candidate_id)
    assert loaded.status == CandidateStatus.ACCEPTED
    assert loaded.edited_content == edited
    assert loaded.content == {"instruction": "Task 0", "input": "", "output": "Answer 0"}
    assert loaded.final_content == edited
    [review] = store.list_reviews(candidate_id)
    assert review.id == review_id
    assert (review.decision, review.annotator, review.edited_content) == ("accepted", "kim", edited)
    assert review.created_at.tzinfo is not None


def test_later_reviews_are_kept_in_order(store: Store) -> None:
    project_id = make_project(store)
    [candidate_id] = add_candidates(store, project_id, 1)
    store.record_review(Review(candidate_id=candidate_id, decision="accepted", annotator="a"))
    store.record_review(Review(candidate_id=candidate_id, decision="rejected", annotator="b"))

    assert store.get_candidate(candidate_id).status == CandidateStatus.REJECTED
    assert store.get_candidate(candidate_id).edited_content is None
    reviews = store.list_reviews(candidate_id)
    assert [(r.decision, r.annotator) for r in reviews] == [("accepted", "a"), ("rejected", "b")]


def test_record_review_on_a_missing_candidate_is_a_store_error(store: Store) -> None:
    with pytest.raises(StoreError, match="Candidate 999 no longer exists"):
        store.record_review(Review(candidate_id=999, decision="accepted", annotator="a"))
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.reviews)).scalar_one() == 0


# -- database -------------------------------------------------------------------------


def test_sqlite_runs_in_wal_mode_with_foreign_keys(_isolated_database: str) -> None:
    store = Store(_isolated_database)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_database_url_prefers_an_explicit_path(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "x.db"
    assert database_url(path) == f"sqlite:///{path}"
    assert path.parent.is_dir()


def test_database_url_falls_back_to_the_environment(_isolated_database: str) -> None:
    assert database_url() == _isolated_database
    assert Store().url == _isolated_database


# -- embedding cache ------------------------------------------------------------------


def test_embedding_cache_put_and_get(store: Store) -> None:
    store.put_embeddings("model-a", {"h1": b"\x01\x02", "h2": b"\x03\x04"}, dim=2)
    # A second put of a known hash is ignored, not an error.
    store.put_embeddings("model-a", {"h1": b"\xff\xff", "h3": b"\x05\x06"}, dim=2)
    store.put_embeddings("model-b", {"h1": b"\x09\x09"}, dim=2)

    assert store.get_embeddings("model-a", ["h1", "h3", "missing", "h1"]) == {
        "h1": b"\x01\x02",
        "h3": b"\x05\x06",
    }
    assert store.get_embeddings("model-b", ["h1", "h2"]) == {"h1": b"\x09\x09"}
    assert store.get_embeddings("model-a", []) == {}
    assert store.known_embeddings("model-a", ["h3", "missing", "h2"]) == {"h2", "h3"}
    assert store.known_embeddings("model-b", ["h2"]) == set()


def test_two_writers_of_the_same_vector_do_not_collide(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.put_embeddings("model-a", {"h1": b"\x01\x02"}, dim=2)
    # The other writer read the cache before this one's row was committed.
    monkeypatch.setattr(store, "known_embeddings", lambda model, hashes: set())
    store.put_embeddings("model-a", {"h1": b"\x07\x07", "h2": b"\x03\x04"}, dim=2)
    monkeypatch.undo()
    assert store.get_embeddings("model-a", ["h1", "h2"]) == {"h1": b"\x01\x02", "h2": b"\x03\x04"}


def test_embedding_cache_handles_more_hashes_than_one_query(store: Store) -> None:
    vectors = {f"hash-{i}": i.to_bytes(2, "little") for i in range(1200)}
    store.put_embeddings("m", vectors, dim=1)
    assert store.get_embeddings("m", list(vectors)) == vectors


def test_candidate_filter_narrows_by_every_field(store: Store) -> None:
    project_id = store.create_project(
        Project(name="F", kind=ProjectKind.CLASSIFICATION, labels=["a", "b"])
    )

    def add(text: str, label: str, method: str, passed: bool = True, **attributes: str) -> int:
        return store.add_candidate(
            Candidate(
                project_id=project_id,
                content={"text": text, "label": label},
                label=label,
                method=method,
                attributes=attributes,
                checks=[Check(name="length", passed=passed)],
                job_id=7 if method == "chataug" else None,
            )
        )

    first = add("Café opens in Lyon", "a", "attrprompt", style="report", place="Lyon")
    second = add("Rain in Lima", "b", "attrprompt", passed=False, style="blog", place="Lima")
    third = add("Markets fall 50%", "a", "chataug", style="report")
    store.record_review(Review(candidate_id=first, decision="accepted", annotator="ana"))
    store.record_review(Review(candidate_id=second, decision="rejected", annotator="ben"))

    def ids(**fields) -> list[int]:
        where = CandidateFilter(**fields)
        found = [c.id for c in store.iter_candidates(project_id, where)]
        assert store.count_candidates(project_id, where) == len(found)
        return found

    assert ids() == [first, second, third]
    assert ids(statuses=["accepted", "pending"]) == [first, third]
    assert ids(methods=["chataug"]) == [third] == ids(job_ids=[7])
    assert ids(labels=["a"]) == [first, third]
    assert ids(attributes={"style": ["report"], "place": ["Lyon"]}) == [first]
    assert ids(failed_checks=["length"]) == [second] == ids(flagged=True)
    assert ids(flagged=False) == [first, third]
    assert ids(annotators=["ben"]) == [second]
    assert ids(text="CAFÉ") == [first]  # case-insensitive, UTF-8 as is
    assert ids(text="50%") == [third]  # LIKE wildcards are literal
    assert store.get_candidate(first).reviewed_by == "ana"


def test_adding_seed_tasks_is_idempotent_by_content(store: Store) -> None:
    project_id = make_project(store)
    twice = [task("Say hello.", "Hi"), task("Say hello.", "Hi")]
    assert store.add_seed_tasks(project_id, twice) == 1
    renamed = task("Say hello.", "Hi").model_copy(update={"name": "greeting"})
    assert store.add_seed_tasks(project_id, [renamed, task("Say hello.", "Hello!")]) == 1
    outputs = [t.instances[0].output for t in store.list_seed_tasks(project_id)]
    assert outputs == ["Hi", "Hello!"]


def test_similar_labels_are_stored_and_pruned_to_the_projects_labels(store: Store) -> None:
    project = Project(
        name="Close classes",
        kind=ProjectKind.CLASSIFICATION,
        labels=["business", "politics", "world"],
        similar_labels={
            "business": ["politics", "politics", "business", "gone"],  # repeat, self, unknown
            "gone": ["world"],  # a label the project no longer has
            "world": [],
        },
    )
    assert project.similar_labels == {"business": ["politics"]}
    project_id = store.create_project(project)
    stored = store.get_project(project_id)
    assert stored.similar_labels == {"business": ["politics"]}
    store.update_project(
        stored.model_copy(update={"similar_labels": {"world": ["business", "politics"]}})
    )
    assert store.get_project(project_id).similar_labels == {"world": ["business", "politics"]}
    with pytest.raises(ValueError):
        Project(name="x", similar_labels={"a": "not a list"})  # type: ignore[dict-item]
