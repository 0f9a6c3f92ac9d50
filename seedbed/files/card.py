"""The dataset card: a README.md beside the exported data, in Hugging Face's card layout.

The YAML header names the license and one config per format, so the folder
loads with `datasets.load_dataset(folder, name)`; the body states what was
selected, how it was split, what it contains and how diverse it was at export.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from seedbed.models import CandidateFilter, Project

if TYPE_CHECKING:
    from seedbed.insights.embeddings import Progress
    from seedbed.store.core import Store

Measure = Callable[[Sequence[str]], float | None]

LICENSES = [
    "unknown",
    "cc-by-4.0",
    "cc-by-sa-4.0",
    "cc-by-nc-4.0",
    "cc0-1.0",
    "odc-by",
    "mit",
    "apache-2.0",
    "other",
]


def embedding_diversity(store: Store | None = None, on_progress: Progress | None = None) -> Measure:
    """APS over all-MiniLM-L6-v2 embeddings (cached in `store` when given);
    `on_progress(what, done, todo)` hears how the embedding of new texts goes."""

    def measure(texts: Sequence[str]) -> float | None:
        from seedbed.insights.embeddings import embed_texts, reporting
        from seedbed.insights.metrics import average_pairwise_similarity

        if len(texts) < 2:
            return None
        report = reporting(on_progress, "texts to measure")
        return average_pairwise_similarity(embed_texts(list(texts), store, on_progress=report))

    return measure


@dataclass
class DataFile:
    name: str
    fmt: str
    split: str
    records: int


@dataclass
class CardFacts:
    """What the card reports; gathered while the export is planned and written."""

    project: Project
    created_at: datetime
    license: str
    selection: str
    dedup: str
    split: str
    files: list[DataFile] = field(default_factory=list)
    split_counts: dict[str, int] = field(default_factory=dict)
    labels: dict[str, Counter] = field(default_factory=dict)  # split -> label counts
    attributes: dict[str, Counter] = field(default_factory=dict)  # dimension -> value counts
    methods: Counter = field(default_factory=Counter)
    models: Counter = field(default_factory=Counter)
    aps: float | None = None
    measured: int = 0
    label_aps: dict[str, float | None] = field(default_factory=dict)
    pair_source: str = ""
    left_out_empty: int = 0  # selected candidates with an empty required field
    contamination: str = ""  # the contamination check's summary, when an evaluation set was given
    decided_alone: int = 0  # records an AI judge decided without a person (review.auto)

    def summary(self) -> str:
        """One line for the page: records by split and the diversity."""
        counts = ", ".join(f"{n:,} {split}" for split, n in self.split_counts.items())
        if len(self.split_counts) == 1:
            total = sum(self.split_counts.values())
            counts = f"{total:,} record{'' if total == 1 else 's'}"
        summary = f"Ready: {counts}."
        if self.left_out_empty:
            summary += f" {self.left_out_empty:,} left out: {EMPTY_NOTE}."
        if self.aps is not None:
            summary += f" Average pairwise similarity {self.aps:.3f} (lower is more diverse)."
        return summary


EMPTY_NOTE = "an empty output or text is not data"


def describe_filter(where: CandidateFilter) -> str:
    """The selection in words, for the card ("status accepted; label sports")."""
    parts = []
    for name, values in (
        ("status", [s.value for s in where.statuses]),
        ("method", where.methods),
        ("label", where.labels),
        ("failed check", where.failed_checks),
        ("annotator", where.annotators),
        ("job", [str(j) for j in where.job_ids]),
    ):
        if values:
            parts.append(f"{name} {' or '.join(values)}")
    parts += [f"{name} {' or '.join(v)}" for name, v in where.attributes.items() if v]
    if where.flagged is not None:
        parts.append("flagged by a check" if where.flagged else "passed every check")
    if where.text:
        parts.append(f"text contains {json.dumps(where.text, ensure_ascii=False)}")
    if where.created_after:
        parts.append(f"created from {where.created_after.isoformat()}")
    if where.created_before:
        parts.append(f"created before {where.created_before.isoformat()}")
    return "; ".join(parts) or "every candidate of the project"


# Markdown punctuation that can start emphasis, code, a link or image, a heading, a table
# cell or an autolink (`:`); `<` and `&` are HTML-escaped first.
_MARKDOWN_SPECIALS = set("\\`*_{}[]()#+!|~:")


def _text(value: object) -> str:
    """User text (names, descriptions, labels, values) as literal text in the card: one
    line, HTML escaped, markdown punctuation backslashed, so Hugging Face's renderer shows
    it as typed and loads no image and makes no link from it."""
    flat = html.escape(" ".join(str(value).split()), quote=False)
    return "".join(f"\\{char}" if char in _MARKDOWN_SPECIALS else char for char in flat)


def _cell(value: object) -> str:
    """Text safe inside a markdown table cell."""
    return _text(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines + [""]


def _yaml_header(facts: CardFacts) -> list[str]:
    # JSON strings are valid YAML scalars, so user text cannot break the header.
    lines = ["---", f"license: {json.dumps(facts.license)}"]
    lines += [f"pretty_name: {json.dumps(facts.project.name, ensure_ascii=False)}"]
    lines += ["tags:", "- synthetic", "- seedbed", "configs:"]
    for fmt in dict.fromkeys(f.fmt for f in facts.files):
        lines += [f"- config_name: {fmt}", "  data_files:"]
        for data in (f for f in facts.files if f.fmt == fmt):
            lines += [f"  - split: {data.split}", f"    path: {json.dumps(data.name)}"]
    return lines + ["---", ""]


def _distributions(facts: CardFacts) -> list[str]:
    lines: list[str] = []
    splits = list(facts.split_counts)
    seen = sorted({label for counts in facts.labels.values() for label in counts} - {""})
    # Every label of the project, so one with no record shows as 0.
    labels = list(facts.project.labels) + [
        label for label in seen if label not in facts.project.labels
    ]
    if labels:
        total = sum(facts.split_counts.values()) or 1
        rows = []
        for label in labels:
            counts = [facts.labels.get(split, Counter())[label] for split in splits]
            rows.append([label or "(none)", *counts, f"{sum(counts) / total:.1%}"])
        lines += ["## Labels", "", *_table(["label", *splits, "share"], rows)]
    if facts.attributes:
        lines += ["## Attributes", ""]
        for name, counts in facts.attributes.items():
            total = sum(counts.values()) or 1
            rows = [[value, n, f"{n / total:.1%}"] for value, n in counts.most_common()]
            lines += [f"### {_cell(name)}", "", *_table(["value", "records", "share"], rows)]
    return lines


def render_card(facts: CardFacts) -> str:
    """README.md text for an export described by `facts`."""
    project = facts.project
    lines = _yaml_header(facts) + [f"# {_text(project.name)}", ""]
    if project.description:
        lines += [_text(project.description), ""]
    kind = "classification data" if project.labels else "instruction data"
    when = facts.created_at.strftime("%Y-%m-%d %H:%M UTC")
    name = _text(project.name)
    lines += [f'Exported from the Seedbed project "{name}" ({kind}) on {when}.', ""]
    lines += [
        "## Files",
        "",
        *_table(
            ["file", "format", "split", "records"],
            [[f.name, f.fmt, f.split, f.records] for f in facts.files],
        ),
    ]
    if facts.pair_source and any(f.fmt == "preference" for f in facts.files):
        lines += [f"Preference pairs come from {facts.pair_source}.", ""]
    elif facts.pair_source:
        lines += [f"No preference pair was found (they come from {facts.pair_source}).", ""]
    lines += [
        "## Selection",
        "",
        f"- Candidates: {_text(facts.selection)}.",
        f"- De-duplication: {facts.dedup}.",
        "- Contamination check: "
        + (_text(facts.contamination) if facts.contamination else "no evaluation set given")
        + ".",
    ]
    lines += [f"- Split: {facts.split}.", ""]
    lines += ["## Counts", "", *_table(["split", "records"], list(facts.split_counts.items()))]
    lines += _distributions(facts)
    lines += ["## Diversity at export time", ""]
    if facts.aps is None:
        lines += ["Not measured (fewer than two records, or measuring was turned off).", ""]
    else:
        lines += [
            f"- Average pairwise cosine similarity of all-MiniLM-L6-v2 sentence embeddings: "
            f"{facts.aps:.4f} over {facts.measured} records (lower is more diverse).",
            "",
        ]
    if facts.label_aps:
        rows = [
            [label, "-" if aps is None else f"{aps:.4f}"] for label, aps in facts.label_aps.items()
        ]
        lines += ["Within each label (- for a label with one record):", ""]
        lines += _table(["label", "average pairwise similarity"], rows)
    lines += ["## How it was made", "", *_table(["method", "records"], facts.methods.most_common())]
    lines += _table(
        ["model", "records"], [[m or "(unknown)", n] for m, n in facts.models.most_common()]
    )
    if facts.decided_alone:
        total = sum(facts.split_counts.values())
        lines += [
            f"{facts.decided_alone:,} of the {total:,} records were decided by an AI judge alone "
            "(allowed only while its Cohen's kappa against people reached the level the "
            "project set; each such decision is marked `automatic` in the raw export).",
            "",
        ]
    lines += [
        "## License",
        "",
        f"{facts.license} (chosen by the exporter). Text written by a model may also fall under "
        "the terms of use of that model.",
        "",
        "## Reproduce",
        "",
        "`recipe.json` holds the seed tasks, attribute dimensions, prompt templates, filter "
        "thresholds and model parameters. Import it in Seedbed (Export page, Import tab, "
        '"A project from a recipe") or run `python -m seedbed import recipe.json`: either '
        "starts a new project from it.",
        "",
    ]
    return "\n".join(lines)
