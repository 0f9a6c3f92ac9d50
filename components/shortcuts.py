"""Keyboard shortcuts that press the page's own buttons (a, r, e, s, u on the review page).

A tiny Streamlit component (custom components v2: script only, no iframe, nothing
drawn) listens to key presses on the app's window and clicks the button whose
container carries the class `.st-key-<widget key>`, so a shortcut does exactly what
a click does.

Streamlit has keys of its own (`r` reruns the app, `c` clears the cache), read from
the document after ours. A press that clicks one of our buttons is therefore caught
on the way down (the capture phase, on the window) and goes no further: `r` on the
Review page rejects, and only rejects. A rerun racing the click could otherwise send
the pressed button again and decide a second candidate.

Keys typed in a text field, a select or an editable element are left alone, as are
presses with Ctrl, Alt or Meta. The bindings are our own constants: no candidate
text ever reaches this script.

(`st.components.v1.html` would need an iframe reaching into its parent, and it is
deprecated in Streamlit 1.67.)
"""

from __future__ import annotations

import streamlit.components.v2 as components_v2

_SCRIPT = """
export default function (component) {
  const { bindings, focus } = component.data;
  // Streamlit calls this again whenever the bindings change, without a cleanup
  // first: keep exactly one listener by replacing the previous one.
  if (window.__seedbedShortcuts) {
    window.removeEventListener("keydown", window.__seedbedShortcuts, true);
  }
  const typing = (node) =>
    node instanceof HTMLElement &&
    (node.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(node.tagName));
  const onKey = (event) => {
    if (event.defaultPrevented || event.repeat) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.composedPath().some(typing)) return;
    const widget = bindings[event.key.toLowerCase()];
    if (!widget) return;
    const button = document.querySelector(`.st-key-${widget} button`);
    if (!button || button.disabled) return;
    event.preventDefault();
    event.stopImmediatePropagation();  // Streamlit's own `r` and `c` never see it
    button.click();
  };
  window.addEventListener("keydown", onKey, true);
  window.__seedbedShortcuts = onKey;
  // The field may be drawn a moment after this script runs: look for it for a second.
  let tries = 0;
  const focusField = () => {
    const field = document.querySelector(`.st-key-${focus} textarea, .st-key-${focus} input`);
    if (field) {
      if (document.activeElement !== field) field.focus();
    } else if (++tries < 20) {
      setTimeout(focusField, 50);
    }
  };
  if (focus) focusField();
  return () => {
    window.removeEventListener("keydown", onKey, true);
    if (window.__seedbedShortcuts === onKey) window.__seedbedShortcuts = null;
  };
}
"""

_shortcuts = components_v2.component("seedbed_keyboard_shortcuts", js=_SCRIPT)


def keyboard_shortcuts(bindings: dict[str, str], focus: str | None = None, key: str = "") -> None:
    """Make each key in `bindings` click the button with that widget key (and nothing else:
    a bound key is kept from Streamlit's own shortcuts while the buttons are shown).

    `focus` names a widget (a text area) to put the cursor in once it is drawn.
    """
    for letter, widget in bindings.items():
        if len(letter) != 1 or not widget.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"Bad shortcut {letter!r} -> {widget!r}.")
    _shortcuts(
        data={"bindings": {k.lower(): v for k, v in bindings.items()}, "focus": focus},
        key=key or "shortcuts",
    )


def shortcut_legend(labels: dict[str, str]) -> str:
    """'a accept · r reject ...' for a caption (our own text, no model output)."""
    return " · ".join(f"**{letter}** {label}" for letter, label in labels.items())
