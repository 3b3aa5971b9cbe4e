"""The driver: run every emitter over a validated system and write the outputs. Every
output is rewritten on each run so a build tool sees them all as fresh."""
import os
import shutil
import subprocess

from .emitters import c, cspace, graph, image

EMITTERS = [("c", c.emit), ("cspace", cspace.emit), ("graph", graph.emit), ("image", image.emit)]


def outputs(sysm, kinds=None):
    out = {}
    for kind, fn in EMITTERS:
        if kinds is None or kind in kinds:
            out.update(fn(sysm))
    return dict(sorted(out.items()))


def write(out, directory, svg=True):
    os.makedirs(directory, exist_ok=True)
    written = []
    for name, data in out.items():
        path = os.path.join(directory, name)
        blob = data if isinstance(data, bytes) else data.encode("utf-8")
        with open(path, "wb") as f:
            f.write(blob)
        written.append(path)
    if svg:
        for name in out:
            if name.endswith(".dot"):
                render_svg(os.path.join(directory, name))
    return written


def render_svg(dot_path):
    """SVG next to the DOT file when graphviz is installed; silently skipped otherwise."""
    dot = shutil.which("dot")
    if dot is None:
        return None
    svg = dot_path[:-4] + ".svg"
    subprocess.run([dot, "-Tsvg", dot_path, "-o", svg], check=True)
    return svg
