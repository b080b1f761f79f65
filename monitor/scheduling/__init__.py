"""Cross-room batching: many rooms submit work, one model per device runs it in batches."""

from monitor.scheduling.metrics import SchedulerMetrics, percentile
from monitor.scheduling.policy import take_fair_batch
from monitor.scheduling.scheduler import BatchScheduler, SchedulerClosed, SchedulerOptions

__all__ = ["BatchScheduler", "SchedulerClosed", "SchedulerMetrics", "SchedulerOptions", "percentile", "take_fair_batch"]
