"""self_assessment page (being built: issue 3)."""
import streamlit as st

from app_pages.common import get_evaluation, guard, text_table

with guard():
    ev = get_evaluation()
    st.dataframe(text_table(ev.results), hide_index=True)
