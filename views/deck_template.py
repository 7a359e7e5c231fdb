"""Data > Deck template (演示模板): the team's own PowerPoint template with {{tokens}}: upload it (every upload a
version, like the value model), preview it filled for one account, and the portfolio's batch export of decks uses
the newest (docs/deck_template.md)."""
import streamlit as st

from i18n import lang, t
from metrics import deck_templates
from metrics.errors import DataError
from ui.deck_template import filled, keep, kept, outline, reference
from ui.session import cache_key, get_connection, writing
from ui.signin import current_user, guard, visible_accounts
from ui.text import refusal_text
from ui.widgets import period_picker, table

guard("data")
st.title(t("page_deck_template"))
st.caption(t("deck_template_help"))

current = kept()
if current is None:
    st.info(t("deck_template_none"))
else:
    st.markdown(t("deck_template_current", version=current.version, name=current.name))
    table(deck_templates.versions(get_connection()), hide_index=True)

upload = st.file_uploader(t("deck_template_upload"), type=["pptx"], key="deck_template_file")
if upload is not None and st.button(t("deck_template_keep"), type="primary"):
    try:
        with writing() as writable:
            version, internal = keep(upload.getvalue(), upload.name, current_user(), writable)
    except DataError as exc:
        st.error(refusal_text(exc))
    else:
        st.session_state["deck_template_kept"] = (version, internal)
        st.rerun()
if saved := st.session_state.pop("deck_template_kept", None):
    st.success(t("deck_template_kept", version=saved[0]))
    if saved[1]:
        st.info(t("deck_template_internal", tokens=", ".join(f"{{{{{n}}}}}" for n in saved[1])))

if current is not None:
    st.subheader(t("deck_template_preview"))
    accounts = visible_accounts()
    names = dict(zip(accounts["account_id"], accounts["account_name"]))
    left, right = st.columns(2)
    account = left.selectbox(t("account"), list(names), format_func=lambda a: f"{names[a]} ({a})")
    internal = right.toggle(t("deck_template_internal_toggle"), value=False)
    period = period_picker()
    try:
        deck = filled(current.version, account, period.start, period.end, lang(), internal, current_user(),
                      cache_key())
    except DataError as exc:
        st.error(refusal_text(exc))
    else:
        table(outline(deck), hide_index=True)
        st.download_button(t("deck_template_download"), deck, file_name=f"{account}_{period.file_part()}.pptx",
                           mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
                           icon=":material/download:")

with st.expander(t("deck_template_reference")):
    catalog = reference()
    st.markdown(t("deck_template_tokens"))
    table([{"token": x["token"], "unit": t(f"token_unit_{x['unit']}"), "internal": x["internal"]}
           for x in catalog["tokens"]], hide_index=True)
    st.markdown(t("deck_template_each"))
    table([{"token": f"{{{{each:{k}}}}}", "fields": " ".join(v)} for k, v in catalog["each"].items()],
          hide_index=True)
    st.markdown(t("deck_template_parts"))
    table([{"token": x} for x in catalog["charts"] + catalog["tables"]], hide_index=True)
