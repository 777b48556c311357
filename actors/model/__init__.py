"""The page-cache actor's model: one component per primitive family (actors/model/*.py),
composed by ``PageCacheModel`` and configured by one ``ModelOptions``."""

from actors.model.model import OPS, PageCacheModel
from actors.model.options import ModelOptions

__all__ = ["OPS", "ModelOptions", "PageCacheModel"]
