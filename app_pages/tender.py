"""Tender page (being built: issue 3)."""
import streamlit as st

from app_pages.common import get_tender, guard, show_problems

with guard():
    t = get_tender()
    st.title("Tender")
    st.text(t.label)
    show_problems(t.problems, kind="warning")
