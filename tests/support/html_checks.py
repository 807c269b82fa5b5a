"""What a browser would build from an HTML string: its tags and text, and the check that a payload stayed inert."""

from __future__ import annotations

from html.parser import HTMLParser


class _Tags(HTMLParser):
    """Collects every tag and attribute the browser would build from an HTML string."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> _Tags:
    p = _Tags()
    p.feed(html)
    p.close()
    return p


def assert_inert(html: str) -> None:
    """No script/img/svg/iframe tag, no on* handler, no javascript: URL survived; the payload is still visible text."""
    p = parse(html)
    for tag, attrs in p.tags:
        assert tag not in {"script", "img", "svg", "iframe", "object", "embed"}, (tag, attrs)
        for k, v in attrs.items():
            assert not k.startswith("on"), (tag, k, v)
            assert not (v or "").strip().lower().startswith("javascript:"), (tag, k, v)
    assert "<script>alert(1)</script>" in "".join(p.text)
