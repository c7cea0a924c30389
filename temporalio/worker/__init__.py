"""Workers: poll a task queue and run the activities registered on it.

``Worker(client, task_queue=..., activities={...})``; see :class:`Worker`.
"""

from temporalio.worker._worker import Worker

__all__ = ["Worker"]
