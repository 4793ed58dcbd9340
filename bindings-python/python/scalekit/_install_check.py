"""Refuses a mixed install: our distribution (``agentkit-gateway-sdk``) and the official
``scalekit-sdk-python`` both own the ``scalekit`` import package, so pip writes one's files over
the other's and whichever was installed last wins file by file. Checked once at import, with one
directory listing (no metadata scan): the official package's ``.dist-info`` beside ours.
"""

import os

OURS = "agentkit-gateway-sdk"
OFFICIAL = "scalekit-sdk-python"


def official_dist_info(site_dir: str) -> "str | None":
    """The official package's ``.dist-info`` folder in ``site_dir``, if it is installed there."""
    prefix = OFFICIAL.replace("-", "_") + "-"
    try:
        names = os.listdir(site_dir)
    except OSError:
        return None
    return next((n for n in names if n.startswith(prefix) and n.endswith(".dist-info")), None)


def refuse_mixed_install() -> None:
    site_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    found = official_dist_info(site_dir)
    if found is not None:
        raise ImportError(
            f"both {OURS} (AgentKit) and the official {OFFICIAL} ({found}) are installed in {site_dir}; "
            f"they share the `scalekit` import package, so its files are now a mix of the two. Keep one: "
            f"`pip uninstall -y {OFFICIAL} {OURS} && pip install {OURS}` (or the official package alone)."
        )
