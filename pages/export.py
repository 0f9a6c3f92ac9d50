"""Export candidates in fine-tuning formats with a dataset card and a recipe; import data."""

import streamlit as st

from components import background
from components.filter_panel import candidate_filter_panel
from components.import_panel import import_data, import_project_panel, show_import_notices
from components.router import require_router
from components.state import current_project, get_store, plain
from seedbed.duplicates.contamination import EvalSetError, read_eval_file
from seedbed.files.bundle import (
    MIME_TYPES,
    ExportOptions,
    MemorySink,
    count_empty,
    file_label,
    write_export,
)
from seedbed.files.card import EMPTY_NOTE, LICENSES, embedding_diversity
from seedbed.files.records import (
    CANDIDATE_FORMATS,
    FORMAT_TITLES,
    FORMATS,
    Provenance,
    export_lines,
    formats_for,
)
from seedbed.files.splits import THRESHOLDS
from seedbed.models import ProjectKind
from seedbed.store.options import filter_options

require_router()  # first: no page runs without app.py's sign-in check

store = get_store()
project = current_project(store)

st.title("Export and import")
show_import_notices()
if project is None:
    st.info("No project yet: create one on the Overview page, or import one from a recipe.")
    import_project_panel(store)
    st.stop()

export_tab, import_tab = st.tabs(["Export", "Import"])
with import_tab:
    import_data(store, project)

with export_tab:
    st.subheader("Which candidates")
    where = candidate_filter_panel("export_filter", filter_options(store, project))
    matching = store.count_candidates(project.id, where)
    st.caption(f"{matching:,} candidates match." if matching != 1 else "1 candidate matches.")
    empty = count_empty(store, project, where) if matching else 0
    if empty:
        st.warning(
            f"{empty:,} of them will be left out: {EMPTY_NOTE} "
            "(fill the field with Edit on the Review page to include one)."
        )

    available = formats_for(project)
    first = "classification" if project.kind == ProjectKind.CLASSIFICATION else "alpaca"
    left, right = st.columns(2)
    formats = left.multiselect(
        "Formats",
        list(available),
        default=[first],
        format_func=FORMAT_TITLES.get,
        help="\n".join(f"- {FORMATS[key]}" for key in available),
        key="export_formats",
    )
    system_prompt = ""
    if {"openai_chat", "sharegpt"} & set(formats):
        system_prompt = left.text_input("System prompt (optional)", key="export_system_prompt")
    dedup = right.radio(
        "Duplicates",
        ["none", "exact", "near", "minhash", "semantic"],
        format_func={
            "none": "keep all",
            "exact": "drop exact (case, spaces ignored)",
            "near": "drop near",
            "minhash": "drop MinHash",
            "semantic": "drop semantic",
        }.get,
        help="Near: character edit ratio. MinHash: shared word 3-grams (Jaccard), fast on "
        "large sets. Semantic: same meaning (embedding cosine; embeds the texts).",
        horizontal=True,
        key="export_dedup",
    )
    near = 90.0
    if dedup == "near":
        near = right.slider("Similarity at least (rapidfuzz ratio)", 70, 100, 90, key="export_near")
    similarity = None
    if dedup in ("minhash", "semantic"):
        what = "Jaccard of word 3-grams" if dedup == "minhash" else "embedding cosine"
        similarity = right.slider(
            f"Similarity at least ({what})",
            0.5,
            1.0,
            THRESHOLDS[dedup],
            0.01,
            key=f"export_similarity_{dedup}",
        )
    eval_file = left.file_uploader(
        "Evaluation set for the contamination check (optional): JSONL, CSV or text",
        type=["jsonl", "json", "csv", "tsv", "txt"],
        key="export_eval_file",
    )
    eval_items: list[str] = []
    if eval_file is not None:
        try:
            eval_items = read_eval_file(eval_file.name, eval_file.getvalue())
        except EvalSetError as error:
            left.error(plain(str(error)))
    validation = right.slider("Validation share (%)", 0, 50, 0, 5, key="export_validation")
    seed = right.number_input("Split seed", 0, 2**31 - 1, 0, key="export_seed")
    license_id = left.selectbox("License (for the dataset card)", LICENSES, key="export_license")
    measure = left.checkbox(
        "Measure diversity for the card (embeds the texts)", True, key="export_measure"
    )

    if not formats:
        st.warning("Pick at least one format.")
        st.stop()
    options = ExportOptions(
        formats=formats,
        where=where,
        dedup=dedup,
        near_threshold=float(near),
        similarity_threshold=similarity,
        eval_items=eval_items,
        eval_name=eval_file.name if eval_file is not None else "",
        validation_fraction=validation / 100,
        seed=int(seed),
        system_prompt=system_prompt,
        license=license_id,
    )

    preview_format = next((fmt for fmt in formats if fmt in CANDIDATE_FORMATS), None)
    if preview_format:
        sample = store.list_candidates(project.id, where, limit=3)
        provenance = Provenance(store, project) if preview_format == "raw" else None
        lines = export_lines(sample, project, preview_format, system_prompt, provenance)
        st.caption(
            f"First records ({FORMAT_TITLES[preview_format]}), before de-duplication and split"
        )
        st.code("".join(lines) or "(nothing matches)", language="json", wrap_lines=True)

    # The prepared files belong to this project and these exact options. They are written
    # on a server thread: semantic de-duplication and the card's diversity embed every new
    # text, minutes for a large set, and the page answers meanwhile.
    signature = f"{project.id}:{options.model_dump_json()}:{measure}"
    key = f"export|{store.url}|{signature}"
    if st.button("Prepare files", type="primary", key="export_prepare", disabled=not matching):
        background.forget(key)  # prepare again: the data may have changed since
        st.session_state["export_wanted"] = key
    if st.session_state.get("export_wanted") == key:

        def prepare(work: background.Work) -> dict:
            sink = MemorySink()
            diversity = embedding_diversity(store, work.progress) if measure else None
            facts = write_export(store, project, options, sink, diversity, work.progress)
            return {
                "signature": signature,
                "files": sink.files,
                "zip": sink.zip_bytes(),
                "summary": facts.summary(),
            }

        work = background.start(key, prepare)
        if not work.wait(2.0):
            background.watch(work, "Writing the files…")
        else:
            del st.session_state["export_wanted"]
            if work.error is not None:
                st.error(plain(work.error))
            else:
                st.session_state["export_files"] = work.result

    prepared = st.session_state.get("export_files")
    if prepared and prepared["signature"] == signature:
        st.success(prepared["summary"])
        slug = "".join(ch if ch.isalnum() else "-" for ch in project.name.lower()).strip("-")
        st.download_button(
            "Download everything (zip: data, README.md, recipe.json)",
            prepared["zip"],
            file_name=f"{slug}-export.zip",
            mime="application/zip",
            type="primary",
            key="export_download_zip",
            on_click="ignore",
        )
        files: dict[str, str] = prepared["files"]
        columns = st.columns(3)
        for index, (name, text) in enumerate(files.items()):
            columns[index % 3].download_button(
                file_label(name, text),
                text.encode("utf-8"),
                file_name=name,
                mime=MIME_TYPES[name.rsplit(".", 1)[-1]],
                key=f"export_download_{name.replace('.', '_')}",
                on_click="ignore",
            )
        with st.expander("Dataset card (README.md)"):
            st.code(files["README.md"], language="markdown", wrap_lines=True)
        with st.expander("Recipe (recipe.json)"):
            st.code(files["recipe.json"], language="json")
    elif prepared:
        st.caption("The options changed since the files were prepared: prepare them again.")
