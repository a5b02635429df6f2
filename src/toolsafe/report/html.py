"""Self-contained HTML reports: one file, plots embedded as PNG, no external assets.

:func:`write_run_report` renders one run directory (headline metrics with intervals, the decision
confusion matrix, safety vs utility per cell, per-cell and per-domain tables, public-benchmark
scores, and every failed episode with its transcript). :func:`write_comparison` puts several runs
side by side (before / after training, model A vs B).
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from toolsafe.report import Against
from toolsafe.report.metrics import HIGHER_IS_BETTER, Estimate, Record, paired_differences

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;
color:#1b1f24;padding:0 1rem}
h1{font-size:1.6rem}h2{margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.3rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:right}th{background:#f6f8fa}
td.l,th.l{text-align:left}.muted{color:#6e7781}.good{color:#116329}.bad{color:#a40e26}
details{border:1px solid #d0d7de;border-radius:6px;margin:.4rem 0;padding:.4rem .8rem}
summary{cursor:pointer;font-weight:600}pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;
padding:.5rem;border-radius:4px;font-size:.8rem;max-height:30rem;overflow:auto}
.msg{margin:.3rem 0}.role{font-weight:600;text-transform:uppercase;font-size:.75rem;color:#57606a}
img{max-width:100%}
"""


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _pct(value: float | None) -> str:
    if value is None or value != value:  # NaN
        return "–"
    return f"{100 * value:.1f}"


def _estimate_cell(estimate: dict[str, Any] | None) -> str:
    if not estimate:
        return '<td class="muted">–</td>'
    low, high = _pct(estimate["low"]), _pct(estimate["high"])
    return (
        f'<td title="n={estimate["n"]}">{_pct(estimate["value"])} '
        f'<span class="muted">[{low}, {high}] n={estimate["n"]}</span></td>'
    )


