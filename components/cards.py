"""How a candidate looks: its content as plain text, its attributes and its checks."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components.state import show_text
from seedbed.models import Candidate

FIELD_TITLES = {
    "instruction": "Instruction",
    "input": "Input",
    "output": "Output",
    "text": "Text",
    "label": "Label",
}


def candidate_card(candidate: Candidate) -> None:
    """The content (as text, never markdown or HTML), then provenance and checks."""
    for field, value in candidate.final_content.items():
        if field == "input" and not value:
            continue
        st.caption(FIELD_TITLES.get(field, field))
        show_text(value)
    facts = [f"method: {candidate.method}", f"model: {candidate.model}"]
    facts += [f"{name}: {value}" for name, value in candidate.attributes.items()]
    st.caption(" · ".join(facts))
    checks_table(candidate)


def checks_table(candidate: Candidate) -> None:
    if not candidate.checks:
        return
    failed = [check.name for check in candidate.checks if not check.passed]
    if failed:
        st.warning("Flagged by: " + ", ".join(failed))
    frame = pd.DataFrame(
        [
            {
                "check": check.name,
                "passed": check.passed,
                "score": check.score,
                "detail": check.detail,
            }
            for check in candidate.checks
        ]
    )
    st.dataframe(frame, hide_index=True, width="stretch")
