"""The reader's language: chosen once (or by ?lang= in any link) and kept for the whole visit."""

from __future__ import annotations

import streamlit as st

from portal.i18n import DEFAULT_LANGUAGE, LANGUAGE_NAMES, LANGUAGES, Translate, normalize_language, translator

_KEY = "lang"


def current_language() -> str:
    """The language for this run: ?lang= wins, then the visitor's earlier choice, then English."""
    from_link = st.query_params.get(_KEY)
    if from_link:
        st.session_state[_KEY] = normalize_language(from_link)
    return st.session_state.get(_KEY, DEFAULT_LANGUAGE)


def gettext() -> Translate:
    return translator(current_language())


def _chosen() -> None:
    choice = st.session_state["_lang_picker"]
    st.session_state[_KEY] = choice
    # Keep the address bar in step so a shared or reloaded link opens in the same language.
    st.query_params[_KEY] = choice


def language_picker() -> None:
    """A language switch for the sidebar."""
    lang = current_language()
    st.session_state["_lang_picker"] = lang
    st.sidebar.radio("Language / Idioma", LANGUAGES, key="_lang_picker",
                     format_func=LANGUAGE_NAMES.get, on_change=_chosen, horizontal=True)