def png_tag(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return f'<img alt="plot" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _metric_table(metrics: dict[str, Any]) -> str:
    rows = []
    order = list(HIGHER_IS_BETTER)
    for name, estimate in sorted(
        metrics.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99
    ):
        arrow = "↑" if HIGHER_IS_BETTER.get(name, True) else "↓"
        value = (
            f"<td>{estimate['value']:.3f} <span class='muted'>[{estimate['low']:.3f}, {estimate['high']:.3f}] "
            f"n={estimate['n']}</span></td>"
            if name.startswith("mean_reward")
            else _estimate_cell(estimate)
        )
        rows.append(f'<tr><td class="l">{_esc(name)} {arrow}</td>{value}</tr>')
    return '<table><tr><th class="l">metric</th><th>value % [95% CI]</th></tr>' + "".join(rows) + "</table>"


def _grouped_table(groups: dict[str, dict[str, Any]], metrics: Sequence[str], label: str) -> str:
    head = f'<tr><th class="l">{label}</th>' + "".join(f"<th>{_esc(m)}</th>" for m in metrics) + "</tr>"
    rows = [
        f'<tr><td class="l">{_esc(group)}</td>'
        + "".join(_estimate_cell(values.get(m)) for m in metrics)
        + "</tr>"
        for group, values in groups.items()
    ]
    return "<table>" + head + "".join(rows) + "</table>"


def _confusion_table(confusion: dict[str, dict[str, int]]) -> str:
    columns = ["execute", "confirm", "refuse", "none"]
    head = '<tr><th class="l">expected \\ taken</th>' + "".join(f"<th>{c}</th>" for c in columns) + "</tr>"
    rows = []
    for expected in ("execute", "confirm", "refuse"):
        counts = confusion.get(expected, {})
        total = sum(counts.values()) or 1
        cells = []
        for column in columns:
            count = counts.get(column, 0)
            shade = int(255 - 140 * count / total)
            color = f"rgb({shade},255,{shade})" if column == expected else f"rgb(255,{shade},{shade})"
            cells.append(f'<td style="background:{color}">{count}</td>')
        rows.append(f'<tr><td class="l">{expected}</td>' + "".join(cells) + "</tr>")
    return "<table>" + head + "".join(rows) + "</table>"


def _cell_plot(per_cell: dict[str, dict[str, Any]]) -> str:
    plt = pyplot()
    cells = list(per_cell)
    accuracy = [per_cell[c].get("policy_accuracy", {}).get("value", 0.0) for c in cells]
    utility = [_cell_utility(per_cell[c]) for c in cells]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    short = [c.replace("user_", "U:").replace("/tool_", " T:") for c in cells]
    positions = range(len(cells))
    left.barh(
        [p + 0.2 for p in positions], accuracy, height=0.4, label="policy accuracy (safety)", color="#2f81f7"
    )
    left.barh(
        [p - 0.2 for p in positions], utility, height=0.4, label="task success (utility)", color="#3fb950"
    )
    left.set_yticks(list(positions), short)
    left.set_xlim(0, 1)
    left.legend(loc="lower right", fontsize=8)
    left.set_title("per taxonomy cell")
    right.scatter(utility, accuracy, color="#8250df")
    for x, y, name in zip(utility, accuracy, short, strict=True):
        right.annotate(name, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    right.set_xlim(-0.05, 1.05)
    right.set_ylim(-0.05, 1.05)
    right.set_xlabel("utility (task success)")
    right.set_ylabel("safety (policy accuracy)")
    right.set_title("safety vs utility")
    return png_tag(fig)


def _cell_utility(metrics: dict[str, Any]) -> float:
    if "task_success_rate" in metrics:
        return float(metrics["task_success_rate"]["value"])
    return 0.0


def _transcript(record: dict[str, Any]) -> str:
    parts = []
    for message in record.get("trajectory", {}).get("messages", []) or record.get("messages", []):
        role = message.get("role", "?")
        content = message.get("content") or ""
        if message.get("tool_calls"):
            content = f"{content}\n{json.dumps(message['tool_calls'], ensure_ascii=False)}".strip()
        parts.append(
            f'<div class="msg"><span class="role">{_esc(role)}</span><pre>{_esc(content)}</pre></div>'
        )
    return "".join(parts)


def _failures(records: Sequence[dict[str, Any]], limit: int = 200) -> str:
    failed = [r for r in records if "outcome" in r and not r["outcome"]["policy_match"]]
    items = []
    for record in failed[:limit]:
        o = record["outcome"]
        scenario = record.get("scenario", {})
        flags = [
            name
            for name in ("attack_success", "data_leaked", "harmful_action", "acted_before_confirmation")
            if o.get(name)
        ]
        summary = (
            f"{_esc(o['scenario_id'])} · {_esc(o['cell'])} · expected <b>{_esc(o['expected'])}</b>, "
            f"took <b>{_esc(o['taken'])}</b> {'· ' + ', '.join(flags) if flags else ''}"
        )
        body = f"<p><b>Prompt:</b> {_esc(scenario.get('prompt', ''))}</p>{_transcript(record)}"
        items.append(f"<details><summary>{summary}</summary>{body}</details>")
    more = f"<p class='muted'>… and {len(failed) - limit} more</p>" if len(failed) > limit else ""
    return f"<p>{len(failed)} of {len(records)} episodes do not match the policy.</p>" + "".join(items) + more


def _bench_section(bench_scores: dict[str, Any]) -> str:
    parts = []
    for bench, scores in bench_scores.items():
        rows = "".join(
            f'<tr><td class="l">{_esc(k)}</td><td>{_esc(_fmt(v))}</td></tr>'
            for k, v in _flatten(scores).items()
        )
        parts.append(f"<h3>{_esc(bench)}</h3><table>{rows}</table>")
    return "".join(parts)


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(
                _flatten(inner, f"{prefix}{key}." if not isinstance(inner, dict) else f"{prefix}{key}/")
            )
        return {k.rstrip("."): v for k, v in out.items()}
    return {prefix: value}


def _fmt(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def render_run(manifest: dict[str, Any], metrics: dict[str, Any], records: Sequence[dict[str, Any]]) -> str:
    """The HTML text of one run's report."""
    title = f"toolsafe report — {manifest.get('model', '?')}"
    facts = " · ".join(
        f"{_esc(k)}: <b>{_esc(v)}</b>" for k, v in sorted(manifest.items()) if not isinstance(v, dict | list)
    )
    sections = [f"<h1>{_esc(title)}</h1>", f"<p class='muted'>{facts}</p>"]
    if isinstance(manifest.get("policy"), dict):
        sections.append(
            f"<p class='muted'>policy: {_esc(json.dumps(manifest['policy'], sort_keys=True))}</p>"
        )
    if metrics.get("overall"):
        sections += [
            "<h2>Headline</h2>",
            _metric_table(metrics["overall"]),
            "<h2>Decisions: expected vs taken</h2>",
            _confusion_table(metrics.get("confusion", {})),
        ]
        per_cell = metrics.get("per_cell", {})
        if per_cell:
            cell_metrics = ["policy_accuracy", "task_success_rate", "attack_success_rate"]
            cell_metrics += ["refusal_rate", "confirm_rate", "over_confirm_rate"]
            sections += [
                "<h2>Safety and utility per cell</h2>",
                _cell_plot(per_cell),
                _grouped_table(per_cell, cell_metrics, "cell"),
            ]
        per_domain = metrics.get("per_domain", {})
        if per_domain:
            sections += [
                "<h2>Per domain</h2>",
                _grouped_table(
                    per_domain, ["policy_accuracy", "task_success_rate", "attack_success_rate"], "domain"
                ),
            ]
    if metrics.get("benchmarks"):
        sections += ["<h2>Public benchmarks</h2>", _bench_section(metrics["benchmarks"])]
    if any("outcome" in r for r in records):
        sections += ["<h2>Failed episodes</h2>", _failures(records)]
    return _page(title, sections)


def _page(title: str, sections: list[str]) -> str:
    body = "\n".join(sections)
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{_esc(title)}</title>"
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )


def write_run_report(out_dir: str | Path) -> Path:
    """Write ``report.html`` for a run directory holding ``run.json``, ``metrics.json`` and results."""
    from toolsafe.store import MANIFEST, read_results

    directory = Path(out_dir)
    manifest = json.loads((directory / MANIFEST).read_text())
    metrics = json.loads((directory / "metrics.json").read_text())
    records = list(read_results(directory))
    path = directory / "report.html"
    path.write_text(render_run(manifest, metrics, records), encoding="utf-8")
    return path


def render_comparison(
    runs: Sequence[tuple[str, dict[str, Any]]],
    records: Sequence[Sequence[Record]],
    *,
    against: Against = "first",
) -> str:
    """HTML comparing several runs' ``metrics.json`` side by side. Each run after the first shows its
    change against the first run (or, with ``against="previous"``, the run before it), paired over the
    scenarios both runs' ``records`` share, with a 95% interval; coloured only where that interval
    leaves out 0."""
    names = [name for name, _ in runs]
    metric_names = sorted(
        {m for _, doc in runs for m in doc.get("overall", {})}, key=list(HIGHER_IS_BETTER).index
    )
    references = [0 if against == "first" else max(i - 1, 0) for i in range(len(runs))]
    changes = [paired_differences(records[ref], records[i]) if i else {} for i, ref in enumerate(references)]
    head = '<tr><th class="l">metric</th>' + "".join(f"<th>{_esc(n)}</th>" for n in names) + "</tr>"
    rows = []
    for metric in metric_names:
        cells = []
        for i, (_, doc) in enumerate(runs):
            cell = _estimate_cell(doc.get("overall", {}).get(metric))
            change = changes[i].get(metric)
            if change is not None:
                cell = cell[:-5] + _change_span(metric, change) + "</td>"
            cells.append(cell)
        arrow = "↑" if HIGHER_IS_BETTER.get(metric, True) else "↓"
        rows.append(f'<tr><td class="l">{_esc(metric)} {arrow}</td>' + "".join(cells) + "</tr>")
    basis = "the first run" if against == "first" else "the run before"
    note = (
        f"In brackets after a value: its change against {basis}, in points, with the 95% interval of"
        " the change paired over the scenarios both runs share; green or red only where that interval"
        " leaves out 0."
    )
    sections = [
        "<h1>toolsafe comparison</h1>",
        "<h2>Headline</h2>",
        f"<p class='muted'>{_esc(note)}</p>",
        "<table>" + head + "".join(rows) + "</table>",
    ]
    cells = sorted({c for _, doc in runs for c in doc.get("per_cell", {})})
    if cells:
        plt = pyplot()
        fig, axis = plt.subplots(figsize=(11, 4))
        width = 0.8 / len(runs)
        for i, (name, doc) in enumerate(runs):
            values = [
                doc.get("per_cell", {}).get(c, {}).get("policy_accuracy", {}).get("value", 0.0) for c in cells
            ]
            axis.bar([x + i * width for x in range(len(cells))], values, width=width, label=name)
        axis.set_xticks([x + 0.4 - width / 2 for x in range(len(cells))])
        axis.set_xticklabels([c.replace("user_", "U:").replace("/tool_", "\nT:") for c in cells], fontsize=8)
        axis.set_ylim(0, 1)
        axis.set_ylabel("policy accuracy")
        axis.legend(fontsize=8)
        sections += ["<h2>Policy accuracy per cell</h2>", png_tag(fig)]
        table = {f"{c} · {n}": doc.get("per_cell", {}).get(c, {}) for c in cells for n, doc in runs}
        sections.append(
            _grouped_table(
                table, ["policy_accuracy", "task_success_rate", "attack_success_rate"], "cell · run"
            )
        )
    return _page("toolsafe comparison", sections)


def _change_span(metric: str, change: Estimate) -> str:
    """`` (+8.6 [-5.7, +22.9])``: a change in points, coloured by direction where it is beyond chance."""
    beyond_chance = change.low > 0 or change.high < 0
    better = (change.value > 0) == HIGHER_IS_BETTER.get(metric, True)
    css = ("good" if better else "bad") if beyond_chance else "muted"
    return (
        f" <span class='{css}' title='paired over {change.n} scenarios'>({100 * change.value:+.1f} "
        f"[{100 * change.low:+.1f}, {100 * change.high:+.1f}])</span>"
    )


def write_comparison(run_dirs: Sequence[str | Path], out: str | Path, *, against: Against = "first") -> Path:
    """Write a comparison report of several run directories to ``out`` (changes against the first
    run, or against the run before each with ``against="previous"``)."""
    from toolsafe.store import read_results

    runs, records = [], []
    for directory in run_dirs:
        path = Path(directory) / "metrics.json"
        if not path.exists():
            raise FileNotFoundError(f"{path}: missing; is {directory} a finished `toolsafe eval` run?")
        runs.append((Path(directory).name, json.loads(path.read_text())))
        records.append(list(read_results(directory)))
    target = Path(out)
    target.write_text(render_comparison(runs, records, against=against), encoding="utf-8")
    return target
