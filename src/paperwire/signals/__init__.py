"""Code and artifact signals: what GitHub says of the repositories papers link
(``github.py``), which Hugging Face Hub models, datasets and Spaces cite a paper
(``hub.py``), and how pages, APIs and rankings read them back (``view.py``)."""

# Entries one run checks unless told (``--max``, ``github:N@6h``): repositories, and
# papers on the Hub (three requests each). Here, not in the modules that fetch, so the
# command line reads them without importing those.
GITHUB_MAX_DEFAULT = 1000
HUB_MAX_DEFAULT = 200
