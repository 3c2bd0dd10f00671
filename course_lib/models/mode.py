"""``with eval_mode(model):``: eval mode for a block (dropout off, batch norm on its running statistics), then the
module's own mode back, also when the block raises. Every measurement and picture of a model in the course uses it."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch.nn as nn


@contextmanager
def eval_mode(module: nn.Module) -> Iterator[nn.Module]:
    was_training = module.training
    module.eval()
    try:
        yield module
    finally:
        module.train(was_training)
