"""One emitter per output kind. Each takes the validated System and returns
{relative file name: text or bytes}; the driver writes them. Emitters never fail on a
valid model: everything that can be refused was refused by the model."""
import os

import jinja2

TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "templates")

_env = None


def env():
    global _env
    if _env is None:
        _env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
            trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
            autoescape=False)
        _env.filters["hex"] = lambda v, w=0: f"0x{v:0{w}x}"
    return _env


def render(template, **kw):
    return env().get_template(template).render(**kw)
