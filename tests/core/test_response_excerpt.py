"""molva.escaping.response_excerpt: an HTTP answer's body as one short line for an error message."""

from __future__ import annotations

from molva.escaping import response_excerpt

NGINX = """<html>
<head><title>502 Bad Gateway</title><style>body { color: red }</style></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx/1.25.3</center>
<script>var x = "<b>hidden</b>";</script>
</body>
</html>
"""


def test_html_page_becomes_one_line_of_its_text() -> None:
    assert response_excerpt(NGINX) == "502 Bad Gateway nginx/1.25.3"


def test_long_text_is_cut_with_an_ellipsis() -> None:
    text = "Ошибка " * 40
    out = response_excerpt(text)
    assert len(out) <= 120 and out.endswith("…") and "\n" not in out
    assert len(response_excerpt(text, limit=30)) <= 30


def test_entities_bytes_invisible_and_empty() -> None:
    assert response_excerpt("<p>Tom &amp; Jerry&nbsp;&#171;ok&#187;</p>") == "Tom & Jerry «ok»"
    assert response_excerpt("плохой\u202e\tзапрос\r\n".encode()) == "плохой запрос"
    assert response_excerpt("") == "" and response_excerpt(None) == ""
    assert response_excerpt("<!-- comment --><div>\n\n</div>") == ""
