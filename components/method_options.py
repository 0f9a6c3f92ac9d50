"""A method's options as widgets: each field of its pydantic Options model, and sampling by stage.

Values live in plain session dicts (one per method) and the widgets mirror them,
so a user's choices survive switching methods, stages and pages. Dict-valued
options (for example Self-Instruct's per-task overrides) are left to the
command line's --options JSON.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal, get_args, get_origin

import annotated_types
import streamlit as st
from pydantic.fields import FieldInfo

from seedbed.methods.base import Method
from seedbed.models import Project

_SKIP = object()


def _kept(
    widget: Callable[..., Any], label: str, values: dict, name: str, default: Any, **kwargs: Any
) -> Any:
    """Draw `widget` over values[name]; a change is copied back (a widget's own state is
    dropped by Streamlit on every run it is not drawn)."""
    key = f"{kwargs.pop('key')}"
    st.session_state[key] = values.get(name, default)

    def keep() -> None:
        values[name] = st.session_state[key]

    return widget(label, key=key, on_change=keep, **kwargs)


def _bounds(field: FieldInfo, kind: type) -> dict[str, Any]:
    """min_value / max_value from ge, gt, le, lt, as `kind` (Streamlit wants one type)."""
    bounds: dict[str, Any] = {}
    for rule in field.metadata:
        if isinstance(rule, annotated_types.Ge | annotated_types.Gt):
            bounds["min_value"] = kind(getattr(rule, "ge", None) or getattr(rule, "gt", 0))
        if isinstance(rule, annotated_types.Le | annotated_types.Lt):
            bounds["max_value"] = kind(getattr(rule, "le", None) or getattr(rule, "lt", 0))
    return bounds


def _field_widget(name: str, field: FieldInfo, project: Project, values: dict, key: str) -> Any:
    """The widget for one option, or _SKIP for a kind of option this form does not edit."""
    kind, args = field.annotation, get_args(field.annotation)
    default = field.get_default(call_default_factory=True)
    label = name.replace("_", " ").capitalize()
    common = {"help": field.description, "key": key}
    if kind is bool:
        return _kept(st.checkbox, label, values, name, default, **common)
    if kind in (int, float):
        step = 1 if kind is int else 0.05  # Streamlit wants value, step and bounds of one type
        number = _kept(
            st.number_input,
            label,
            values,
            name,
            default,
            step=step,
            **_bounds(field, kind),
            **common,
        )
        return kind(number)
    if get_origin(kind) is Literal:
        return _kept(st.selectbox, label, values, name, default, options=list(args), **common)
    if get_origin(kind) is list and args:
        item = args[0]
        if get_origin(item) is Literal:
            return _kept(
                st.multiselect, label, values, name, default, options=list(get_args(item)), **common
            )
        if item is str and name == "labels":
            return _kept(
                st.multiselect, label, values, name, default, options=project.labels, **common
            )
        if item is str:
            text = _kept(
                st.text_area, f"{label} (one per line)", values, name, "\n".join(default), **common
            )
            return [line.strip() for line in text.splitlines() if line.strip()]
        if item is int:
            text = _kept(
                st.text_input, f"{label} (ids, comma-separated)", values, name, "", **common
            )
            return [int(number) for number in re.findall(r"\d+", text)]
    if kind is str:
        return _kept(st.text_input, label, values, name, default, **common)
    return _SKIP


def option_widgets(method: Method, project: Project, key: str) -> dict[str, Any]:
    """The method's options as the user set them (all of them, defaults included)."""
    values = st.session_state.setdefault(f"{key}_{method.name}_options", {})
    chosen: dict[str, Any] = {}
    fields = {n: f for n, f in method.Options.model_fields.items() if n != "params"}
    if not fields:
        return chosen
    with st.expander("Method options"):
        for name, field in fields.items():
            value = _field_widget(name, field, project, values, f"{key}_{method.name}_{name}")
            if value is not _SKIP:
                chosen[name] = value
    return chosen


def sampling_widgets(method: Method, key: str) -> dict[str, dict[str, Any]]:
    """Temperature, top-p and max tokens by stage: only what differs from the method's defaults."""
    defaults = method.Options.stage_params
    changed: dict[str, dict[str, Any]] = st.session_state.setdefault(
        f"{key}_{method.name}_params", {}
    )
    with st.expander("Sampling parameters"):
        stages = list(defaults)
        stage = stages[0]
        if len(stages) > 1:
            stage = st.selectbox("Stage", stages, key=f"{key}_{method.name}_stage")
        values = changed.setdefault(stage, {})
        base = defaults[stage]
        prefix = f"{key}_{method.name}_{stage}"
        a, b, c = st.columns(3)
        _kept(a.slider, "Temperature", values, "temperature", base.temperature,
              min_value=0.0, max_value=2.0, step=0.05, key=f"{prefix}_temperature")  # fmt: skip
        _kept(b.slider, "Top-p", values, "top_p", base.top_p,
              min_value=0.05, max_value=1.0, step=0.05, key=f"{prefix}_top_p")  # fmt: skip
        _kept(c.number_input, "Max tokens", values, "max_tokens", base.max_tokens,
              min_value=1, max_value=32_768, step=16, key=f"{prefix}_max_tokens")  # fmt: skip
        st.caption(
            "Each stage starts from the paper's settings; change a stage by picking it above."
        )
    return {
        stage: {
            field: value
            for field, value in values.items()
            if getattr(defaults[stage], field) != value
        }
        for stage, values in changed.items()
        if any(getattr(defaults[stage], field) != value for field, value in values.items())
    }
