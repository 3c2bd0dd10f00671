"""Sphinx configuration of the course website (``make site``; see course_lib/tooling/site.py).

The pages are the learner's notebooks executed once in the `full` profile (site/executed/), shown as
they were recorded: nothing is executed here, and nothing is fetched from the network when a page is
read (MathJax is served from the site itself).
"""
project = "Deep generative models, hands on"
author = "the course's authors"
copyright = "the course's authors"

extensions = ["myst_nb", "sphinx-mathjax-offline"]  # sphinx-mathjax-offline: MathJax 3 copied into _static/

exclude_patterns = ["_notebooks/**", "**/.ipynb_checkpoints"]

myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
nb_execution_mode = "off"  # the site shows the recorded full run; CI builds it without training
nb_ipywidgets_js = {}  # explorers are pictures (see pictures_for_widgets): no widget JavaScript from a CDN
nb_merge_streams = True

html_theme = "sphinx_book_theme"
html_title = project
html_last_updated_fmt = None
html_show_sourcelink = False
html_theme_options = {
    "use_download_button": True,
    "use_fullscreen_button": False,
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "home_page_in_toc": True,
}
suppress_warnings = ["mystnb.unknown_mime_type"]
# the theme's light/dark switch needs a starting mode (without one it logs "Got invalid theme mode")
html_context = {"default_mode": "auto"}
