"""The Streamlit pieces of the Attributes page."""
