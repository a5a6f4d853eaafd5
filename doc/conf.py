"""Sphinx configuration for the skvaeal documentation.

Build (warnings are errors)::

    sphinx-build -W --keep-going -b html doc doc/_build/html

Nothing here needs the network: there is no intersphinx mapping.
"""

import os
import re
import sys
import warnings

import matplotlib

matplotlib.use("Agg")

# The example models are tiny, so extra torch threads gain little; one thread
# per process avoids oversubscription on shared CI machines. Set OMP_NUM_THREADS
# yourself to override. This must happen before torch is imported.
os.environ.setdefault("OMP_NUM_THREADS", "1")

# Prefer the checkout over any installed copy of skvaeal.
sys.path.insert(0, os.path.abspath(".."))

import skvaeal  # noqa: E402

# -- Project information -----------------------------------------------------
project = "skvaeal"
author = "skvaeal developers"
copyright = "skvaeal developers"
version = skvaeal.__version__
release = skvaeal.__version__

# -- General configuration ---------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "generated/*.examples", "sg_execution_times.rst"]
root_doc = "index"
default_role = "literal"

# autosummary writes one stub per object into doc/generated/ (git-ignored).
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"

# numpydoc renders the docstrings. Class member tables are left to the
# autosummary templates so that each object is documented exactly once.
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- sphinx-gallery ------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": ["../examples"],
    "gallery_dirs": ["auto_examples"],
    # Run every plot_*.py script (the default pattern, written out on purpose).
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "download_all_examples": True,
    "plot_gallery": "True",
    "matplotlib_animations": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    # Link API names used in the examples to their reference pages.
    "doc_module": ("skvaeal",),
    "backreferences_dir": "generated",
    "reference_url": {"skvaeal": None},
    "show_memory": False,
}

# plt.show() under the Agg backend is harmless in examples.
warnings.filterwarnings("ignore", category=UserWarning, message=".*non-GUI backend.*")


# scikit-learn adds ``set_<method>_request`` methods for metadata routing to
# estimators whose methods take extra arguments; their docstrings point into
# scikit-learn's own documentation, so leave them out of ours.
_SKIPPED_MEMBER = re.compile(r"^set_\w+_request$")


def _skip_member(app, what, name, obj, skip, options):
    if _SKIPPED_MEMBER.match(name):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)


# -- HTML output ---------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skvaeal {release}"
html_static_path = ["_static"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"**": ["sidebar-nav-bs"]}
html_show_sourcelink = False
