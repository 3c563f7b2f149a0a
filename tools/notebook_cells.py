"""What the demo-writing scripts share: a notebook from a list of cell texts."""
import nbformat as nbf


def nb(cells: list[str]):
    """A Python 3 notebook of `cells`: a text starting with "md:" is a Markdown cell, any
    other a code cell."""
    n = nbf.v4.new_notebook()
    n.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    n.cells = [nbf.v4.new_markdown_cell(c[3:]) if c.startswith("md:")
               else nbf.v4.new_code_cell(c.strip("\n")) for c in cells]
    return n
