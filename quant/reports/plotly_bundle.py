"""plotly.js for reports: a report file loads ``plotly.min.js`` from its own directory (one copy per directory,
hard-linked where it can be), so each report stays small and still opens offline; a download that must stand
alone gets the library inlined (``self_contained``)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

PLOTLY_FILE = "plotly.min.js"
SCRIPT_TAG = f'<script src="{PLOTLY_FILE}" charset="utf-8"></script>'


def plotly_source() -> Path:
    """The plotly.js bundle of the installed plotly package (the same build the charts were made for)."""
    import plotly

    return Path(plotly.__file__).with_name("package_data") / PLOTLY_FILE


def _copy_atomically(source: Path, target: Path) -> None:
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.copyfile(source, temp)
    os.replace(temp, target)


def place_plotly(directory: Path, cache_dir: Path | None = None) -> Path:
    """Make ``directory/plotly.min.js`` exist (a hard link to one copy in ``cache_dir`` when given and on the
    same disk, else a copy of the package's bundle); returns its path."""
    target = Path(directory) / PLOTLY_FILE
    if target.is_file():
        return target
    source = plotly_source()
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        shared = cache_dir / PLOTLY_FILE
        if not shared.is_file():
            _copy_atomically(source, shared)
        try:
            os.link(shared, target)
            return target
        except FileExistsError:
            return target
        except OSError:  # another disk, or links not allowed: a copy serves as well
            pass
    _copy_atomically(source, target)
    return target


def self_contained(html: str) -> str:
    """The report with plotly.js inlined in place of its ``plotly.min.js`` script tag (several MB)."""
    if SCRIPT_TAG not in html:
        return html
    library = plotly_source().read_text(encoding="utf-8").replace("</script", "<\\/script")
    return html.replace(SCRIPT_TAG, f'<script type="text/javascript">{library}</script>', 1)
