"""What users name (nicknames, class names, run names) put into Markdown as the characters they typed:
every Markdown, HTML, LaTeX and Streamlit directive character escaped, line breaks as spaces."""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&\"'])")


def md(text) -> str:
    """`text` for st.markdown and friends, shown literally: "**x**" stays "**x**", "<b>" stays "<b>"."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
