"""Code and project links in real-looking abstract and comment snippets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperwire.ingest.code_links import _URL, _link_for, extract_code_links, extract_links
from paperwire.ingest.links import finish_paper
from paperwire.models import Link, Paper


def urls(text: str) -> list[tuple[str, str]]:
    return [(link.kind, link.url) for link in extract_links(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Code is available at https://github.com/foo/bar.", "https://github.com/foo/bar"),
        ("(code: github.com/Foo/Bar.git)", "https://github.com/foo/bar"),
        ("Our code: http://www.github.com/foo/bar/", "https://github.com/foo/bar"),
        ("see https://github.com/foo/bar/tree/main/src/models.", "https://github.com/foo/bar"),
        ("see https://github.com/foo/bar/blob/master/README.md#usage", "https://github.com/foo/bar"),
        ("https://github.com/foo/bar?tab=readme-ov-file", "https://github.com/foo/bar"),
        ("\\url{https://github.com/facebookresearch/detectron2}", "https://github.com/facebookresearch/detectron2"),
        ("[code](https://github.com/a-b/c_d.e)", "https://github.com/a-b/c_d.e"),
        ('"https://github.com/foo/bar",', "https://github.com/foo/bar"),
        ("https://raw.githubusercontent.com/foo/bar/main/data.csv", "https://github.com/foo/bar"),
        ("https://gist.github.com/someone/0123abcd", "https://gist.github.com/someone/0123abcd"),
        ("Code: https://gitlab.com/group/sub/proj/-/tree/main/src", "https://gitlab.com/group/sub/proj"),
        ("gitlab.com/Foo/Bar.git;", "https://gitlab.com/foo/bar"),
        ("https://gitlab.com/foo/bar/blob/master/x.py", "https://gitlab.com/foo/bar"),
        ("https://bitbucket.org/Team/Repo/src/master/", "https://bitbucket.org/team/repo"),
        ("Demo: https://huggingface.co/spaces/x/y", "https://huggingface.co/spaces/x/y"),
        ("weights at https://huggingface.co/Org/Model-7B/tree/main.", "https://huggingface.co/Org/Model-7B"),
        ("https://huggingface.co/datasets/allenai/c4/blob/main/README.md", "https://huggingface.co/datasets/allenai/c4"),
        ("https://huggingface.co/datasets/squad", "https://huggingface.co/datasets/squad"),
        ("https://huggingface.co/models/bert-base-uncased", "https://huggingface.co/bert-base-uncased"),
        ("https://hf.co/meta-llama/Llama-2-7b", "https://huggingface.co/meta-llama/Llama-2-7b"),
    ],
)
def test_repository_links_are_normalised(text: str, expected: str) -> None:
    assert urls(text) == [("code", expected)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Project page: https://foo.github.io/bar/", "https://foo.github.io/bar"),
        ("Videos at https://NVlabs.github.io/Instant-NGP/index.html.", "https://nvlabs.github.io/Instant-NGP"),
        ("see foo.gitlab.io/proj.", "https://foo.gitlab.io/proj"),
        ("Project page: https://www.example.org/our-work.", "https://example.org/our-work"),
        ("More results on our project website https://vision.example.edu/~me/nerf?x=1", "https://vision.example.edu/~me/nerf"),
        ("Website: http://EXAMPLE.com/Paper/#demo", "https://example.com/Paper"),
        ("Our homepage (https://lab.example.net).", "https://lab.example.net"),
    ],
)
def test_project_pages(text: str, expected: str) -> None:
    assert urls(text) == [("project", expected)]


@pytest.mark.parametrize(
    "text",
    [
        "We propose a new method for image segmentation. Results improve by 3.5%.",
        "The dataset is at https://example.org/data.zip and more.",  # no project cue
        "javascript:alert(1) and javascript:github.com/foo/bar",
        "ftp://github.com/foo/bar and file://github.com/a/b",
        "mail me at someone@github.com or visit github.com/features/actions",
        "see https://github.com/foo (an organisation, not a repository)",
        "Our project page is https://arxiv.org/abs/2101.00001",
        "https://huggingface.co/docs/transformers and https://huggingface.co/spaces",
        "https://github.com.evil.example/foo/bar",
        "e.g. i.e. Fig.3 vs. Sec.2.1",
        "",
    ],
)
def test_no_links(text: str) -> None:
    assert extract_links(text) == []


def test_never_a_non_http_scheme() -> None:
    text = "javascript:alert('x') JAVASCRIPT://github.com/a/b data:text/html,github.com mailto:x@y.io"
    assert all(link.url.startswith("https://") for link in extract_links(text))
    assert all("javascript" not in link.url.lower() for link in extract_links(text))


def test_deduplicated_in_order_of_appearance() -> None:
    text = (
        "Code: https://github.com/Foo/Bar. Mirror: github.com/foo/bar.git and "
        "http://www.github.com/FOO/BAR/tree/dev; models: https://huggingface.co/foo/bar-base; "
        "project page https://foo.github.io/bar/ (also https://foo.github.io/bar/index.html)."
    )
    assert urls(text) == [
        ("code", "https://github.com/foo/bar"),
        ("code", "https://huggingface.co/foo/bar-base"),
        ("project", "https://foo.github.io/bar"),
    ]


def test_several_hosts_in_one_abstract() -> None:
    text = (
        "  We introduce X, a benchmark for long-context reasoning. The data is released at\n"
        "https://huggingface.co/datasets/org/x-bench and the evaluation code at\n"
        "https://github.com/org/x-bench (MIT). A mirror lives on https://gitlab.com/org/x-bench.\n"
    )
    assert urls(text) == [
        ("code", "https://huggingface.co/datasets/org/x-bench"),
        ("code", "https://github.com/org/x-bench"),
        ("code", "https://gitlab.com/org/x-bench"),
    ]


def test_balanced_brackets_in_a_url_are_kept() -> None:
    assert urls("Project page: https://foo.github.io/x_(y)).") == [("project", "https://foo.github.io/x_(y)")]


def test_code_links_only_returns_repositories() -> None:
    text = "Project page: https://a.github.io/p, code https://github.com/a/p"
    assert extract_code_links(text) == [Link("code", "https://github.com/a/p")]


def test_finish_paper_adds_code_and_project_links_from_abstract_and_comments() -> None:
    paper = Paper(
        id="2101.00001",
        version=2,
        title="T",
        abstract="Code at https://github.com/a/b.",
        comments="10 pages. Project page: https://a.github.io/b/. Code: github.com/A/B",
    )
    finish_paper(paper, where="test")
    assert [(link.kind, link.url) for link in paper.links] == [
        ("abs", "https://arxiv.org/abs/2101.00001v2"),
        ("pdf", "https://arxiv.org/pdf/2101.00001v2"),
        ("code", "https://github.com/a/b"),
        ("project", "https://a.github.io/b"),
    ]
    assert paper.has_code


# Pieces authors put around links: prose, punctuation, brackets, LaTeX, other schemes,
# hosts we accept bare and hosts we only accept with a scheme or a cue.
_PIECES = [
    "We", "propose", "code", "and/or", "w/o", "1/2", "e.g.", "i.e.", "0.5", "Fig.", "et al.",
    "project page", "website:", "Code:", "(", ")", "[", "]", ".", ",", ";", "\n", "\t", "\u00a0",
    "\\url{", "}", "https://", "http://", "HTTP://", "ftp://", "javascript:", "mailto:a@b.org",
    "github.com/", "GitHub.com/", "www.github.com/", "gist.github.com/", "gitlab.com/",
    "bitbucket.org/", "huggingface.co/", "hf.co/", "datasets/", "spaces/",
    "raw.githubusercontent.com/", "lab.github.io", "grp.gitlab.io/", "example.org", "arxiv.org/",
    "Foo/Bar", "foo/bar.git", "/tree/main/src", "?x=1", "#readme", "index.html", "-", "_",
]


@given(st.lists(st.sampled_from(_PIECES), max_size=30), st.lists(st.sampled_from(["", " "]), max_size=30))
@settings(max_examples=400, deadline=None)
def test_scanning_only_dotted_stretches_finds_what_a_whole_scan_finds(
    pieces: list[str], gaps: list[str]
) -> None:
    text = "".join(p + (gaps[i] if i < len(gaps) else " ") for i, p in enumerate(pieces))
    whole: list[Link] = []
    if "/" in text:  # the one documented shortcut: no slash, no link
        for match in _URL.finditer(text):
            link = _link_for(match, text)
            if link is not None and link.url not in {w.url for w in whole}:
                whole.append(link)
    assert extract_links(text) == whole
