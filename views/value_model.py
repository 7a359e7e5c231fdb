"""Data > Value model: edit minutes saved per feature and hourly costs, see the effect on portfolio value
before saving, and revert to any saved version."""
import streamlit as st

from i18n import t
from metrics import backtest, health, value_model
from metrics.errors import DataError
from metrics.registry import METRICS
from ui.session import cache_key, get_connection, long_work, writing
from ui.signin import current_user, guard
from ui.text import fmt, formula_safe, formula_text, labelled, reason_text, term_text
from ui.widgets import period_picker, table

guard("data")


@st.cache_data(show_spinner=False, max_entries=8)
def backtest_of(weights: tuple[tuple[str, float], ...], key: tuple[str, int]) -> backtest.Backtest:
    """The health score's back-test with these weights, on this data version (metrics.backtest)."""
    return backtest.backtest(get_connection(), dict(weights))


st.title(t("page_value_model"))
con = get_connection()
drivers, hourly = value_model.current_model(con)
st.subheader(t("value_drivers"))
drivers = st.data_editor(drivers, num_rows="dynamic", hide_index=True, key="drivers", column_config=labelled(
    drivers.columns, {
        # no min_value: the grid would drop the sign of -5 silently; validate() refuses it with row and column
        "minutes_saved": st.column_config.NumberColumn(step=0.5),
        "basis": st.column_config.SelectboxColumn(options=list(value_model.BASES), required=True, default="use",
                                                  format_func=lambda v: term_text("basis", v)),
        "category": st.column_config.SelectboxColumn(options=list(value_model.CATEGORIES),
                                                     format_func=lambda v: term_text("category", v))}))
st.subheader(t("hourly_costs"))
# account names are shown, never saved: made formula-safe for the editor's CSV download like every table
hourly = st.data_editor(hourly.assign(account_name=formula_safe(hourly[["account_name"]])["account_name"]),
                        hide_index=True, key="hourly", disabled=["account_id", "account_name", "currency"],
                        column_config=labelled(hourly.columns, {
                            "hourly_cost": st.column_config.NumberColumn(format="%,.2f")}))
problems = value_model.validate(drivers, hourly)
for problem in problems:
    st.error(reason_text(problem))
if not problems:
    st.subheader(t("effect"))
    period = period_picker()
    table(value_model.effect(con, drivers, hourly, start=period.start, end=period.end), hide_index=True)
note = st.text_input(t("note"))
if st.button(t("save"), type="primary", disabled=bool(problems)):
    try:
        with writing() as writable:
            version = value_model.save(writable, drivers, hourly, user=current_user(), note=note)
    except DataError as exc:
        st.error(reason_text(str(exc)))
    else:
        # start again from the saved model: the effect table above was computed before the save
        for key in ("drivers", "hourly"):
            st.session_state.pop(key, None)
        st.session_state["value_model_saved"] = version
        st.rerun()
if saved := st.session_state.pop("value_model_saved", None):
    st.success(t("saved", version=saved))
st.subheader(t("versions"))
history = value_model.versions(con)
if history.empty:
    st.caption(t("no_versions"))
else:
    table(history, hide_index=True)
    version = st.selectbox(t("revert_to"), list(history["version"]))
    if st.button(t("revert")):
        st.session_state["value_model_saved"] = value_model.revert(con, int(version), user=current_user())
        for key in ("drivers", "hourly"):
            st.session_state.pop(key, None)
        st.rerun()

st.subheader(t("weights_title"))
st.caption(t("weights_help"))
current = health.weights_of(con)
with st.form("health_weights"):
    columns = st.columns(len(health.WEIGHTS))
    chosen = {name: col.number_input(t(f"health_{name}"), min_value=0.0, max_value=1.0, step=0.05,
                                     value=float(current[name]), key=f"weight_{name}")
              for col, name in zip(columns, health.WEIGHTS)}
    weights_note = st.text_input(t("note"), key="weights_note")
    save_col, test_col = st.columns(2)
    if test_col.form_submit_button(t("backtest_run")):  # before saving: how these weights would have done
        st.session_state["backtest_weights"] = chosen
    if save_col.form_submit_button(t("weights_save")):
        try:
            with writing() as writable:
                st.session_state["weights_saved"] = health.save_weights(writable, chosen, user=current_user(),
                                                                         note=weights_note)
        except DataError as exc:
            st.error(reason_text(str(exc)))
        else:
            st.rerun()
if saved := st.session_state.pop("weights_saved", None):
    st.success(t("weights_saved", version=saved))
if tested := st.session_state.get("backtest_weights"):
    with long_work():  # every renewal scored: the other sessions' runs go on meanwhile
        result = backtest_of(tuple(tested.items()), cache_key())
    if not result.samples:
        st.caption(t("backtest_none"))
    else:
        st.markdown(t("backtest_result", n=fmt(len(result.samples), "count"), bad=fmt(result.bad, "count"),
                      auc=fmt(result.auc, "number"), lift=fmt(result.lowest_decile_lift, "number"),
                      low=fmt(result.lowest_decile, "count")))  # our words and figures, no customer text
        st.markdown(t("backtest_interval", low=fmt(result.auc_low, "number"), high=fmt(result.auc_high, "number"),
                      samples=fmt(backtest.BOOTSTRAP_SAMPLES, "count")))
        if not result.judged:
            st.warning(t("backtest_too_few", good=fmt(result.good, "count"), bad=fmt(result.bad, "count"),
                         min=backtest.MIN_EACH))
        table([{"component": t(f"health_{name}"), "auc": fmt(value, "number"),
                "beaten": t("yes") if result.auc is not None and value is not None and result.auc > value
                else t("no")} for name, value in result.component_auc.items()], hide_index=True)
        st.caption(t("backtest_help"), help=formula_text("health_backtest", METRICS["health_backtest"].formula))
weight_history = health.weight_versions(con)
if weight_history.empty:
    st.caption(t("weights_defaults"))
else:
    table(weight_history, hide_index=True)
