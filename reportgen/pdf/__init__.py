"""The PDF: one pass (`typeset`) or the book engine (`book`: chapters typeset in parallel,
bound with shared fonts by `pdffonts`), with Chinese typesetting (`cjkprint`), faces
(`fonts`) and the document's design (`design`).
"""
