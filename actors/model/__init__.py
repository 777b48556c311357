"""The page-cache actor's model: one component per primitive family (actors/model/*.py),
composed by ``PageCacheModel`` and configured by one ``ModelOptions``."""

from actors.model.model import OPS, PageCacheModel
from actors.model.options import (
    ERAS,
    SLAB_PAGE_OPTION,
    ModelOptions,
    era_options,
    lock_options,
    rwsem_option,
    scenario_options,
)

__all__ = [
    "ERAS",
    "OPS",
    "SLAB_PAGE_OPTION",
    "ModelOptions",
    "PageCacheModel",
    "era_options",
    "lock_options",
    "rwsem_option",
    "scenario_options",
]
