"""reportgen: compile a collaboratively written yearly report.

A report source is a folder with ``report.yaml`` and one Markdown file per
top-level section.  ``reportgen.build.build`` turns it into a typeset PDF, an
HTML edition and a progress dashboard.
"""

__version__ = "0.1.0"
