"""Reusable Streamlit pieces. They may import seedbed; seedbed never imports them."""
