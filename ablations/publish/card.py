"""The dataset card of a release: README.md with the Hub's YAML metadata, provenance, the recipe and its evidence.

The resolved recipe is embedded between markers so that ``reproduce`` can run it again from the card alone.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from ablations.publish.layout import COLUMNS, DATA_DIR, EVIDENCE_FILE, MANIFEST, SUMS
from ablations.recipe.loader import dump_recipe
from ablations.recipe.schema import RecipeConfig
from ablations.record.run import Decision

RECIPE_MARK = "<!-- finebooks:recipe -->"
_RECIPE_BLOCK = re.compile(re.escape(RECIPE_MARK) + r"\n```yaml\n(.*?)\n```", re.S)


def size_category(n: int) -> str:
    """The Hub's size_categories tag for ``n`` rows."""
    bounds = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")]
    bounds += [(10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B")]
    return next((tag for bound, tag in bounds if n < bound), "n>1B")


def card_recipe(card: str) -> str:
    """The recipe YAML embedded in a card; ValueError when the card has none."""
    m = _RECIPE_BLOCK.search(card)
    if not m:
        raise ValueError(f"the card has no recipe block (a ```yaml block after {RECIPE_MARK})")
    return m.group(1) + "\n"


def _provenance(cfg: RecipeConfig, manifest: dict) -> list[str]:
    lines = ["| source | format | location | files | bytes read |", "|---|---|---|---|---|"]
    for s in cfg.data.sources:
        where = getattr(s, "repo", None) or getattr(s, "path", "")
        fp = manifest["inputs"].get(s.name, {})
        lines.append(f"| {s.name} | {s.format} | `{where}` | {fp.get('files', '-')} | {fp.get('bytes', '-')} |")
    return lines


def _processing(summary: dict) -> list[str]:
    d_in, kept = summary.get("in", {}), summary.get("kept", {})
    lines = [
        f"Read {d_in.get('documents', 0)} books ({d_in.get('pages', 0)} pages, {d_in.get('bytes', 0)} bytes); kept "
        f"{kept.get('documents', 0)} ({kept.get('pages', 0)} pages, {kept.get('bytes', 0)} bytes).",
        "",
    ]
    for block, reasons in summary.get("dropped", {}).items():
        lines.append(f"- dropped by `{block}`: " + ", ".join(f"{r} {n}" for r, n in sorted(reasons.items())))
    for source, reasons in summary.get("skipped", {}).items():
        lines.append(
            f"- skipped in `{source}` (unreadable): " + ", ".join(f"{r} {n}" for r, n in sorted(reasons.items()))
        )
    return lines


def _evidence(decisions: list[Decision] | None) -> list[str]:
    if decisions is None:
        return ["No experiment was named for this release (`--evidence RUN_DIR`): the recipe was not chosen by "
                "an ablation recorded here.", ""]  # fmt: skip
    lines = [
        f"The blocks were chosen by an ablation; the full evidence (every design choice, per-task scores, tokens "
        f"and text each block removed) is in [{EVIDENCE_FILE}]({EVIDENCE_FILE}).",
        "",
        "| candidate | verdict | difference (baseline item sd) | interval | seeds | min. detectable effect |",
        "|---|---|---|---|---|---|",
    ]
    for d in decisions:
        if not d.trained:  # decided without training (ablations/decide/guard.py)
            lines.append(f"| `{d.candidate}` | **{d.verdict}** ({d.reason}) | - | - | 0 | - |")
            continue
        lines.append(
            f"| `{d.candidate}` | **{d.verdict}** | {d.delta:+.4f} | [{d.low:+.4f}, {d.high:+.4f}] "
            f"| {d.seeds} | {d.mde:.4f} |"
        )
    return lines + [""]


def _front_matter(cfg: RecipeConfig, manifest: dict[str, Any], license: str, languages: list[str] | None) -> str:
    """The Hub's YAML metadata block of the card."""
    langs = sorted(manifest["stats"]["languages"]) or sorted(languages or [])
    sources = [f"extended|{s.repo}" for s in cfg.data.sources if s.format == "hub"]
    if any(s.format != "hub" for s in cfg.data.sources):
        sources.insert(0, "original")
    front: dict[str, Any] = {"license": license}
    if langs:
        front["language"] = langs
    front |= {
        "size_categories": [size_category(manifest["rows"])],
        "source_datasets": sources,
        "task_categories": ["text-generation"],
        "pretty_name": cfg.experiment.name,
        "tags": ["finebooks", "books", "ocr"],
        "configs": [
            {"config_name": "default", "data_files": [{"split": "train", "path": f"{DATA_DIR}/train-*.parquet"}]}
        ],
    }
    return "---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True).rstrip() + "\n---"


def _contents(cfg: RecipeConfig, manifest: dict[str, Any]) -> list[str]:
    """What the release holds: size, how to load it, its columns and how the text is laid out."""
    stats = manifest["stats"]
    blocks = [f"`{b.id}` ({b.block})" for b in cfg.blocks()] + [f"`{d.id}` (dedup {d.kind})" for d in cfg.dedup]
    return [
        f"# {cfg.experiment.name}",
        "",
        f"{manifest['rows']} books ({stats['text_bytes']} bytes of Markdown text) in {len(manifest['files'])} "
        f"Parquet file(s), processed from OCR'd library books by the FineBooks recipe below: "
        f"{', '.join(blocks) or 'no clean-up, filter or dedup blocks'}.",
        "",
        "## Loading",
        "",
        "```python",
        "from datasets import load_dataset",
        f'ds = load_dataset("parquet", data_files="{DATA_DIR}/*.parquet", split="train")  # from this folder',
        "```",
        "",
        "## Columns",
        "",
        "| column | type | non-null rows | description |",
        "|---|---|---|---|",
        *[f"| `{c}` | {t} | {stats['non_null'][c]} | {desc} |" for c, (t, desc) in COLUMNS.items()],
        "",
        "## Text",
        "",
        "Each book is one row, written as Markdown. Where the source gives layout roles (ALTO tags, PAGE region "
        "types) they decide: furniture (running titles, page numbers, signatures, catchwords, stamps) is left out, "
        "headings get `#` levels from the role and the font size, footnotes become Markdown footnotes `[^n]` at the "
        "end of their paragraph or page, marginalia follow the recipe's `output.markdown.marginalia`, drop "
        "capitals join their word "
        f"({markdown_books(stats)}). Elsewhere page separators are removed; paragraphs (runs of non-blank lines) "
        "are separated by a blank line, their lines joined with a space (a hyphen at a line end is kept and the next "
        "line appended); a paragraph runs over a page break unless the page ends a sentence. Without roles, short "
        "lines in ALL CAPS at the start of a paragraph and one-line paragraphs in Title Case become `## ` headings "
        f"({stats['headings']} headings in all); raw OCR running heads can look like headings when the recipe has no "
        "`page_furniture` block. Details: `pipelines/markdown/`.",
    ]


def markdown_books(stats: dict[str, Any]) -> str:
    """ "N books from layout roles, M by the heuristic" of the release's counts (``stats["markdown"]``)."""
    notes = stats.get("markdown") or {}
    roles = notes.get("layout_roles", 0)
    return f"{roles} books from layout roles, {sum(notes.values()) - roles} by the heuristic"


def render_card(
    cfg: RecipeConfig,
    manifest: dict[str, Any],
    license: str = "other",
    languages: list[str] | None = None,
    decisions: list[Decision] | None = None,
) -> str:
    """The card (README.md) of a release; ``decisions`` from the run record of the experiment that chose the
    recipe, if any."""
    lines = [
        _front_matter(cfg, manifest, license, languages),
        "",
        *_contents(cfg, manifest),
        "",
        "## Provenance",
        "",
        *_provenance(cfg, manifest),
        "",
        *_processing(manifest["processing"]),
        "",
        "## Recipe and its evidence",
        "",
        *_evidence(decisions),
        "The recipe, resolved (every default pinned); `python run_ablation.py reproduce DIR` runs it again and "
        "checks the Parquet files bit for bit:",
        "",
        RECIPE_MARK,
        "```yaml",
        dump_recipe(cfg).rstrip(),
        "```",
        "",
        "## Reproducing",
        "",
        f"`{MANIFEST}` lists every Parquet file with its SHA-256, byte size and rows, the layout that decides the "
        f"bytes (`{manifest['layout']}`), fingerprints of the input files and the versions that wrote it; "
        f"`{SUMS}` has the same hashes for `sha256sum -c {SUMS}`. Rows are sorted by `id`.",
        "",
        "```bash",
        "python run_ablation.py reproduce path/to/this/folder   # exit 0: identical; 1: names the files that differ",
        "```",
        "",
        "Written with " + ", ".join(f"{k} {v}" for k, v in manifest["versions"].items() if v) + ".",
        "",
        "## Licence",
        "",
        f"`{license}`. The texts are digitised books; their own rights follow the collections they come from "
        "(see Provenance).",
    ]
    return "\n".join(lines) + "\n"
